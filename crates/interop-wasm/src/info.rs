//! What a module is, read from its imports and exports without running it
//! ([`ModuleInfo`], behind `interop inspect x.wasm`).

use wasmtime::{ExternType, Module};

/// One import or export of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemInfo {
    /// The module an import comes from (`env`, `wasi_snapshot_preview1`); empty for an
    /// export.
    pub module: String,
    /// The item's name.
    pub name: String,
    /// Its type, as wasmtime writes it (`(func (param i32 i32) (result i32))`, `memory`).
    pub ty: String,
    /// Whether it is a function that takes or returns numbers, and nothing else (so it is
    /// called with `interop run --invoke`, not as a plugin entry point).
    pub numeric_func: bool,
}

/// What kind of module it is, as far as its imports and exports tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    /// Exports `_start`: a WASI command, run with `interop run`.
    Command,
    /// Imports interop's host API (`env.ft_*`): a plugin module, loaded through its
    /// `plugin.json`.
    Plugin,
    /// Exports functions that take and return nothing (or `_initialize`): entry points a
    /// manifest can name as handlers (docs/abi.md).
    Reactor,
    /// Exports functions of numbers only: called with `interop run --invoke`.
    Library,
    /// None of the above.
    Other,
}

impl ModuleKind {
    /// A sentence a person reads: what the module is and which command runs it.
    pub fn describe(self) -> &'static str {
        match self {
            ModuleKind::Command => "a WASI command (exports `_start`): run it with `interop run MODULE [ARGS]`",
            ModuleKind::Plugin => "an interop plugin module (imports the host API `env.ft_*`): load it through a plugin.json (`interop new`, docs/abi.md)",
            ModuleKind::Reactor => "a reactor module (exports `() -> ()` functions): a plugin.json can name them as handlers (docs/abi.md)",
            ModuleKind::Library => "a module of numeric functions: call one with `interop run MODULE --invoke FUNC ARGS...`",
            ModuleKind::Other => "a module with no entry point interop knows (no `_start`, no handlers, no numeric exports)",
        }
    }

    /// A short name for programs (`command`, `plugin`, `reactor`, `library`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Command => "command",
            ModuleKind::Plugin => "plugin",
            ModuleKind::Reactor => "reactor",
            ModuleKind::Library => "library",
            ModuleKind::Other => "other",
        }
    }
}

/// A module's imports and exports, and what kind of module they make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Its imports, in order.
    pub imports: Vec<ItemInfo>,
    /// Its exports, in order.
    pub exports: Vec<ItemInfo>,
    /// What it is.
    pub kind: ModuleKind,
}

impl ModuleInfo {
    /// Reads the imports and exports of a compiled module.
    pub(crate) fn of(module: &Module) -> Self {
        let imports: Vec<ItemInfo> = module
            .imports()
            .map(|i| item(i.module(), i.name(), &i.ty()))
            .collect();
        let exports: Vec<ItemInfo> = module
            .exports()
            .map(|e| item("", e.name(), &e.ty()))
            .collect();
        let exported = |name: &str| exports.iter().any(|e| e.name == name);
        let kind = if exported("_start") {
            ModuleKind::Command
        } else if imports
            .iter()
            .any(|i| i.module == "env" && i.name.starts_with("ft_"))
        {
            ModuleKind::Plugin
        } else if exported("_initialize") || module.exports().any(|e| is_entry_point(&e.ty())) {
            ModuleKind::Reactor
        } else if exports.iter().any(|e| e.numeric_func) {
            ModuleKind::Library
        } else {
            ModuleKind::Other
        };
        ModuleInfo {
            imports,
            exports,
            kind,
        }
    }
}

fn item(module: &str, name: &str, ty: &ExternType) -> ItemInfo {
    let (ty_text, numeric_func) = match ty {
        ExternType::Func(f) => (
            f.to_string(),
            f.params().chain(f.results()).all(|t| t.is_num())
                && f.params().len() + f.results().len() > 0,
        ),
        ExternType::Memory(m) => (format!("{m:?}"), false),
        ExternType::Global(g) => (format!("global {}", g.content()), false),
        ExternType::Table(t) => (format!("table of {}", t.element()), false),
        ExternType::Tag(_) => ("tag".to_owned(), false),
    };
    ItemInfo {
        module: module.to_owned(),
        name: name.to_owned(),
        ty: ty_text,
        numeric_func,
    }
}

/// A function that takes and returns nothing: the shape of a plugin entry point.
fn is_entry_point(ty: &ExternType) -> bool {
    matches!(ty, ExternType::Func(f) if f.params().len() == 0 && f.results().len() == 0)
}
