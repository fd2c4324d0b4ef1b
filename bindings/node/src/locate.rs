//! What the loaders accept: `loadWasmPlugin('./dist/greeter.wasm')`,
//! `loadPythonPlugin('my_python_plugin')`, a plugin directory or its `plugin.json`. Each
//! comes down to one validated manifest: the host loads plugins described by manifests,
//! whatever their language, and only a manifest says what a plugin may ask for.

use std::path::{Path, PathBuf};

use interop_host::discover;
use interop_protocol::manifest::Interop;
use interop_protocol::{load_manifest, LoadedManifest, PluginError, Protocol};

use crate::error::from_manifest;

/// How many directories above a module or script to look for the manifest naming it
/// (`dist/greeter.wasm` is described by `../plugin.json`).
const LEVELS_UP: usize = 2;

/// The wasm plugin at `path`: a `.wasm`/`.wat` module (described by a `plugin.json` next
/// to it or up to two directories above), a plugin directory, or a manifest.
pub(crate) fn wasm(path: &str) -> Result<LoadedManifest, PluginError> {
    let names_module = |m: &LoadedManifest| match &m.manifest.interop {
        Interop::Wasm(w) => same_file(&m.resolve(&w.wasm_path), Path::new(path)),
        _ => false,
    };
    let loaded = by_path(path, names_module)?;
    let protocol = loaded.manifest.interop.protocol();
    if protocol != Protocol::Wasm {
        return Err(PluginError::invalid_input(format!(
            "loadWasmPlugin(`{path}`): {} describes a `{protocol}` plugin, not a wasm plugin \
             (use loadPlugin)",
            loaded.path.display()
        ))
        .in_plugin(loaded.name()));
    }
    Ok(loaded)
}

/// The Python plugin `path_or_name`: a plugin directory, a manifest, a `.py` script
/// (described by a `plugin.json` next to it or above), or the name of a plugin found in
/// `dirs` (`my_python_plugin` also finds `my-python-plugin`).
pub(crate) fn python(path_or_name: &str, dirs: &[PathBuf]) -> Result<LoadedManifest, PluginError> {
    let loaded = if Path::new(path_or_name).exists() {
        by_path(path_or_name, |m| runs_script(m, Path::new(path_or_name)))?
    } else {
        by_name(path_or_name, dirs)?
    };
    let language = loaded.manifest.language.as_deref().unwrap_or("");
    if !language.eq_ignore_ascii_case("python") {
        return Err(PluginError::invalid_input(format!(
            "loadPythonPlugin(`{path_or_name}`): {} is a plugin in `{}`, not Python (use loadPlugin)",
            loaded.path.display(),
            if language.is_empty() { "an unstated language" } else { language }
        ))
        .in_plugin(loaded.name()));
    }
    Ok(loaded)
}

/// The plugin whose manifest (or plugin directory) is `path`.
pub(crate) fn manifest(path: &str) -> Result<LoadedManifest, PluginError> {
    load_manifest(path).map_err(from_manifest)
}

/// A manifest or plugin directory as such; a module or script file through the manifest
/// that names it (`names` says whether one does).
fn by_path(
    path: &str,
    names: impl Fn(&LoadedManifest) -> bool,
) -> Result<LoadedManifest, PluginError> {
    let given = Path::new(path);
    let is_manifest = given.is_dir() || given.extension().is_some_and(|e| e == "json");
    if is_manifest || !given.exists() {
        return manifest(path);
    }
    let mut dir = given.parent();
    let mut looked = Vec::new();
    for _ in 0..=LEVELS_UP {
        let Some(d) = dir else { break };
        let candidate = if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
        .join("plugin.json");
        if candidate.is_file() {
            let loaded = load_manifest(&candidate).map_err(from_manifest)?;
            if names(&loaded) {
                return Ok(loaded);
            }
        }
        looked.push(candidate.display().to_string());
        dir = d.parent();
    }
    Err(PluginError::not_found(format!(
        "`{path}`: no plugin.json describes it (looked at {}); a plugin needs a manifest \
         saying what it is and what it may reach (`interop new` writes one)",
        looked.join(", ")
    )))
}

/// The plugin named `name` (or with `-` for `_`) in one of `dirs`.
fn by_name(name: &str, dirs: &[PathBuf]) -> Result<LoadedManifest, PluginError> {
    let wanted = [name.to_owned(), name.replace('_', "-")];
    for dir in dirs {
        for (_, loaded) in discover(dir) {
            if let Ok(loaded) = loaded {
                if wanted.iter().any(|w| w == loaded.name()) {
                    return Ok(loaded);
                }
            }
        }
    }
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(PluginError::not_found(format!(
        "no plugin named `{name}` in {} (a path to its directory or plugin.json works too; \
         `pluginDirs` in the Host options says where to look)",
        searched.join(", ")
    )))
}

/// Whether the process plugin `loaded` runs `script`.
fn runs_script(loaded: &LoadedManifest, script: &Path) -> bool {
    let args = match &loaded.manifest.interop {
        Interop::Ipc(ipc) => &ipc.args,
        Interop::Subprocess(sub) => &sub.args,
        _ => return false,
    };
    args.iter()
        .any(|arg| same_file(&loaded.resolve(arg), script))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
