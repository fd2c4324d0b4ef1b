//! What `interop new` writes for WebAssembly component plugins (docs/components.md): a
//! project of the interop WIT world in Rust (wit-bindgen), Python (componentize-py) or
//! JavaScript (componentize-js), with the world copied into its `wit/plugin.wit`.

use interop_setup::helpers;
use serde_json::json;

use super::scaffold::{Names, Scaffold};

/// Where a component project keeps the world its bindings come from.
const WIT_PATH: &str = "wit/plugin.wit";

/// The JavaScript sample's lock file (the template links to it, so the packaged crate
/// carries it): a new project installs the very versions of componentize-js and its
/// dependencies that interop builds and tests its sample with.
const JS_LOCK: &str = include_str!("../../../templates/js-component/package-lock.json");
/// The sample's name in its lock file, replaced by the new project's.
const JS_LOCK_NAME: &str = "\"name\": \"js-component-greeter\"";

/// The component languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentLang {
    Rust,
    Python,
    JavaScript,
}

/// The manifest's `interop` section of a component at `path`.
fn component(path: String) -> serde_json::Value {
    json!({"protocol": "wasm", "wasmPath": path, "wasmAbi": "component"})
}

/// The scaffold of a component plugin in `lang`; `fill` puts the names into a template.
pub fn scaffold(lang: ComponentLang, names: &Names, fill: impl Fn(&str) -> String) -> Scaffold {
    let wit = (WIT_PATH, helpers::WIT_PLUGIN.to_owned());
    match lang {
        ComponentLang::Rust => Scaffold {
            language: "rust",
            interop: component(format!(
                "target/wasm32-wasip2/release/{}.wasm",
                names.crate_name()
            )),
            files: vec![
                (
                    "Cargo.toml",
                    fill(include_str!(
                        "../../../templates/rust-component/Cargo.toml.in"
                    )),
                ),
                (
                    "src/lib.rs",
                    fill(include_str!("../../../templates/rust-component/lib.rs")),
                ),
                wit,
            ],
            dirs: &[],
            build: Some("cargo build --release --target wasm32-wasip2".into()),
        },
        ComponentLang::Python => Scaffold {
            language: "python",
            interop: component("dist/plugin.wasm".into()),
            files: vec![
                (
                    "app.py",
                    fill(include_str!("../../../templates/python-component/app.py")),
                ),
                wit,
            ],
            dirs: &["dist"],
            build: Some(format!(
                "{} -d wit -w plugin componentize app -o dist/plugin.wasm",
                names.componentize_py
            )),
        },
        ComponentLang::JavaScript => Scaffold {
            language: "javascript",
            interop: component("dist/plugin.wasm".into()),
            files: vec![
                (
                    "package.json",
                    fill(include_str!(
                        "../../../templates/js-component/package.json.in"
                    )),
                ),
                ("package-lock.json", js_lock(&fill("{{package}}"))),
                (
                    "src/plugin.js",
                    fill(include_str!("../../../templates/js-component/plugin.js")),
                ),
                wit,
            ],
            dirs: &["dist"],
            build: Some("npm install --no-audit --no-fund && npm run build".into()),
        },
    }
}

/// The sample's lock file under the name `package`.
fn js_lock(package: &str) -> String {
    JS_LOCK.replace(JS_LOCK_NAME, &format!("\"name\": {package:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template's package.json asks for what the lock file pins, and the lock names
    /// the new project (at its top and as its root package) and nothing else.
    #[test]
    fn the_js_lock_file_matches_the_template() {
        let template: serde_json::Value = serde_json::from_str(
            &include_str!("../../../templates/js-component/package.json.in")
                .replace("{{package}}", "p")
                .replace("{{name}}", "p"),
        )
        .unwrap();
        let lock: serde_json::Value = serde_json::from_str(&js_lock("p")).unwrap();
        assert_eq!(lock["name"], "p");
        assert_eq!(lock["packages"][""]["name"], "p");
        assert_eq!(
            lock["packages"][""]["devDependencies"],
            template["devDependencies"]
        );
        assert_eq!(JS_LOCK.matches(JS_LOCK_NAME).count(), 2);
    }
}
