"""The interop tutorial (FFI, WASM, JavaScript, sandboxed scripts, plugins), each step
written with the `interop` package alone.

    python bindings/python/examples/tutorial.py

prints 123 (C's atoi), 5 (a WAT module's add), 5 (a Node module's add), what the
sandboxed script printed, and the example plugin's greeting.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

# 1) FFI: a C function called with declared types.
from interop.ffi import load

lib = load("c" if os.name != "nt" else "msvcrt")
atoi = lib.func("atoi", restype="i64", argtypes=["cstr"])
print(atoi("123"))  # -> 123

# 2) WASM: instantiate a WAT module and call an export.
from interop import wasm

if not wasm.available():
    print("wasm is not available")
else:
    wat = """
    (module
      (func $add (param $a i32) (param $b i32) (result i32)
        local.get $a
        local.get $b
        i32.add)
      (export "add" (func $add)))
    """
    inst = wasm.instantiate_wat(wat)
    print(inst.call("add", 2, 3))  # -> 5

# 3) JavaScript bridge (Node): module.exports = { add: (a, b) => a + b }
from interop import js

if not js.AVAILABLE:
    print("node not available; skip JS example")
else:
    res = js.call(REPO / "examples/plugins/node-bridge/example.js", "add", [2, 3])
    print(res)  # -> 5

# Untrusted JavaScript, in a confined subprocess with a timeout and a memory limit.
from interop import sandbox

done = sandbox.run_file(HERE / "untrusted.js", timeout=5.0, memory_limit=64 * 1024 * 1024)
print(done.stdout.strip())  # -> 1 4 9

# 4) Plugins: a Python package's plugin object registered, then discovered by name.
from interop import plugins

sys.path.insert(0, str(HERE / "example_plugin"))
from example_plugin import plugin

plugins.register_builtin("example", plugin.load())
found = plugins.discover_plugins()
print(found["example"].hello())  # 'hello from example plugin'
