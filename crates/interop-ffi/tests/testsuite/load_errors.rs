//! Every way a library can be wrong gives a clear error at load time, never a crash.

use crate::common;

use std::path::Path;

use interop_ffi::FfiBackend;
use interop_protocol::{load_manifest, ErrorKind, LoadedManifest, PluginError};
use interop_sandbox::{Backend, HostServices, Policy};

fn write_manifest(dir: &Path, name: &str, library: &str, extra: &str) {
    let text = format!(
        r#"{{"name": "{name}", "version": "1.0.0",
            "interop": {{"protocol": "ffi", "libraryPath": "{library}"}},
            "actions": [{{"name": "hello"}}]{extra}}}"#
    );
    std::fs::write(dir.join("plugin.json"), text).unwrap();
}

fn load(loaded: &LoadedManifest) -> PluginError {
    let services = HostServices::new(Policy::from_manifest(loaded).unwrap());
    match FfiBackend::new().load(loaded, services) {
        Ok(_) => panic!("{} loaded", loaded.path.display()),
        Err(e) => e,
    }
}

/// A C plugin whose descriptor is built from `fields` (designated initialisers).
fn c_plugin(dir: &Path, fields: &str) {
    let src = dir.join("plugin.c");
    std::fs::write(
        &src,
        format!(
            r#"#include <stdlib.h>
#include "interop_plugin.h"
static int32_t invoke(void *s, const uint8_t *h, size_t hl, const uint8_t *i, size_t il,
                      uint8_t **o, size_t *ol) {{
    (void)s; (void)h; (void)hl; (void)i; (void)il; (void)o; (void)ol;
    return INTEROP_OK;
}}
static void release(void *s, uint8_t *p, size_t n) {{ (void)s; (void)n; free(p); }}
static const interop_plugin_t d = {{ {fields} }};
const interop_plugin_t *interop_plugin_entry(void) {{ return &d; }}
"#
        ),
    )
    .unwrap();
    common::cc_shared(&src, &dir.join("libplugin.so"));
}

const GOOD: &str = ".abi_version = INTEROP_ABI_VERSION, .size = sizeof(interop_plugin_t), \
                    .name = \"probe\", .invoke = invoke, .free = release";

#[test]
fn a_well_formed_plugin_loads() {
    let dir = tempfile::tempdir().unwrap();
    c_plugin(dir.path(), GOOD);
    write_manifest(dir.path(), "probe", "libplugin.so", "");
    let loaded = load_manifest(dir.path().join("plugin.json")).unwrap();
    let services = HostServices::new(Policy::from_manifest(&loaded).unwrap());
    let plugin = FfiBackend::new().load(&loaded, services).unwrap();
    let result = plugin
        .invoke(&interop_protocol::ActionInvoke::new(
            "hello",
            serde_json::Value::Null,
        ))
        .unwrap();
    assert!(result.success);
}

#[test]
fn a_library_without_the_entry_symbol_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("plain.c");
    std::fs::write(&src, "int add(int a, int b) { return a + b; }\n").unwrap();
    common::cc_shared(&src, &dir.path().join("libplain.so"));
    write_manifest(dir.path(), "plain", "libplain.so", "");
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert!(
        err.message
            .contains("does not export `interop_plugin_entry`: not an interop native plugin"),
        "{err}"
    );
    assert_eq!(err.plugin.as_deref(), Some("plain"));
}

#[test]
fn an_abi_version_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    c_plugin(
        dir.path(),
        ".abi_version = 99, .size = sizeof(interop_plugin_t), .name = \"probe\", \
         .invoke = invoke, .free = release",
    );
    write_manifest(dir.path(), "probe", "libplugin.so", "");
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    assert!(
        err.message.contains(
            "ABI version mismatch: the library was built for native plugin ABI 99, \
             this host implements ABI 1"
        ),
        "{err}"
    );
}

#[test]
fn a_truncated_descriptor_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    c_plugin(
        dir.path(),
        ".abi_version = INTEROP_ABI_VERSION, .size = 16, .name = \"probe\", \
         .invoke = invoke, .free = release",
    );
    write_manifest(dir.path(), "probe", "libplugin.so", "");
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert!(err.message.contains("descriptor is 16 bytes"), "{err}");
}

#[test]
fn a_descriptor_for_another_plugin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    c_plugin(dir.path(), GOOD);
    write_manifest(dir.path(), "someone-else", "libplugin.so", "");
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert!(
        err.message
            .contains("the library is plugin `probe`, the manifest names `someone-else`"),
        "{err}"
    );
}

#[test]
fn entry_points_the_manifest_needs_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    c_plugin(dir.path(), GOOD);
    write_manifest(
        dir.path(),
        "probe",
        "libplugin.so",
        r#", "providers": [{"name": "p"}], "hooks": [{"event": "e", "handler": "h"}]"#,
    );
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert!(
        err.message
            .contains("lacks the entry point(s) the manifest needs: get_provider, on_event"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_shared_object_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("libfake.so"), "this is a text file\n").unwrap();
    write_manifest(dir.path(), "fake", "libfake.so", "");
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert_eq!(err.kind, ErrorKind::Parse, "{err}");
    assert!(
        err.message
            .contains("is not a shared library: expected an ELF shared object"),
        "{err}"
    );

    // An ELF file the loader still refuses (an object file, not a shared library).
    let src = dir.path().join("x.c");
    std::fs::write(&src, "int x(void) { return 1; }\n").unwrap();
    let status = std::process::Command::new("cc")
        .args(["-c", "-fPIC", "-o"])
        .arg(dir.path().join("libobj.so"))
        .arg(&src)
        .status()
        .unwrap();
    assert!(status.success());
    write_manifest(dir.path(), "obj", "libobj.so", "");
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert_eq!(err.kind, ErrorKind::Parse, "{err}");
    assert!(err.message.contains("cannot load"), "{err}");
}

#[test]
fn a_missing_library_names_the_field_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), "ghost", "build/libghost.so", "");
    let err = load(&load_manifest(dir.path().join("plugin.json")).unwrap());
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert!(err.message.contains("interop.libraryPath"), "{err}");
    assert!(err.message.contains("build/libghost.so"), "{err}");
}

#[test]
fn a_library_outside_the_plugin_directory_is_refused() {
    // Manifest validation already rejects `..` and absolute paths; the backend checks
    // again on the resolved path, so a manifest built in code or a symlink swapped in
    // after validation cannot reach outside.
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside");
    let plugin_dir = root.path().join("plugin");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(&plugin_dir).unwrap();
    c_plugin(&outside, GOOD);

    write_manifest(&plugin_dir, "probe", "libplugin.so", "");
    let base = load_manifest(plugin_dir.join("plugin.json")).unwrap();

    let mut dotdot = base.clone();
    if let interop_protocol::Interop::Ffi(f) = &mut dotdot.manifest.interop {
        f.library_path = "../outside/libplugin.so".into();
    }
    let err = load(&dotdot);
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    assert!(
        err.message.contains("outside the plugin directory"),
        "{err}"
    );

    std::os::unix::fs::symlink(
        outside.join("libplugin.so"),
        plugin_dir.join("libplugin.so"),
    )
    .unwrap();
    let err = load(&base);
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    assert!(
        err.message.contains("outside the plugin directory"),
        "{err}"
    );
}

#[test]
fn a_fifo_or_a_directory_as_the_library_is_refused_at_once() {
    // Opening a FIFO for reading blocks until a writer comes: the host would hang on a
    // plugin directory holding one. It is opened non-blocking and refused instead.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("libplugin.so");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    write_manifest(dir.path(), "probe", "libplugin.so", "");
    let loaded = load_manifest(dir.path().join("plugin.json")).unwrap();
    let started = std::time::Instant::now();
    let err = load(&loaded);
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    assert!(
        err.message.contains(
            "interop.libraryPath: library `libplugin.so` (", // its resolved path follows
        ) && err
            .message
            .ends_with("a FIFO (named pipe) is not a regular file"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    std::fs::remove_file(&fifo).unwrap();
    std::fs::create_dir(&fifo).unwrap();
    let err = load(&loaded);
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    assert!(
        err.message.ends_with("a directory is not a regular file"),
        "{err}"
    );
}
