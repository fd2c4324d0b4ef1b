//! `interop new`: scaffold a plugin that runs as soon as it is written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde_json::json;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Lang {
    /// A Python script over stdin/stdout (protocol `subprocess`), standard library only.
    Python,
    /// A JavaScript plugin in a V8 isolate (protocol `js`).
    Javascript,
    /// A WebAssembly text module (protocol `wasm`), no toolchain needed.
    Wat,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to create; its last component is the plugin's name.
    dir: PathBuf,
    /// The plugin's language.
    #[arg(long, value_enum, default_value = "python")]
    lang: Lang,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = args
        .dir
        .file_name()
        .and_then(|n| n.to_str())
        .context("the directory needs a name")?
        .to_owned();
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        bail!("`{name}` is not a plugin name: use letters, digits, `.`, `_` and `-`");
    }
    if args.dir.exists() {
        bail!("{} already exists", args.dir.display());
    }
    let fill = |template: &str| template.replace("{{name}}", &name);
    let (file, source, interop, language) = match args.lang {
        Lang::Python => (
            "plugin.py",
            fill(include_str!("../../templates/python.py")),
            json!({"protocol": "subprocess", "command": "python3", "args": ["plugin.py"]}),
            "python",
        ),
        Lang::Javascript => (
            "plugin.js",
            fill(include_str!("../../templates/javascript.js")),
            json!({"protocol": "js", "scriptPath": "plugin.js"}),
            "javascript",
        ),
        Lang::Wat => {
            // The answer is the JSON string "Hello from <name>!", quotes included.
            let answer_len = format!("\"Hello from {name}!\"").len();
            let source = fill(include_str!("../../templates/module.wat"))
                .replace("{{wat_len}}", &answer_len.to_string());
            (
                "plugin.wat",
                source,
                json!({"protocol": "wasm", "wasmPath": "plugin.wat"}),
                "wat",
            )
        }
    };
    let manifest = json!({
        "name": name,
        "version": "0.1.0",
        "description": format!("The {name} plugin"),
        "language": language,
        "interop": interop,
        "actions": [{"name": "hello", "description": "Says hello"}],
    });
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    std::fs::write(args.dir.join(file), source)?;
    std::fs::write(
        args.dir.join("plugin.json"),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    // What was written must be a valid plugin: check it the way `validate` would.
    interop_protocol::load_manifest(args.dir.join("plugin.json"))?;
    let manifest_path = args.dir.join("plugin.json");
    println!("created {}", args.dir.display());
    println!(
        "try: interop call {} hello --input '\"World\"'",
        manifest_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
