"""WebAssembly modules in wasmtime (interop-wasm): nothing granted, 64 MiB and 10 s per
call by default."""

from ._native import Instance, available, instantiate, instantiate_wat

__all__ = ["Instance", "available", "instantiate", "instantiate_wat"]
