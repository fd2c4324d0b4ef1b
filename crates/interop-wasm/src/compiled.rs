//! What the module cache holds: a compiled core module ([`Compiled`]) or component
//! ([`CompiledComponent`]), each with the linked `InstancePre` the plugins of its engine
//! share once one needed it, and how wasm bytes are told to be one or the other
//! ([`is_component`]; text, `.wat`, is a core module).

use std::sync::{Arc, OnceLock};

use wasmtime::component::{self, Component};
use wasmtime::{Engine, InstancePre, Linker, Module};

use crate::component::state::ComponentState;
use crate::failure::first_line;
use crate::state::State;

/// A compiled module and, once some plugin needed it, the module linked against the
/// engine's linker (the same for every plugin of the engine, so linked once).
pub(crate) struct Compiled {
    pub module: Module,
    linked: OnceLock<Result<InstancePre<State>, String>>,
}

impl Compiled {
    pub fn new(module: Module) -> Arc<Self> {
        Arc::new(Compiled {
            module,
            linked: OnceLock::new(),
        })
    }

    /// The module linked by `linker` (the linker of the engine it was compiled for), or
    /// why it cannot be.
    pub fn linked(&self, linker: &Linker<State>) -> Result<&InstancePre<State>, &str> {
        self.linked
            .get_or_init(|| {
                linker
                    .instantiate_pre(&self.module)
                    .map_err(|e| first_line(&e))
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

/// A compiled component and, once some plugin needed it, the component linked against
/// the engine's component linker (WASI 0.2 and the interop world's host API).
pub(crate) struct CompiledComponent {
    pub component: Component,
    linked: OnceLock<Result<component::InstancePre<ComponentState>, String>>,
}

impl CompiledComponent {
    pub fn new(component: Component) -> Arc<Self> {
        Arc::new(CompiledComponent {
            component,
            linked: OnceLock::new(),
        })
    }

    /// The component linked by `linker`, or why it cannot be.
    pub fn linked(
        &self,
        linker: &component::Linker<ComponentState>,
    ) -> Result<&component::InstancePre<ComponentState>, &str> {
        self.linked
            .get_or_init(|| {
                linker
                    .instantiate_pre(&self.component)
                    .map_err(|e| first_line(&e))
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

/// What the cache holds for some wasm bytes: a core module or a component.
#[derive(Clone)]
pub(crate) enum Artifact {
    /// A core module.
    Module(Arc<Compiled>),
    /// A component.
    Component(Arc<CompiledComponent>),
}

impl Artifact {
    /// Compiles `bytes` as a component or a core module, as their header says.
    pub fn compile(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Self> {
        Ok(if is_component(bytes) {
            Artifact::Component(CompiledComponent::new(Component::new(engine, bytes)?))
        } else {
            Artifact::Module(Compiled::new(Module::new(engine, bytes)?))
        })
    }

    /// What wasmtime writes of it to a `.cwasm` file.
    pub fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        match self {
            Artifact::Module(compiled) => compiled.module.serialize(),
            Artifact::Component(compiled) => compiled.component.serialize(),
        }
    }
}

/// Whether `bytes` are a binary component (the preamble's layer field is 1) rather than a
/// core module or text.
pub(crate) fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [1, 0]
}
