#!/usr/bin/env python3
"""The greeter sample plugin, in Python (standard library only), over stdin/stdout.

It speaks the interop plugin protocol of docs/ipc.md: JSON-RPC 2.0, one JSON message per
line. The host sends requests on stdin and reads the answers on stdout; the plugin calls
the host back (`host.call`) on the same two streams. Anything else goes to stderr, which
the host forwards to its log.
"""
import json
import sys

PROTOCOL_VERSION = "1.0"
NAME = "python-greeter"

_next_id = 0
_queued = []  # host requests that arrived while we waited for a host.call answer


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def read_message():
    """The next JSON value from stdin, or None at end of input."""
    while True:
        line = sys.stdin.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            continue
        try:
            return json.loads(line)
        except ValueError as e:
            send({"jsonrpc": "2.0", "id": None,
                  "error": {"code": -32700, "message": "Parse error: %s" % e}})


class HostError(Exception):
    def __init__(self, error):
        super().__init__(error.get("message", "host error"))
        self.error = error


def host_call(function, args):
    """Calls a host function (log, env.get, fs.readFile, ...) and waits for its answer."""
    global _next_id
    _next_id += 1
    my_id = "p%d" % _next_id
    send({"jsonrpc": "2.0", "id": my_id, "method": "host.call",
          "params": {"function": function, "args": args}})
    while True:
        message = read_message()
        if message is None:
            sys.exit(0)
        if isinstance(message, dict) and "method" not in message and message.get("id") == my_id:
            if "error" in message:
                raise HostError(message["error"])
            return message.get("result")
        _queued.append(message)  # a host request: handled after this call returns


def log(message, level="info"):
    host_call("log", {"level": level, "message": message})


# --- the plugin's actions, providers and hook handlers -------------------------------

def greet(name):
    log("greet %s" % name)
    greeting = "Hello, %s!" % name
    try:
        prefix = host_call("env.get", {"name": "GREETER_PREFIX"})
    except HostError:
        prefix = None  # not granted by the host: greet without a prefix
    return "%s %s" % (prefix, greeting) if prefix else greeting


def farewell(name):
    log("farewell %s" % name)
    return "Goodbye, %s!" % name


def greeting(_request):
    return host_call("fs.readFile", {"path": "data/greeting.txt"}).rstrip()


def on_reload(_payload):
    log("greeter: configuration reloaded")
    return None


ACTIONS = {"greet": greet, "farewell": farewell}
PROVIDERS = {"greeting": greeting}
HOOKS = {"on_reload": on_reload}


class RpcError(Exception):
    def __init__(self, code, message, kind=None):
        super().__init__(message)
        self.code, self.message, self.kind = code, message, kind

    def to_json(self):
        error = {"code": self.code, "message": self.message}
        if self.kind:
            error["data"] = {"kind": self.kind, "message": self.message, "plugin": NAME}
        return error


def handle(method, params):
    if method == "initialize":
        return {"name": NAME, "protocolVersion": PROTOCOL_VERSION}
    if method == "action.invoke":
        handler = ACTIONS.get(params.get("handler") or params.get("action"))
        if handler is None:
            raise RpcError(-32601, "no action %r" % params.get("action"), "not_found")
        name = params.get("input")
        if not isinstance(name, str):
            return {"success": False, "text": "%s: expected the name as a JSON string" % params["action"]}
        return {"success": True, "text": handler(name)}
    if method == "provider.get":
        handler = PROVIDERS.get(params.get("handler") or params.get("provider"))
        if handler is None:
            raise RpcError(-32601, "no provider %r" % params.get("provider"), "not_found")
        return {"text": handler(params)}
    if method == "hook.event":
        return [HOOKS[h](params.get("payload")) if h in HOOKS else None
                for h in params.get("handlers", [])]
    if method == "shutdown":
        return None
    raise RpcError(-32601, "Method not found: %s" % method)


def answer(message):
    """The response to one request (None for a notification)."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
    is_request = "id" in message
    try:
        result = handle(message["method"], message.get("params") or {})
        response = {"jsonrpc": "2.0", "id": message.get("id"), "result": result}
    except RpcError as e:
        response = {"jsonrpc": "2.0", "id": message.get("id"), "error": e.to_json()}
    except HostError as e:
        response = {"jsonrpc": "2.0", "id": message.get("id"),
                    "error": {"code": -32000, "message": str(e), "data": e.error.get("data")}}
    except Exception as e:  # a bug in a handler: report it, keep serving
        response = {"jsonrpc": "2.0", "id": message.get("id"),
                    "error": {"code": -32603, "message": "%s: %s" % (type(e).__name__, e)}}
    return response if is_request else None


def main():
    while True:
        message = _queued.pop(0) if _queued else read_message()
        if message is None:
            return
        if isinstance(message, list):  # a batch
            responses = [r for r in (answer(m) for m in message) if r is not None]
            if not message:
                responses = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
            if responses:
                send(responses)
            continue
        if isinstance(message, dict) and "method" not in message:
            continue  # a stray response
        response = answer(message)
        if response is not None:
            send(response)
        if isinstance(message, dict) and message.get("method") == "shutdown":
            return


if __name__ == "__main__":
    main()
