//! Steps of the WebAssembly component samples (`wasmAbi: "component"`, docs/components.md):
//! toolchains to install and guests to build, one per language.
//!
//! Toolchains (all idempotent, each printing what it does):
//! - Rust: the `wasm32-wasip2` target, installed with the wasm setup (`interop setup rust`;
//!   bindings by the `wit-bindgen` crate).
//! - Python: componentize-py from PyPI (pinned) in a virtual environment of its own in
//!   the user's data directory (`~/.local/share/interop/componentize-py-<version>`),
//!   shared by every checkout: `interop setup python-component` (interop-setup).
//! - JavaScript: `npm ci` in the JavaScript sample (`@bytecodealliance/componentize-js`,
//!   pinned by its lockfile), as for the AssemblyScript sample.
//!
//! Each guest is built against the interop WIT world in `wit/` into its manifest's
//! `wasmPath`, unless the output is newer than its sources and the world.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Result};

use interop_protocol::WasmAbi;

use crate::util::{self, root, run_in, step};
use crate::wasm::{build_rust, newest_source, status, wasm_samples};

#[derive(Clone, Copy, Debug)]
enum Lang {
    Rust,
    Python,
    JavaScript,
}

/// The component samples: directory, name, output, language (told by `Cargo.toml`,
/// `app.py` or `package.json`).
fn samples() -> Result<Vec<(PathBuf, String, PathBuf, Lang)>> {
    let mut found = Vec::new();
    for sample in wasm_samples()? {
        if sample.abi != Some(WasmAbi::Component) {
            continue;
        }
        let (dir, name, out) = (sample.dir, sample.name, sample.out);
        let lang = if dir.join("Cargo.toml").is_file() {
            Lang::Rust
        } else if dir.join("app.py").is_file() {
            Lang::Python
        } else if dir.join("package.json").is_file() {
            Lang::JavaScript
        } else {
            bail!(
                "{name}: a component sample needs Cargo.toml, app.py or package.json in {}",
                dir.display()
            );
        };
        found.push((dir, name, out, lang));
    }
    Ok(found)
}

/// The componentize-py that `interop setup python-component` installs.
fn componentize_py() -> Result<PathBuf> {
    Ok(interop_setup::componentize_py::program(&util::user_setup()?))
}

/// Installs what the component samples need (idempotent). The Rust targets, wasm32-wasip2
/// among them, come with the wasm setup that runs before.
pub fn setup() -> Result<()> {
    let user = util::user_setup()?;
    // componentize-py, in its own virtual environment.
    println!(
        "{}",
        user.install(interop_setup::Component::PythonComponent)?
    );
    // componentize-js, pinned by the JavaScript sample's lock file.
    for (dir, _, _, lang) in samples()? {
        if matches!(lang, Lang::JavaScript) {
            interop_setup::assemblyscript::npm_ci(&user, &dir, "componentize-js")?;
        }
    }
    println!(
        "components: toolchains ready (rust wasm32-wasip2, componentize-py {}, componentize-js)",
        interop_setup::componentize_py::VERSION
    );
    Ok(())
}

/// Builds every component sample whose output is older than its sources or the world.
pub fn build_plugins() -> Result<()> {
    let world = root().join("wit");
    for (dir, name, out, lang) in samples()? {
        if up_to_date(&dir, &world, &out)? {
            println!("components: {name} is up to date");
            continue;
        }
        step(&format!("components: building {name} ({lang:?})"));
        match lang {
            Lang::Rust => build_rust(&dir, &out, "wasm32-wasip2")?,
            Lang::Python => build_python(&dir, &world, &out)?,
            Lang::JavaScript => run_in("npm", &["run", "--silent", "build"], &dir)?,
        }
        if !out.is_file() {
            bail!("building {name} did not produce {}", out.display());
        }
    }
    Ok(())
}

/// `componentize-py componentize app`: CPython and the sample's `app.py` in one component.
fn build_python(dir: &Path, world: &Path, out: &Path) -> Result<()> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut cmd = Command::new(componentize_py()?);
    cmd.current_dir(dir)
        .arg("-d")
        .arg(world)
        .args(["-w", "plugin", "componentize", "app", "-o"])
        .arg(out);
    status(cmd, "componentize-py componentize app")
}

fn up_to_date(dir: &Path, world: &Path, out: &Path) -> Result<bool> {
    let Ok(built) = std::fs::metadata(out).and_then(|m| m.modified()) else {
        return Ok(false);
    };
    Ok(newest_source(dir)?.max(newest_source(world)?) <= built)
}
