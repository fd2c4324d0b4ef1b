//! docs/getting-started.md works as written: its `sh` blocks, in order, in an empty
//! directory, with this build's `interop` first on PATH, print what the page says.

use crate::common;

use std::process::Command;

use common::{repo, text};

/// The `sh` blocks of a Markdown page, in order (`console` blocks are not run).
fn sh_blocks(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            Some(_) if line.trim_end() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[test]
fn getting_started_runs_as_written() {
    let page = std::fs::read_to_string(repo().join("docs/getting-started.md")).unwrap();
    let blocks = sh_blocks(&page);
    assert!(
        blocks.len() >= 5,
        "expected the page's sh blocks, found {}",
        blocks.len()
    );
    let work = tempfile::tempdir().unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_interop"))
        .parent()
        .unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    let script = format!("set -eu\n{}", blocks.concat());
    let out = Command::new("sh")
        .args(["-c", &script])
        .current_dir(work.path())
        .env("PATH", std::env::join_paths(paths).unwrap())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    for expected in ["Hello, World!", "Good morning, World!"] {
        assert!(lines.contains(&expected), "no `{expected}` in:\n{stdout}");
    }
    // The native plugin's greeting comes last.
    assert_eq!(lines.last(), Some(&"Hello, World!"), "{stdout}");
}
