//! docs/guides/<lang>.md show what `interop new greeter --lang <lang>` writes: every file
//! a guide shows under its own heading (`## plugin.json`, `## src/lib.rs`...) is the
//! generated file, and the build command is the one `interop new` prints (with the
//! user's data directory written as `~/.local/share/interop`).

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{repo, text};

/// Guide, and the `--lang` it documents.
const GUIDES: [(&str, &str); 12] = [
    ("rust", "rust"),
    ("go", "go"),
    ("assemblyscript", "assemblyscript"),
    ("c", "c"),
    ("javascript", "javascript"),
    ("python", "python"),
    ("node", "node"),
    ("native-c", "c-native"),
    ("native-rust", "rust-native"),
    ("rust-component", "rust-component"),
    ("python-component", "python-component"),
    ("js-component", "js-component"),
];

/// Where the guides say interop-pdk is, for the Rust guide's Cargo.toml.
const PDK_IN_GUIDES: &str = "/path/to/interop/crates/interop-pdk";

/// Where the guides say interop's data directory is (`interop setup` installs there; a
/// Python component's build step names the componentize-py in it).
const DATA_IN_GUIDES: &str = "~/.local/share/interop";

/// The first fenced block of a section's text.
fn first_block(section: &str) -> Option<String> {
    let start = section.find("```")?;
    let body = &section[start..];
    let body = &body[body.find('\n')? + 1..];
    Some(body[..body.find("```")?].to_owned())
}

#[test]
fn every_guide_shows_what_interop_new_writes() {
    let pdk = repo().join("crates/interop-pdk").canonicalize().unwrap();
    for (guide, lang) in GUIDES {
        let page = std::fs::read_to_string(repo().join(format!("docs/guides/{guide}.md"))).unwrap();
        let work = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_interop"))
            .args(["new", "greeter", "--lang", lang, "--pdk-path"])
            .arg(&pdk)
            .current_dir(work.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{lang}: {}", text(&out.stderr));
        let printed = text(&out.stdout);
        if let Some(build) = printed.lines().find_map(|l| l.strip_prefix("build: ")) {
            let data = interop_setup::data_dir().unwrap().display().to_string();
            let build = build.replace(&data, DATA_IN_GUIDES);
            assert!(
                page.contains(&build),
                "{guide}.md lacks the build step `{build}`"
            );
        }
        assert!(
            page.contains(&format!("interop new greeter --lang {lang}")),
            "{guide}.md"
        );
        let mut shown = 0;
        for section in page.split("\n## ").skip(1) {
            let heading = section.lines().next().unwrap_or_default().trim();
            let file = work.path().join("greeter").join(heading);
            if !Path::new(&file).is_file() {
                continue;
            }
            let written = std::fs::read_to_string(&file)
                .unwrap()
                .replace(&pdk.display().to_string(), PDK_IN_GUIDES);
            let block = first_block(section).unwrap_or_default();
            assert_eq!(
                block.trim_end(),
                written.trim_end(),
                "docs/guides/{guide}.md, section `{heading}`, differs from what `interop new` writes"
            );
            shown += 1;
        }
        assert!(
            shown >= 2,
            "{guide}.md shows {shown} generated files (plugin.json and a source expected)"
        );
    }
}
