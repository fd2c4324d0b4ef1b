"""The greeter sample plugin as a WebAssembly component, in Python: componentize-py
compiles it with the interop WIT world (wit/plugin.wit) into a component that runs
CPython inside wasm, sandboxed like any other wasm plugin. It answers like the other
greeters: two actions, a provider and a hook, using log, env and fs through the host API.

It also has the handlers the tests declare in their own manifests to check that a
component stays inside its limits and grants (spin, hog, read, fetch); the sample's
plugin.json does not declare them, so the host never calls them for it.
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


def name_of(action: str, value) -> str:
    """The name an action was given: its input, a JSON string."""
    if not isinstance(value, str):
        raise fail(ErrorKind.INVALID_INPUT, f"{action}: expected the name as a JSON string")
    return value


def greet(value):
    """"World" -> "Hello, World!", prefixed by $GREETER_PREFIX and a space when granted
    and set."""
    name = name_of("greet", value)
    host.log(LogLevel.INFO, f"greet {name}")
    greeting = f"Hello, {name}!"
    prefix = host.env_get("GREETER_PREFIX")
    return f"{prefix} {greeting}" if prefix else greeting


def farewell(value):
    """"World" -> "Goodbye, World!"."""
    name = name_of("farewell", value)
    host.log(LogLevel.INFO, f"farewell {name}")
    return f"Goodbye, {name}!"


def greeting(_value):
    """Provider `greeting`: the text of data/greeting.txt, read through the host."""
    return host.read_file("data/greeting.txt").decode("utf-8", "replace").rstrip()


def on_reload(_value):
    host.log(LogLevel.INFO, "greeter: configuration reloaded")


def spin(_value):
    """Test handler: never returns (the time limit must stop it)."""
    n = 0
    while True:
        n += 1


def hog(_value):
    """Test handler: allocates 1 MiB blocks until allocation fails (the memory limit must
    stop it)."""
    blocks = []
    while True:
        blocks.append(bytearray(b"\x01" * (1 << 20)))


def read(value):
    """Test handler: the text of the file named by the input, read through the host."""
    return host.read_file(name_of("read", value)).decode("utf-8", "replace")


def fetch(value):
    """Test handler: the status of a GET of the URL given as input, fetched through the
    host."""
    request = json.dumps({"url": name_of("fetch", value)})
    return json.loads(host.fetch(request))["status"]


HANDLERS = {
    "greet": greet,
    "farewell": farewell,
    "greeting": greeting,
    "on_reload": on_reload,
    "spin": spin,
    "hog": hog,
    "read": read,
    "fetch": fetch,
}


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
