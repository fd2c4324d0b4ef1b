//! The descriptor a native plugin's `interop_plugin_entry` returns, read and checked
//! against the host's ABI and the manifest before any other of the plugin's functions is
//! called: ABI version, size, name, and the entry points the manifest needs.

use std::ffi::CStr;
use std::path::Path;

use interop_protocol::{Manifest, PluginError};
use serde_json::json;

use crate::abi::{PluginDescriptor, ABI_VERSION, ENTRY_SYMBOL};

/// Reads and checks the descriptor `interop_plugin_entry` returned (`path` names the
/// library in errors).
///
/// # Safety
/// `ptr` must be null, misaligned, or point to a descriptor that starts with its
/// `abi_version` and `size` and holds `size` readable bytes, whose `name` is a
/// NUL-terminated string: what the ABI requires of `interop_plugin_entry`.
pub(crate) unsafe fn read(
    ptr: *const PluginDescriptor,
    path: &Path,
    manifest: &Manifest,
) -> Result<PluginDescriptor, PluginError> {
    let name = &manifest.name;
    let bad = |kind: fn(String) -> PluginError, msg: String| {
        Err(kind(format!("{}: {msg}", path.display())).in_plugin(name))
    };
    if ptr.is_null() {
        return bad(PluginError::exec, format!("`{ENTRY_SYMBOL}` returned NULL"));
    }
    if !ptr.is_aligned() {
        return bad(
            PluginError::exec,
            format!("`{ENTRY_SYMBOL}` returned a misaligned pointer"),
        );
    }
    // SAFETY: every version of the descriptor starts with `abi_version` and `size`.
    let (version, size) = unsafe { ((*ptr).abi_version, (*ptr).size) };
    if version != ABI_VERSION {
        return Err(PluginError::invalid_input(format!(
            "{}: ABI version mismatch: the library was built for native plugin ABI {version}, \
             this host implements ABI {ABI_VERSION}",
            path.display()
        ))
        .in_plugin(name)
        .with_data(json!({ "abiVersion": version, "expected": ABI_VERSION })));
    }
    let expected = std::mem::size_of::<PluginDescriptor>();
    if (size as usize) < expected {
        return bad(
            PluginError::invalid_input,
            format!("descriptor is {size} bytes, ABI {ABI_VERSION} needs at least {expected}"),
        );
    }
    // SAFETY: the library declares (through `size`) at least a full v1 descriptor.
    let desc = unsafe { std::ptr::read(ptr) };
    if desc.name.is_null() {
        return bad(PluginError::invalid_input, "descriptor has no name".into());
    }
    // SAFETY: the ABI requires `name` to be a NUL-terminated static string.
    let declared = unsafe { CStr::from_ptr(desc.name) }.to_string_lossy();
    if declared != manifest.name {
        return bad(
            PluginError::invalid_input,
            format!(
                "the library is plugin `{declared}`, the manifest names `{}`",
                manifest.name
            ),
        );
    }
    let missing: Vec<&str> = [
        ("free", desc.free.is_none()),
        (
            "invoke",
            !manifest.actions.is_empty() && desc.invoke.is_none(),
        ),
        (
            "get_provider",
            !manifest.providers.is_empty() && desc.get_provider.is_none(),
        ),
        (
            "on_event",
            !manifest.hooks.is_empty() && desc.on_event.is_none(),
        ),
    ]
    .into_iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| n)
    .collect();
    if !missing.is_empty() {
        return bad(
            PluginError::not_found,
            format!(
                "descriptor lacks the entry point(s) the manifest needs: {}",
                missing.join(", ")
            ),
        );
    }
    Ok(desc)
}
