#!/usr/bin/env python3
"""{{name}}: an interop plugin in Python (standard library only), over stdin/stdout.

The host speaks JSON-RPC 2.0 to it, one JSON message per line (docs/ipc.md in the interop
repository). Add actions to ACTIONS and declare them in plugin.json.
"""
import json
import os
import sys

# The host names the plugin as its manifest does: renaming it there is enough.
NAME = os.environ.get("INTEROP_PLUGIN", "{{name}}")
_next_id = 0


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def host_call(function, args):
    """Calls the host (log, env.get, fs.readFile, net.fetch, ...) and returns its answer.

    Simple on purpose: it expects the host's answer to be the next message.
    """
    global _next_id
    _next_id += 1
    send({"jsonrpc": "2.0", "id": "p%d" % _next_id, "method": "host.call",
          "params": {"function": function, "args": args}})
    reply = json.loads(sys.stdin.readline())
    if "error" in reply:
        raise RuntimeError(reply["error"].get("message"))
    return reply.get("result")


def greet(name):
    host_call("log", {"level": "info", "message": "greet %s" % name})
    return "Hello, %s!" % name


ACTIONS = {"greet": greet}


def handle(method, params):
    if method == "initialize":
        return {"name": NAME, "protocolVersion": "1.0"}
    if method == "action.invoke":
        action = ACTIONS.get(params.get("handler") or params.get("action"))
        if action is None:
            raise LookupError("no action %r" % params.get("action"))
        return {"success": True, "text": action(params.get("input"))}
    if method == "hook.event":
        return [None for _ in params.get("handlers", [])]
    if method == "shutdown":
        return None
    raise LookupError("no method %r" % method)


for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    try:
        response = {"jsonrpc": "2.0", "id": request.get("id"),
                    "result": handle(request["method"], request.get("params") or {})}
    except LookupError as e:
        response = {"jsonrpc": "2.0", "id": request.get("id"),
                    "error": {"code": -32601, "message": str(e)}}
    if "id" in request:
        send(response)
    if request.get("method") == "shutdown":
        break
