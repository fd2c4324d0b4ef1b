use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use interop_host::Host;

use super::grants::GrantArgs;
use interop_protocol::{load_manifest, ActionResult, LoadedManifest, Manifest};
use serde_json::{json, Value};

#[derive(Debug, clap::Args)]
pub struct CallArgs {
    /// The plugin's manifest (plugin.json), or a bare .wasm/.wat module.
    manifest: PathBuf,
    /// The action to run (for a bare module: the export, which follows docs/abi.md).
    action: String,
    /// The action's input, as JSON (e.g. '"World"' or '{"name": "World"}'), `-` to read
    /// it from stdin, or `@FILE` to read it from a file.
    #[arg(long, short, default_value = "null")]
    input: String,
    /// Print the whole result as JSON instead of its text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    grants: GrantArgs,
}

#[derive(Debug, clap::Args)]
pub struct ProviderArgs {
    /// The plugin's manifest (plugin.json).
    manifest: PathBuf,
    /// The provider to ask.
    provider: String,
    /// Print the whole answer as JSON instead of its text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    grants: GrantArgs,
}

#[derive(Debug, clap::Args)]
pub struct EmitArgs {
    /// The plugin's manifest (plugin.json).
    manifest: PathBuf,
    /// The event name (as in the manifest's hooks).
    event: String,
    /// The event's payload, as JSON, `-` to read it from stdin, or `@FILE` from a file.
    #[arg(long, short, default_value = "null")]
    payload: String,
    #[command(flatten)]
    grants: GrantArgs,
}

/// The JSON value of an `--input`-style argument: the text itself, `-` for stdin or
/// `@FILE` for a file's contents (large inputs do not fit in a command line).
pub fn parse_json(arg: &str, what: &str) -> anyhow::Result<Value> {
    let (text, what) = match arg {
        "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .with_context(|| format!("{what} -: cannot read stdin"))?;
            (text, format!("{what} - (stdin)"))
        }
        _ => match arg.strip_prefix('@') {
            Some(file) => (
                std::fs::read_to_string(file)
                    .with_context(|| format!("{what} @{file}: cannot read `{file}`"))?,
                format!("{what} @{file}"),
            ),
            None => (arg.to_owned(), what.to_owned()),
        },
    };
    serde_json::from_str(&text)
        .with_context(|| format!("{what} is not JSON (strings need quotes: '\"World\"')"))
}

impl CallArgs {
    /// Whether the output (and so an error) is JSON.
    pub fn json(&self) -> bool {
        self.json
    }
}

impl ProviderArgs {
    /// Whether the output (and so an error) is JSON.
    pub fn json(&self) -> bool {
        self.json
    }
}

/// A host under the command's grants and `--config` keys, with the plugin of `manifest`
/// loaded; returns it and the plugin's name. With `json`, stdout is the JSON document
/// only: the `[LOG]` lines of JavaScript's `log()` go to stderr.
pub fn load(
    grants: &GrantArgs,
    manifest: LoadedManifest,
    json: bool,
) -> anyhow::Result<(Host, String)> {
    let mut host = grants.host_for(manifest.name())?;
    if json {
        js_logs_to_stderr(&mut host);
    }
    let name = crate::progress::load(&host, manifest)?.name().to_owned();
    Ok((host, name))
}

/// Sends the `[LOG]` lines of JavaScript plugins' `log()` to stderr instead of stdout.
pub fn js_logs_to_stderr(host: &mut Host) {
    #[cfg(feature = "js")]
    {
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(std::io::stderr()));
        let js = interop_js::JsBackend::new().with_log_writer(stderr);
        host.register_backend(std::sync::Arc::new(js));
    }
    #[cfg(not(feature = "js"))]
    let _ = host;
}

/// A bare `.wasm`/`.wat` module as a plugin: a manifest made in memory with one action,
/// `action`, handled by the export of that name, and no permissions.
fn bare_module(path: &Path, action: &str) -> anyhow::Result<LoadedManifest> {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .with_context(|| format!("`{}` is not a module file name", path.display()))?;
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = format!("module-{}", name.trim_start_matches(['.', '_', '-']));
    let manifest: Manifest = serde_json::from_value(json!({
        "name": name, "version": "0.0.0",
        "interop": {"protocol": "wasm", "wasmPath": file},
        "actions": [{"name": action}],
    }))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok(LoadedManifest::from_manifest(manifest, dir)?)
}

/// A bare module's export of numbers is not an action (actions take and return JSON);
/// the way to call it is `interop run --invoke`, which the error says.
#[cfg(feature = "wasm")]
fn numeric_export_hint(path: &Path, action: &str) -> anyhow::Result<()> {
    let info = interop_wasm::WasmBackend::default().module_info(path)?;
    let numeric = info
        .exports
        .iter()
        .find(|e| e.name == action && e.numeric_func);
    if let Some(export) = numeric {
        anyhow::bail!(
            "`{action}` of `{module}` is a function of numbers {ty}, not a plugin action \
             (actions take and return JSON, docs/abi.md); call it with \
             `interop run {module} --invoke {action} ARGS...`",
            module = path.display(),
            ty = export.ty,
        );
    }
    Ok(())
}

pub fn run_call(args: CallArgs) -> anyhow::Result<ExitCode> {
    let input = parse_json(&args.input, "--input")?;
    let manifest = match args.manifest.extension().and_then(|e| e.to_str()) {
        Some("wasm" | "wat") => {
            #[cfg(feature = "wasm")]
            numeric_export_hint(&args.manifest, &args.action)?;
            bare_module(&args.manifest, &args.action)?
        }
        _ => load_manifest(&args.manifest)?,
    };
    let (host, name) = load(&args.grants, manifest, args.json)?;
    let result = host.invoke(&name, &args.action, input)?;
    print_result(result, args.json)
}

/// Prints an action's result: its text, else its data, or all of it as JSON with `json`;
/// a failed result is the command's error (or, with `json`, its exit code).
pub fn print_result(result: ActionResult, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else if let Some(text) = &result.text {
        println!("{text}");
    } else if let Some(data) = &result.data {
        println!("{}", serde_json::to_string_pretty(data)?);
    }
    if !result.success {
        if let Some(err) = result.error {
            if json {
                // The result printed above already carries the error.
                return Ok(ExitCode::from(crate::failure::exit_code(err.kind)));
            }
            return Err(err.into());
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_provider(args: ProviderArgs) -> anyhow::Result<ExitCode> {
    let (host, name) = load(&args.grants, load_manifest(&args.manifest)?, args.json)?;
    let result = host.get_provider(&name, &args.provider)?;
    match (&result.text, args.json) {
        (Some(text), false) => println!("{text}"),
        _ => println!("{}", serde_json::to_string_pretty(&result)?),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_emit(args: EmitArgs) -> anyhow::Result<ExitCode> {
    let payload = parse_json(&args.payload, "--payload")?;
    let (host, name) = load(&args.grants, load_manifest(&args.manifest)?, false)?;
    let mut outcomes = host.emit(&args.event, payload);
    match outcomes.remove(&name) {
        None => Err(interop_host::PluginError::not_found(format!(
            "no hook for `{}` (the manifest's `hooks` name the events a plugin handles)",
            args.event
        ))
        .in_plugin(&name)
        .into()),
        Some(Ok(value)) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Some(Err(err)) => Err(err.into()),
    }
}
