//! Which ABI a wasm plugin's binary is run with (`interop.wasmAbi`): a core module on
//! interop's ABI (`docs/abi.md`) or on Extism's (`docs/extism.md`), or a component of the
//! `interop:plugin` WIT world (`docs/components.md`). Without `wasmAbi` the binary tells
//! ([`crate::compiled::is_component`], then a core module's imports); with it, a binary of
//! the other kind is refused at load.

use std::path::Path;
use std::sync::Arc;

use interop_protocol::{LoadedManifest, PluginError, WasmAbi};

use wasmtime::Module;

use crate::cache::{Artifact, Compiled};
use crate::extism;

/// The ABI a core module runs on: Extism's when declared or, undeclared, when it imports
/// from `extism:`; interop's otherwise. (A module declared a `component` never gets
/// here: [`check_declared`] refused it when the plugin was opened.)
pub(crate) fn core_abi(declared: Option<WasmAbi>, module: &Module) -> WasmAbi {
    match declared {
        Some(WasmAbi::Extism) => WasmAbi::Extism,
        Some(_) => WasmAbi::Interop,
        None if extism::is_extism(module) => WasmAbi::Extism,
        None => WasmAbi::Interop,
    }
}

/// Refuses a binary of another kind than the manifest's `wasmAbi` declares.
pub(crate) fn check_declared(
    manifest: &LoadedManifest,
    path: &Path,
    declared: Option<WasmAbi>,
    artifact: &Artifact,
) -> Result<(), PluginError> {
    match (declared, artifact) {
        (Some(WasmAbi::Component), Artifact::Module(_)) => {
            Err(mismatch(manifest, path, WasmAbi::Component))
        }
        (Some(abi @ (WasmAbi::Interop | WasmAbi::Extism)), Artifact::Component(_)) => {
            Err(mismatch(manifest, path, abi))
        }
        _ => Ok(()),
    }
}

/// The error for a plugin whose binary at `path` is not of the kind `wanted` runs.
pub(crate) fn mismatch(manifest: &LoadedManifest, path: &Path, wanted: WasmAbi) -> PluginError {
    let (found, expected) = match wanted {
        WasmAbi::Component => ("a core module", "a component"),
        _ => ("a component", "a core module"),
    };
    PluginError::invalid_input(format!(
        "`{}` is {found}, not {expected} (`interop.wasmAbi` `{wanted}`; without `wasmAbi` \
         the kind of binary is detected)",
        path.display()
    ))
    .in_plugin(manifest.name())
}

/// The core module of `artifact`, or an error saying `origin` is a component (which has
/// no exports to call by number, nor a `_start` of the core ABI).
pub(crate) fn core_module(artifact: Artifact, origin: &Path) -> Result<Arc<Compiled>, PluginError> {
    match artifact {
        Artifact::Module(compiled) => Ok(compiled),
        Artifact::Component(_) => Err(PluginError::invalid_input(format!(
            "`{}` is a WebAssembly component; only a core module can be opened or run this \
             way (load it as a plugin, see docs/components.md)",
            origin.display()
        ))),
    }
}
