//! Debian packages: installed system-wide when they must be (runtime libraries,
//! compilers), or downloaded and unpacked into a directory of ours without installing
//! them (libnode, Go), so that they cannot conflict with the system's packages.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use crate::command::run;
use crate::SetupError;

/// The registry apt talks to, as errors name it.
const DEBIAN: &str = "Debian's package archive (deb.debian.org)";

static UPDATED: OnceLock<()> = OnceLock::new();

/// Whether the Debian package `name` is installed.
pub fn installed(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", name])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// The packages of `packages` that are not installed.
pub fn missing<'a>(packages: &[&'a str]) -> Vec<&'a str> {
    packages.iter().copied().filter(|p| !installed(p)).collect()
}

/// `args` as root: directly when we are root (CI, containers), else through sudo.
fn as_root(args: &[&str]) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false);
    let mut cmd = Command::new(if root { "env" } else { "sudo" });
    if !root {
        cmd.arg("env");
    }
    cmd.arg("DEBIAN_FRONTEND=noninteractive").args(args);
    cmd
}

fn update_once(component: &'static str) -> Result<(), SetupError> {
    if UPDATED.get().is_none() {
        run(
            component,
            Some(DEBIAN),
            &mut as_root(&["apt-get", "update", "-q"]),
        )?;
        let _ = UPDATED.set(());
    }
    Ok(())
}

/// Installs the packages of `packages` that are missing (`apt-get update` first, once
/// per process).
pub fn install(component: &'static str, packages: &[&str]) -> Result<(), SetupError> {
    let missing = missing(packages);
    if missing.is_empty() {
        return Ok(());
    }
    update_once(component)?;
    let mut args = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    args.extend(missing);
    run(component, Some(DEBIAN), &mut as_root(&args))
}

/// Downloads `packages` with `apt-get download` and unpacks them into `dest` with
/// `dpkg-deb -x`. With `sources` (a one-line `deb ...` list), a private apt
/// configuration under `dest/.apt` is used and the system's sources are left alone (the
/// packages are still verified with the archive keys the system trusts).
pub fn fetch_unpack(
    component: &'static str,
    packages: &[&str],
    dest: &Path,
    sources: Option<&str>,
) -> Result<(), SetupError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SetupError::Io {
            component,
            path,
            source,
        }
    };
    let debs = dest.join(".debs");
    std::fs::create_dir_all(&debs).map_err(io(&debs))?;
    let mut apt = Command::new("apt-get");
    apt.arg("-q");
    if let Some(list) = sources {
        let conf = dest.join(".apt");
        for dir in ["lists/partial", "cache/archives/partial"] {
            std::fs::create_dir_all(conf.join(dir)).map_err(io(&conf))?;
        }
        let list_file = conf.join("sources.list");
        std::fs::write(&list_file, format!("{list}\n")).map_err(io(&list_file))?;
        apt.arg(format!("-oDir::Etc::SourceList={}", list_file.display()))
            .arg("-oDir::Etc::SourceParts=/nonexistent")
            .arg(format!(
                "-oDir::State::Lists={}",
                conf.join("lists").display()
            ))
            .arg(format!("-oDir::Cache={}", conf.join("cache").display()))
            .arg("-oAcquire::Check-Valid-Until=false");
        let mut update = Command::new(apt.get_program());
        update.args(apt.get_args()).arg("update");
        run(component, Some(DEBIAN), &mut update)?;
    } else {
        update_once(component)?;
    }
    apt.arg("download").args(packages).current_dir(&debs);
    run(component, Some(DEBIAN), &mut apt)?;
    for entry in std::fs::read_dir(&debs).map_err(io(&debs))? {
        let deb = entry.map_err(io(&debs))?.path();
        if deb.extension().is_some_and(|e| e == "deb") {
            run(
                component,
                None,
                Command::new("dpkg-deb").arg("-x").arg(&deb).arg(dest),
            )?;
        }
    }
    // Unpacked, the archives are only weight (tens of MB).
    let _ = std::fs::remove_dir_all(&debs);
    Ok(())
}
