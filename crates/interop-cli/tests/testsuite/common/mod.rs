//! What every test of the `interop` binary needs: the repository, and a way to run the
//! binary as a user does (from the repository root).
#![allow(dead_code)] // each test file uses its own subset

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `interop args` in the repository root.
pub fn interop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run interop")
}

/// Runs `interop args` in the repository root with `input` on its stdin (closed after it).
pub fn interop_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run interop");
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input)
        .expect("write interop's stdin");
    child.wait_with_output().expect("wait for interop")
}

/// Captured output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
