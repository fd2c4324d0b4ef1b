"""interop: host plugins written in any language from Python, safely.

One manifest (``plugin.json``) describes a plugin; whatever its language (WebAssembly,
native code, JavaScript, a process) the host sees actions, providers and hooks, offers one
host API and applies one sandbox policy. "The manifest requests; the host grants."

- :class:`Host`: load plugins, call them (also from asyncio), grant, audit.
- :mod:`interop.ffi`, :mod:`interop.wasm`, :mod:`interop.js`, :mod:`interop.sandbox`,
  :mod:`interop.plugins`: C calls, WebAssembly modules, JavaScript, confined scripts,
  plugin discovery.

Everything runs in the interop Rust crates; this package is their Python face.
"""

from . import ffi, js, plugins, sandbox, wasm
from ._native import Action, Grants, Host, Plugin
from .errors import (
    Denied,
    ExecError,
    FsError,
    InteropError,
    InternalError,
    InvalidInput,
    LimitExceeded,
    NetworkError,
    NotFound,
    ParseError,
    TimeLimitExceeded,
    Timeout,
)

__all__ = [
    "Action",
    "Denied",
    "ExecError",
    "FsError",
    "Grants",
    "Host",
    "InteropError",
    "InternalError",
    "InvalidInput",
    "LimitExceeded",
    "NetworkError",
    "NotFound",
    "ParseError",
    "Plugin",
    "TimeLimitExceeded",
    "Timeout",
    "ffi",
    "js",
    "plugins",
    "sandbox",
    "wasm",
]
