//! `interop inspect x.wasm`: a bare module's imports and exports, and what kind of module
//! they make it (a WASI command, an interop plugin module, numeric functions...), with
//! the command that runs it.

use std::path::Path;
use std::process::ExitCode;

use interop_wasm::{ItemInfo, WasmBackend};
use serde_json::json;

/// Whether `path` names a module file rather than a manifest or plugin directory.
pub fn is_module(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("wasm" | "wat")
    )
}

pub fn run(path: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let info = WasmBackend::default().module_info(path)?;
    if as_json {
        let items = |items: &[ItemInfo]| -> Vec<serde_json::Value> {
            items
                .iter()
                .map(|i| json!({"module": i.module, "name": i.name, "type": i.ty}))
                .collect()
        };
        let report = json!({
            "module": path.display().to_string(),
            "kind": info.kind.as_str(),
            "imports": items(&info.imports),
            "exports": items(&info.exports),
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", path.display());
    println!("  {}", info.kind.describe());
    println!(
        "imports:   {}",
        if info.imports.is_empty() {
            "(none)"
        } else {
            ""
        }
    );
    for i in &info.imports {
        println!("  {}.{}: {}", i.module, i.name, i.ty);
    }
    println!(
        "exports:   {}",
        if info.exports.is_empty() {
            "(none)"
        } else {
            ""
        }
    );
    for e in &info.exports {
        println!("  {}: {}", e.name, e.ty);
    }
    Ok(ExitCode::SUCCESS)
}
