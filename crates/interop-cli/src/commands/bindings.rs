//! `interop bindings`: guest types from a plugin's schemas (`interop_bindgen`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use interop_bindgen::Lang;
use interop_protocol::load_manifest;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plugin's manifest (plugin.json).
    manifest: PathBuf,
    /// The language: rust, typescript or wit.
    #[arg(long, value_parser = |s: &str| s.parse::<Lang>().map_err(|e| e.to_string()))]
    lang: Lang,
    /// Write the types to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let loaded = load_manifest(&args.manifest)?;
    let text = interop_bindgen::generate(&loaded.manifest, args.lang)
        .with_context(|| format!("{}", args.manifest.display()))?;
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
