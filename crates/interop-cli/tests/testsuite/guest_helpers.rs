//! The guest helpers are usable outside this repository: the AssemblyScript helper as an
//! npm package folder (`npm install <path>`, then `import ... from
//! "@interop/pdk-assemblyscript"`). (The Go helper with a `replace` directive and
//! interop-pdk by path are what `interop new` projects use: tests/new.rs.)

use crate::common;

use std::process::Command;

use common::{repo, text};

#[test]
fn the_assemblyscript_helper_installs_with_npm_install_from_its_folder() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    std::fs::create_dir(dir.join("assembly")).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name": "outside", "version": "0.0.0", "private": true}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("assembly/index.ts"),
        r#"import { abortHandler, endCall, inputString, outputText } from "@interop/pdk-assemblyscript";
function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  abortHandler(message, file, line, column);
}
export function greet(): void {
  const name = inputString();
  outputText("Hello, " + (name === null ? "nobody" : name) + "!");
  endCall();
}
"#,
    )
    .unwrap();
    let helper = repo().join("examples/pdk/assemblyscript");
    let out = Command::new("npm")
        .args(["install", "--offline", "--no-audit", "--no-fund"])
        .arg(&helper)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "npm install: {}", text(&out.stderr));
    // The compiler the AssemblyScript sample pins (`cargo xtask setup` installs it).
    let asc = repo().join("examples/plugins/assemblyscript-greeter/node_modules/.bin/asc");
    let out = Command::new(asc)
        .args([
            "assembly/index.ts",
            "--outFile",
            "plugin.wasm",
            "--runtime",
            "stub",
            "--use",
            "abort=assembly/index/abort",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "asc: {}", text(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(["call", "plugin.wasm", "greet", "--input", "\"World\""])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "Hello, World!\n",
        "{}",
        text(&out.stderr)
    );
}
