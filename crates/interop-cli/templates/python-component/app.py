"""{{name}}: an interop plugin in Python, built by componentize-py into a WebAssembly
component (CPython inside) of the interop WIT world in wit/plugin.wit.

The host calls `handle` with the name of the handler plugin.json declares and its input
as JSON text; the output goes back as JSON text, a raised `Err(Error(...))` fails the
call. The host API (log, env, files, fetch, ...) is in `wit_world.imports.host`.
"""

import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import host
from wit_world.imports.host import LogLevel
from wit_world.imports.types import Error, ErrorKind


def fail(kind: ErrorKind, message: str) -> Err:
    """An `error` of the WIT world, to raise as the handler's `err` result."""
    return Err(Error(kind=kind, message=message))


def greet(value):
    """"World" -> "Hello, World!"."""
    if not isinstance(value, str):
        raise fail(ErrorKind.INVALID_INPUT, "greet: expected the name as a JSON string")
    host.log(LogLevel.INFO, f"greet {value}")
    return f"Hello, {value}!"


HANDLERS = {"greet": greet}


class WitWorld(wit_world.WitWorld):
    def handle(self, handler: str, input: str) -> str:
        run = HANDLERS.get(handler)
        if run is None:
            raise fail(ErrorKind.NOT_FOUND, f"no handler `{handler}`")
        try:
            value = json.loads(input)
        except ValueError as e:
            raise fail(ErrorKind.PARSE, f"{handler}: input is not JSON: {e}")
        return json.dumps(run(value))
