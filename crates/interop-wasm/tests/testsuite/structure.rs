//! The crate's modules form a DAG: each module uses only modules listed before it in
//! [`ORDER`] (the order of the table in the crate README). The modules of `src/component/`
//! are listed as `component::<name>` (its `mod.rs` as `component`); another module with
//! submodules (a directory of `mod.rs` and more) counts as one: its files together.

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
    "component::state",
    "host_api",
    "extism_host",
    "poll",
    "engine",
    "compiled",
    "cache",
    "abi",
    "instance",
    "pool",
    "module",
    "command",
    "component::poll",
    "component::host",
    "component::plugin",
    "component",
    "plugin",
    "info",
    "backend",
    "lib",
];

/// The modules of this crate that `source` refers to (`crate::name`, or
/// `crate::component::name`), outside comments.
fn uses(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let ident = |text: &str| -> String {
                text.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect()
            };
            let mut name = ident(rest);
            if let Some(sub) = rest.strip_prefix("component::") {
                name = format!("component::{}", ident(sub));
            }
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
    let entries = |dir: &Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let stem = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let mut files = Vec::new();
    for path in entries(&src) {
        if path.extension().is_some_and(|e| e == "rs") {
            files.push(stem(&path));
        } else if path.ends_with("component") {
            for sub in entries(&path) {
                files.push(match stem(&sub).as_str() {
                    "mod" => "component".to_owned(),
                    name => format!("component::{name}"),
                });
            }
        } else if path.join("mod.rs").is_file() {
            files.push(stem(&path));
        }
    }
    files.sort();
    let mut listed: Vec<String> = ORDER.iter().map(|m| m.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every module of src/ is in ORDER, once");
    for (position, module) in ORDER.iter().enumerate() {
        let source = match module.strip_prefix("component::") {
            Some(sub) => {
                std::fs::read_to_string(src.join("component").join(format!("{sub}.rs"))).unwrap()
            }
            None if *module == "component" => {
                std::fs::read_to_string(src.join("component/mod.rs")).unwrap()
            }
            None => module_source(&src, module),
        };
        for used in uses(&source) {
            let before = ORDER[..position].contains(&used.as_str());
            assert!(
                before || used == *module,
                "`{module}` uses `{used}`, which is not before it in ORDER"
            );
        }
    }
}
