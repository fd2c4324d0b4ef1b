use std::path::PathBuf;
use std::process::ExitCode;

use interop_protocol::load_manifest;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest files (plugin.json), or directories searched for */plugin.json.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut failed = 0;
    let mut total = 0;
    for path in args.paths {
        let files: Vec<PathBuf> = if path.is_dir() {
            interop_host::discover(&path)
                .into_iter()
                .map(|(p, _)| p)
                .collect()
        } else {
            vec![path.clone()]
        };
        if files.is_empty() {
            eprintln!(
                "invalid: {}: no plugin.json in it or in its subdirectories",
                path.display()
            );
            failed += 1;
        }
        for file in files {
            total += 1;
            match load_manifest(&file) {
                Ok(m) => println!(
                    "ok: {} ({} {} via {})",
                    file.display(),
                    m.manifest.name,
                    m.manifest.version,
                    m.manifest.interop.protocol()
                ),
                Err(e) => {
                    failed += 1;
                    eprintln!("invalid: {e}");
                }
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {total} manifest(s) invalid");
        Ok(ExitCode::FAILURE)
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
