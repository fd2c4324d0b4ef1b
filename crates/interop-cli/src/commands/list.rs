use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use super::validate::validate;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to search for `plugin.json` files (itself and its subdirectories).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Lists the plugins of a directory with their protocol, language and whether they are
/// ready to load (a valid manifest whose module, script or library exists).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let verdicts: Vec<_> = interop_host::discover(&args.dir)
        .into_iter()
        .map(|(path, _)| validate(&path, true))
        .collect();
    if args.json {
        let list: Vec<_> = verdicts
            .iter()
            .map(|v| {
                let m = v.loaded.as_ref().map(|l| &l.manifest);
                json!({
                    "path": v.path,
                    "name": m.map(|m| &m.name),
                    "version": m.map(|m| &m.version),
                    "protocol": m.map(|m| m.interop.protocol().to_string()),
                    "language": m.and_then(|m| m.language.as_ref()),
                    "ready": v.problems.is_empty(),
                    "problems": v.problems,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if verdicts.is_empty() {
        println!(
            "no plugin.json in {} or its subdirectories",
            args.dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<26} {:<9} {:<11} {:<15} status",
        "plugin", "version", "protocol", "language"
    );
    for v in &verdicts {
        let status = match v.problems.first() {
            None => "ready".to_owned(),
            Some(problem) => format!("not ready: {problem}"),
        };
        match v.loaded.as_ref().map(|l| &l.manifest) {
            Some(m) => println!(
                "{:<26} {:<9} {:<11} {:<15} {status}",
                m.name,
                m.version,
                m.interop.protocol().to_string(),
                m.language.as_deref().unwrap_or("-"),
            ),
            None => println!(
                "{:<26} {:<9} {:<11} {:<15} {status}",
                v.path.display(),
                "-",
                "-",
                "-"
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
