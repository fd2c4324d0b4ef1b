//! Running commands with visible progress.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The repository root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Prints a progress header.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// Runs `program args` in the repository root; fails if it fails.
pub fn run(program: &str, args: &[&str]) -> Result<()> {
    run_in(program, args, &root())
}

/// Runs `program args` in `dir`; fails if it fails.
pub fn run_in(program: &str, args: &[&str], dir: &std::path::Path) -> Result<()> {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .with_context(|| format!("cannot start `{program}`"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Runs cargo with `args` in the repository root.
pub fn cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(&cargo, args)
}

/// Whether `program` can be found on PATH.
#[allow(dead_code)]
pub fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Whether the Debian package `name` is installed.
#[allow(dead_code)]
pub fn dpkg_installed(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", name])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

static APT_UPDATED: std::sync::OnceLock<()> = std::sync::OnceLock::new();

fn as_root(args: &[&str]) -> Vec<String> {
    // CI and the dev machines run as root; elsewhere go through sudo.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let mut v: Vec<String> = if root {
        Vec::new()
    } else {
        vec!["sudo".into()]
    };
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

fn run_vec(argv: &[String]) -> Result<()> {
    let refs: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    run(&argv[0], &refs)
}

/// Installs the Debian packages of `packages` that are missing (`apt-get update` first,
/// once per run).
#[allow(dead_code)]
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !dpkg_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("apt-get install {}", missing.join(" ")));
    if APT_UPDATED.get().is_none() {
        run_vec(&as_root(&["apt-get", "update", "-q"]))?;
        let _ = APT_UPDATED.set(());
    }
    let mut args = vec![
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
    ];
    args.extend(missing.iter().copied());
    run_vec(&as_root(&args))
}

/// Downloads Debian packages with `apt-get download` and unpacks them into `dest`
/// with `dpkg-deb -x`, without installing them (so they cannot conflict with the
/// system's packages). With `sources` (a one-line `deb ...` list), a private apt
/// configuration under `dest/.apt` is used and the system's sources are left alone.
#[allow(dead_code)]
pub fn apt_fetch_unpack(
    packages: &[&str],
    dest: &std::path::Path,
    sources: Option<&str>,
) -> Result<()> {
    let debs = dest.join(".debs");
    std::fs::create_dir_all(&debs)?;
    let mut args: Vec<String> = vec!["apt-get".into(), "-q".into()];
    if let Some(list) = sources {
        let apt = dest.join(".apt");
        for d in ["lists/partial", "cache/archives/partial"] {
            std::fs::create_dir_all(apt.join(d))?;
        }
        std::fs::write(apt.join("sources.list"), format!("{list}\n"))?;
        let opt = |k: &str, v: &std::path::Path| format!("-o{k}={}", v.display());
        args.push(opt("Dir::Etc::SourceList", &apt.join("sources.list")));
        args.push("-oDir::Etc::SourceParts=/nonexistent".into());
        args.push(opt("Dir::State::Lists", &apt.join("lists")));
        args.push(opt("Dir::Cache", &apt.join("cache")));
        args.push("-oAcquire::Check-Valid-Until=false".into());
        let mut update = args.clone();
        update.push("update".into());
        run_vec(&update)?;
    } else if APT_UPDATED.get().is_none() {
        run_vec(&as_root(&["apt-get", "update", "-q"]))?;
        let _ = APT_UPDATED.set(());
    }
    args.push("download".into());
    args.extend(packages.iter().map(|p| p.to_string()));
    let refs: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    run_in(&args[0], &refs, &debs)?;
    for entry in std::fs::read_dir(&debs)? {
        let deb = entry?.path();
        if deb.extension().is_some_and(|e| e == "deb") {
            let (deb_s, dest_s) = (deb.display().to_string(), dest.display().to_string());
            run("dpkg-deb", &["-x", &deb_s, &dest_s])?;
        }
    }
    Ok(())
}
