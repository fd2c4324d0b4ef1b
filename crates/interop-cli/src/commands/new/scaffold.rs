//! What `interop new` writes for each language: the source files (the guest helper of
//! the language copied in, so a plugin builds on its own), the manifest's `interop`
//! section, and the command that builds the plugin.

use interop_setup::helpers;
use serde_json::{json, Value};

use super::component::{self, ComponentLang};

/// The languages `interop new` scaffolds: every guest interop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust compiled to wasm32-wasip1 on interop-pdk (protocol `wasm`).
    Rust,
    /// Standard Go (>= 1.24) for wasip1 on the Go guest helper (protocol `wasm`).
    Go,
    /// AssemblyScript on the AssemblyScript guest helper (protocol `wasm`).
    Assemblyscript,
    /// C compiled to wasm32-wasi by clang, on the C guest header (protocol `wasm`).
    C,
    /// JavaScript in a V8 isolate (protocol `js`).
    Javascript,
    /// A Python script over stdin/stdout (protocol `subprocess`), standard library only.
    Python,
    /// A Node.js script over stdin/stdout (protocol `subprocess`), no npm packages.
    Node,
    /// A Rust shared library on the native ABI (protocol `ffi`).
    RustNative,
    /// A C shared library on the native ABI (protocol `ffi`).
    CNative,
    /// A WebAssembly text module (protocol `wasm`), no toolchain needed.
    Wat,
    /// Rust built by wit-bindgen into a WebAssembly component (wasm32-wasip2).
    RustComponent,
    /// Python built by componentize-py into a WebAssembly component.
    PythonComponent,
    /// JavaScript built by componentize-js into a WebAssembly component.
    JsComponent,
}

/// The names a template needs.
pub struct Names {
    /// The plugin's name (the directory's), as in the manifest.
    pub plugin: String,
    /// The `interop-pdk` line of a Rust guest's `[dependencies]`.
    pub pdk_dependency: String,
    /// The componentize-py program, as a shell word (`interop setup python-component`
    /// installs it).
    pub componentize_py: String,
}

impl Names {
    /// The name as a Rust crate's library file has it (`-` becomes `_`).
    pub fn crate_name(&self) -> String {
        self.plugin.replace('-', "_")
    }
}

/// A plugin to write.
pub struct Scaffold {
    /// The manifest's `language`.
    pub language: &'static str,
    /// The manifest's `interop` section.
    pub interop: Value,
    /// Files to write, by path relative to the plugin directory.
    pub files: Vec<(&'static str, String)>,
    /// Empty directories the build writes into.
    pub dirs: &'static [&'static str],
    /// The command that builds the plugin, run in its directory (none for scripts).
    pub build: Option<String>,
}

/// The build command of C guests: Debian's clang with wasi-libc (`interop setup c`).
const C_BUILD: &str = "clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -s \
                       -I include -o dist/plugin.wasm src/plugin.c";

/// The scaffold of `lang` for the plugin `names`.
pub fn scaffold(lang: Lang, names: &Names) -> Scaffold {
    let fill = |template: &str| {
        template
            .replace("{{name}}", &names.plugin)
            .replace("{{package}}", &names.plugin.to_lowercase())
            .replace("{{pdk_dependency}}", &names.pdk_dependency)
    };
    let crate_name = names.crate_name();
    let wasm = |path: String| json!({"protocol": "wasm", "wasmPath": path});
    let process = |command: &str, script: &str| json!({"protocol": "subprocess", "command": command, "args": [script]});
    match lang {
        Lang::Rust => Scaffold {
            language: "rust",
            interop: wasm(format!("target/wasm32-wasip1/release/{crate_name}.wasm")),
            files: vec![
                (
                    "Cargo.toml",
                    fill(include_str!("../../../templates/rust/Cargo.toml.in")),
                ),
                (
                    "src/lib.rs",
                    fill(include_str!("../../../templates/rust/lib.rs")),
                ),
            ],
            dirs: &[],
            build: Some("cargo build --release --target wasm32-wasip1".into()),
        },
        Lang::Go => Scaffold {
            language: "go",
            interop: wasm("dist/plugin.wasm".into()),
            files: vec![
                (
                    "go.mod",
                    fill(include_str!("../../../templates/go/go.mod.in")),
                ),
                (
                    "main.go",
                    fill(include_str!("../../../templates/go/main.go")),
                ),
                ("interop/go.mod", helpers::GO[0].1.to_owned()),
                ("interop/interop.go", helpers::GO[1].1.to_owned()),
            ],
            dirs: &["dist"],
            build: Some(
                "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o dist/plugin.wasm .".into(),
            ),
        },
        Lang::Assemblyscript => Scaffold {
            language: "assemblyscript",
            interop: wasm("dist/plugin.wasm".into()),
            files: vec![
                (
                    "package.json",
                    fill(include_str!(
                        "../../../templates/assemblyscript/package.json.in"
                    )),
                ),
                (
                    "assembly/index.ts",
                    fill(include_str!("../../../templates/assemblyscript/index.ts")),
                ),
                ("assembly/interop.ts", helpers::ASSEMBLYSCRIPT.to_owned()),
            ],
            dirs: &["dist"],
            build: Some("npm install --no-audit --no-fund && npm run build".into()),
        },
        Lang::C => Scaffold {
            language: "c",
            interop: wasm("dist/plugin.wasm".into()),
            files: vec![
                (
                    "src/plugin.c",
                    fill(include_str!("../../../templates/c/plugin.c")),
                ),
                ("include/interop.h", helpers::C_WASM.to_owned()),
            ],
            dirs: &["dist"],
            build: Some(C_BUILD.into()),
        },
        Lang::Javascript => Scaffold {
            language: "javascript",
            interop: json!({"protocol": "js", "scriptPath": "plugin.js"}),
            files: vec![(
                "plugin.js",
                fill(include_str!("../../../templates/javascript.js")),
            )],
            dirs: &[],
            build: None,
        },
        Lang::Python => Scaffold {
            language: "python",
            interop: process("python3", "plugin.py"),
            files: vec![(
                "plugin.py",
                fill(include_str!("../../../templates/python.py")),
            )],
            dirs: &[],
            build: None,
        },
        Lang::Node => Scaffold {
            language: "javascript",
            interop: process("node", "plugin.js"),
            files: vec![(
                "plugin.js",
                fill(include_str!("../../../templates/node/plugin.js")),
            )],
            dirs: &[],
            build: None,
        },
        Lang::RustNative => Scaffold {
            language: "rust",
            interop: json!({"protocol": "ffi", "libraryPath": format!("target/release/lib{crate_name}.so")}),
            files: vec![
                (
                    "Cargo.toml",
                    fill(include_str!("../../../templates/rust-native/Cargo.toml.in")),
                ),
                (
                    "src/lib.rs",
                    fill(include_str!("../../../templates/rust-native/lib.rs")),
                ),
            ],
            dirs: &[],
            build: Some("cargo build --release".into()),
        },
        Lang::CNative => Scaffold {
            language: "c",
            interop: json!({"protocol": "ffi", "libraryPath": "build/libplugin.so"}),
            files: vec![
                (
                    "src/plugin.c",
                    fill(include_str!("../../../templates/c-native/plugin.c")),
                ),
                ("include/interop_plugin.h", helpers::C_NATIVE.to_owned()),
            ],
            dirs: &["build"],
            build: Some(
                "cc -shared -fPIC -O2 -Wall -I include -o build/libplugin.so src/plugin.c".into(),
            ),
        },
        Lang::RustComponent => component::scaffold(ComponentLang::Rust, names, fill),
        Lang::PythonComponent => component::scaffold(ComponentLang::Python, names, fill),
        Lang::JsComponent => component::scaffold(ComponentLang::JavaScript, names, fill),
        Lang::Wat => {
            // The answer is the JSON string "Hello from <name>!", quotes included.
            let answer_len = format!("\"Hello from {}!\"", names.plugin).len();
            let source = fill(include_str!("../../../templates/module.wat"))
                .replace("{{wat_len}}", &answer_len.to_string());
            Scaffold {
                language: "wat",
                interop: wasm("plugin.wat".into()),
                files: vec![("plugin.wat", source)],
                dirs: &[],
                build: None,
            }
        }
    }
}
