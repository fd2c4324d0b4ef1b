//! The crate's modules form a DAG: each module uses only modules listed before it in
//! [`ORDER`] (the order of the table in the crate README). The modules of `src/component/`
//! are listed as `component::<name>` (its `mod.rs` as `component`).

use std::path::Path;

/// Every module of `src/`, each after all the modules it uses.
const ORDER: &[&str] = &[
    "limits",
    "text",
    "clock",
    "failure",
    "stdio",
    "wasi",
    "state",
    "component::state",
    "host_api",
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

#[test]
fn each_module_uses_only_modules_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rust_files = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    let mut files = rust_files(&src);
    for name in rust_files(&src.join("component")) {
        files.push(match name.as_str() {
            "mod" => "component".to_owned(),
            _ => format!("component::{name}"),
        });
    }
    files.sort();
    let mut listed: Vec<String> = ORDER.iter().map(|m| m.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every module of src/ is in ORDER, once");
    for (position, module) in ORDER.iter().enumerate() {
        let file = match module.strip_prefix("component::") {
            Some(sub) => src.join("component").join(format!("{sub}.rs")),
            None if *module == "component" => src.join("component/mod.rs"),
            None => src.join(format!("{module}.rs")),
        };
        let source = std::fs::read_to_string(file).unwrap();
        for used in uses(&source) {
            let before = ORDER[..position].contains(&used.as_str());
            assert!(
                before || used == *module,
                "`{module}` uses `{used}`, which is not before it in ORDER"
            );
        }
    }
}
