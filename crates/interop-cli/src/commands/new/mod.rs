//! `interop new`: scaffold a plugin in any guest language, with the command that builds
//! it; after that command, `interop call DIR/plugin.json greet --input '"World"'` answers
//! `Hello, World!`.

mod component;
mod scaffold;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde_json::json;

use scaffold::{Lang, Names};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to create; its last component is the plugin's name.
    dir: PathBuf,
    /// The plugin's language.
    #[arg(long, value_enum, default_value = "python")]
    lang: Lang,
    /// Rust guests: the interop-pdk crate to depend on by path (a checkout's
    /// crates/interop-pdk). Default: the checkout this binary was built from, when it is
    /// still there, else the published version.
    #[arg(long, value_name = "DIR")]
    pdk_path: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = args
        .dir
        .file_name()
        .and_then(|n| n.to_str())
        .context("the directory needs a name")?
        .to_owned();
    check_name(&name, args.lang)?;
    if args.dir.exists() {
        bail!("{} already exists", args.dir.display());
    }
    let componentize_py = componentize_py();
    let names = Names {
        pdk_dependency: pdk_dependency(args.pdk_path.as_deref())?,
        componentize_py: shell_word(&componentize_py),
        plugin: name.clone(),
    };
    let plugin = scaffold::scaffold(args.lang, &names);
    let manifest = json!({
        "name": name,
        "version": "0.1.0",
        "description": format!("The {name} plugin"),
        "language": plugin.language,
        "interop": plugin.interop,
        "actions": [{
            "name": "greet",
            "description": "Greets a name: \"World\" -> \"Hello, World!\"",
            "inputSchema": {"type": "string"},
        }],
    });
    for (path, text) in &plugin.files {
        let path = args.dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    for dir in plugin.dirs {
        std::fs::create_dir_all(args.dir.join(dir))?;
    }
    let manifest_path = args.dir.join("plugin.json");
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    // What was written must be a valid plugin: check it the way `validate` would.
    interop_protocol::load_manifest(&manifest_path)?;
    let lang = clap::ValueEnum::to_possible_value(&args.lang)
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default();
    let protocol = plugin.interop["protocol"].as_str().unwrap_or_default();
    println!(
        "created {} ({lang}, protocol {protocol})",
        args.dir.display()
    );
    if matches!(args.lang, Lang::Rust) {
        println!("dependency: {}", names.pdk_dependency);
    }
    if matches!(args.lang, Lang::PythonComponent) && !componentize_py.is_file() {
        println!(
            "setup: interop setup python-component (installs componentize-py, needed to build)"
        );
    }
    if let Some(build) = &plugin.build {
        println!("build: cd {} && {build}", shell_word(&args.dir));
    }
    println!(
        "call:  interop call {} greet --input '\"World\"'",
        shell_word(&manifest_path)
    );
    Ok(ExitCode::SUCCESS)
}

/// Plugin names are letters, digits, `.`, `_` and `-`; a Rust crate's name has no `.` and
/// starts with a letter.
fn check_name(name: &str, lang: Lang) -> anyhow::Result<()> {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !plain {
        bail!("`{name}` is not a plugin name: use letters, digits, `.`, `_` and `-`");
    }
    let rust = matches!(lang, Lang::Rust | Lang::RustNative | Lang::RustComponent);
    if rust && (name.contains('.') || !name.starts_with(|c: char| c.is_ascii_alphabetic())) {
        bail!("`{name}` is not a Rust crate name: start with a letter and use no `.`");
    }
    Ok(())
}

/// The `interop-pdk` dependency of a Rust guest: by path to `explicit`, else to the
/// checkout this binary was built from (`cargo install --path` or `--git`) when it is
/// still there, else the published version.
fn pdk_dependency(explicit: Option<&Path>) -> anyhow::Result<String> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop-pdk");
    let path = match explicit {
        Some(dir) if dir.join("Cargo.toml").is_file() => Some(dir.to_path_buf()),
        Some(dir) => bail!(
            "--pdk-path {}: no Cargo.toml there (expected the interop-pdk crate, e.g. \
             <interop checkout>/crates/interop-pdk)",
            dir.display()
        ),
        None => built_from
            .join("Cargo.toml")
            .is_file()
            .then_some(built_from),
    };
    Ok(match path {
        Some(dir) => {
            let dir = dir.canonicalize().unwrap_or(dir);
            format!("interop-pdk = {{ path = {:?} }}", dir.display().to_string())
        }
        None => format!("interop-pdk = \"{}\"", env!("CARGO_PKG_VERSION")),
    })
}

/// The componentize-py that `interop setup python-component` installs in the user's data
/// directory (its absolute path: a build step that does not depend on PATH); the one on
/// PATH for a user without a data directory.
fn componentize_py() -> PathBuf {
    match interop_setup::Setup::for_user(interop_setup::Progress::plain()) {
        Ok(setup) => interop_setup::componentize_py::program(&setup),
        Err(_) => PathBuf::from("componentize-py"),
    }
}

/// `path` as one shell word (quoted when it holds anything but plain characters).
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
