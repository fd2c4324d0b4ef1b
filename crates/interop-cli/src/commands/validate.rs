use std::path::{Path, PathBuf};
use std::process::ExitCode;

use interop_protocol::{load_manifest, LoadedManifest};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest files (plugin.json), or directories searched for */plugin.json.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print one JSON object per manifest (`{"path", "ok", "name", "problems"}`), in an
    /// array.
    #[arg(long)]
    pub json: bool,
    /// Check only the manifests, not that the files they name (module, script, library)
    /// exist: for manifests written before their plugin is built.
    #[arg(long)]
    manifest_only: bool,
}

/// What validating one manifest found.
pub struct Verdict {
    /// The manifest file.
    pub path: PathBuf,
    /// The manifest, when it is valid.
    pub loaded: Option<LoadedManifest>,
    /// What is wrong with it (nothing when it is usable).
    pub problems: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut verdicts = Vec::new();
    for path in &args.paths {
        let files: Vec<PathBuf> = if path.is_dir() {
            interop_host::discover(path)
                .into_iter()
                .map(|(p, _)| p)
                .collect()
        } else {
            vec![path.clone()]
        };
        if files.is_empty() {
            verdicts.push(Verdict {
                path: path.clone(),
                loaded: None,
                problems: vec!["no plugin.json in it or in its subdirectories".into()],
            });
        }
        verdicts.extend(
            files
                .into_iter()
                .map(|file| validate(&file, !args.manifest_only)),
        );
    }
    let failed = verdicts.iter().filter(|v| !v.problems.is_empty()).count();
    if args.json {
        let report: Vec<_> = verdicts
            .iter()
            .map(|v| {
                json!({
                    "path": v.path,
                    "ok": v.problems.is_empty(),
                    "name": v.loaded.as_ref().map(|l| l.name()),
                    "problems": v.problems,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for v in &verdicts {
            match (&v.loaded, v.problems.as_slice()) {
                (Some(m), []) => println!(
                    "ok: {} ({} {} via {})",
                    v.path.display(),
                    m.manifest.name,
                    m.manifest.version,
                    m.manifest.interop.protocol()
                ),
                (_, problems) => {
                    for problem in problems {
                        eprintln!("invalid: {problem}");
                    }
                }
            }
        }
        if failed > 0 {
            eprintln!("{failed} of {} manifest(s) invalid", verdicts.len());
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// The manifest at `file` checked, and (with `files`) the files it names checked to
/// exist: a manifest whose module is missing would only fail later, at load.
pub fn validate(file: &Path, files: bool) -> Verdict {
    match load_manifest(file) {
        Ok(loaded) => {
            let problems = loaded
                .manifest
                .interop
                .paths()
                .into_iter()
                .filter(|_| files)
                // A socket path is created by the plugin when it starts.
                .filter(|(field, _)| *field != "socketPath")
                .filter(|(_, path)| !loaded.resolve(path).exists())
                .map(|(field, path)| {
                    format!(
                        "{}: interop.{field}: `{path}` does not exist (build the plugin \
                         first)",
                        loaded.path.display()
                    )
                })
                .collect();
            Verdict {
                path: file.to_path_buf(),
                loaded: Some(loaded),
                problems,
            }
        }
        Err(e) => Verdict {
            path: file.to_path_buf(),
            loaded: None,
            problems: vec![e.to_string()],
        },
    }
}
