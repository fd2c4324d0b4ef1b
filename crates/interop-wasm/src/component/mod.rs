//! WebAssembly components (WASI 0.2) of the `interop:plugin` WIT world (`wit/plugin.wit`,
//! `docs/components.md`), run beside core modules with the same engines, cache, limits,
//! grants and audit: what a component's store holds (`state`), the world's host imports
//! and the component linker (`host`), WASI 0.2 waits bounded by the call's deadline
//! (`poll`), and the loaded plugin (`plugin`).

pub(crate) mod host;
pub(crate) mod plugin;
pub(crate) mod poll;
pub(crate) mod state;
