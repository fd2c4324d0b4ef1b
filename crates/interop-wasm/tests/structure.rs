//! The crate's modules form a DAG: each module uses only modules listed before it in
//! [`ORDER`] (the order of the table in the crate README). A module with submodules (a
//! directory of `mod.rs` and more) counts as one: its files together.

use std::path::Path;

/// Every module of `src/`, each after all the modules it uses.
const ORDER: &[&str] = &[
    "limits",
    "text",
    "clock",
    "failure",
    "stdio",
    "wasi",
    "extism",
    "state",
    "host_api",
    "extism_host",
    "poll",
    "engine",
    "cache",
    "instance",
    "pool",
    "module",
    "command",
    "plugin",
    "backend",
    "lib",
];

/// The modules of this crate that `source` refers to (`crate::name`), outside comments.
fn uses(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

/// The text of `module`: its file, or every file of its directory.
fn module_source(src: &Path, module: &str) -> String {
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        return std::fs::read_to_string(file).unwrap();
    }
    let mut text = String::new();
    for entry in std::fs::read_dir(src.join(module)).unwrap() {
        text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        text.push('\n');
    }
    text
}

#[test]
fn each_module_uses_only_modules_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs") || p.join("mod.rs").is_file())
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = ORDER.iter().map(|m| m.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every module of src/ is in ORDER, once");
    for (position, module) in ORDER.iter().enumerate() {
        let source = module_source(&src, module);
        for used in uses(&source) {
            let before = ORDER[..position].contains(&used.as_str());
            assert!(
                before || used == *module,
                "`{module}` uses `{used}`, which is not before it in ORDER"
            );
        }
    }
}
