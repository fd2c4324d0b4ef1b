"""A client of `interop serve` (docs/serve.md): JSON-RPC 2.0, one JSON value per line,
over a Unix socket or TCP. Standard library only, Python 3.9+.

    from interop_client import Client

    with Client.connect("unix:/run/user/1000/interop.sock") as host:
        greeter = host.load("/path/to/examples/plugins/rust-greeter")
        print(host.invoke(greeter["name"], "greet", "World")["text"])

Calls may be made from several threads at once; each waits for its own answer.
Notifications (plugin log lines, reload events) go to `on_notification(method, params)`
and the last 1000 are also kept in `notifications`.
"""

import collections
import itertools
import json
import os
import socket
import threading

__all__ = ["Client", "InteropError", "ConnectionClosed"]


class InteropError(Exception):
    """A JSON-RPC error from the server. `kind`, `plugin` and `data` come from the
    interop error in the response's `data` (see docs/serve.md)."""

    def __init__(self, error):
        self.code = error.get("code")
        self.rpc_message = error.get("message", "")
        detail = error.get("data") if isinstance(error.get("data"), dict) else {}
        self.kind = detail.get("kind")
        self.plugin = detail.get("plugin")
        self.data = detail.get("data")
        self.message = detail.get("message") or self.rpc_message
        super().__init__(f"{self.rpc_message} (code {self.code})")


class ConnectionClosed(Exception):
    """The connection ended before the answer came."""


class Client:
    """One connection to an `interop serve` server."""

    def __init__(self, sock, token=None, on_notification=None, timeout=60.0):
        self._sock = sock
        self._file = sock.makefile("rb")
        self._send_lock = threading.Lock()
        self._pending = {}
        self._pending_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = None
        self.timeout = timeout
        self.on_notification = on_notification
        self.notifications = collections.deque(maxlen=1000)
        self._reader = threading.Thread(target=self._read, name="interop-client", daemon=True)
        self._reader.start()
        if token is not None:
            self.call("auth", token=token)

    @classmethod
    def connect(cls, address, token=None, **options):
        """Connects to `unix:PATH` or `tcp:HOST:PORT` (as `interop serve` prints it).
        The token defaults to the environment variable INTEROP_SERVE_TOKEN."""
        if token is None:
            token = os.environ.get("INTEROP_SERVE_TOKEN")
        scheme, _, rest = address.partition(":")
        if scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(rest)
        elif scheme == "tcp":
            host, _, port = rest.rpartition(":")
            sock = socket.create_connection((host.strip("[]"), int(port)))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            raise ValueError(f"address {address!r} is neither unix:PATH nor tcp:HOST:PORT")
        return cls(sock, token=token, **options)

    # -- the protocol ---------------------------------------------------------------

    def call(self, method, **params):
        """Calls `method` with named params; returns its result or raises InteropError."""
        request_id = next(self._ids)
        waiter = {"done": threading.Event()}
        with self._pending_lock:
            if self._closed is not None:
                raise ConnectionClosed(self._closed)
            self._pending[request_id] = waiter
        message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        try:
            self._send(message)
            if not waiter["done"].wait(self.timeout):
                raise TimeoutError(f"`{method}` got no answer within {self.timeout} s")
        finally:
            with self._pending_lock:
                self._pending.pop(request_id, None)
        if "closed" in waiter:
            raise ConnectionClosed(waiter["closed"])
        response = waiter["response"]
        if "error" in response:
            raise InteropError(response["error"])
        return response.get("result")

    def _send(self, message):
        line = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        with self._send_lock:
            self._sock.sendall(line)

    def _read(self):
        reason = "the server closed the connection"
        try:
            for line in self._file:
                if line.strip():
                    self._dispatch(json.loads(line))
        except (OSError, ValueError) as e:
            reason = f"the connection failed: {e}"
        with self._pending_lock:
            self._closed = reason
            waiters = list(self._pending.values())
        for waiter in waiters:
            waiter["closed"] = reason
            waiter["done"].set()

    def _dispatch(self, message):
        if "method" in message:
            self.notifications.append((message["method"], message.get("params")))
            if self.on_notification is not None:
                self.on_notification(message["method"], message.get("params"))
            return
        with self._pending_lock:
            waiter = self._pending.get(message.get("id"))
            if waiter is None and message.get("id") is None and "error" in message:
                # The server could not read a request and cannot say which: fail them all.
                waiters = list(self._pending.values())
            else:
                waiters = [waiter] if waiter is not None else []
        for waiter in waiters:
            waiter["response"] = message
            waiter["done"].set()

    def close(self):
        """Closes the connection."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the methods ----------------------------------------------------------------

    def load(self, path):
        """Loads the plugin at `path` (a plugin.json or its directory, as the server sees
        it); returns its name, version, protocol, actions, providers and hooks."""
        return self.call("plugin.load", path=str(path))

    def list(self):
        """The loaded plugins, described as `load` describes them."""
        return self.call("plugin.list")

    def unload(self, plugin):
        return self.call("plugin.unload", plugin=plugin)

    def reload(self, plugin):
        return self.call("plugin.reload", plugin=plugin)

    def invoke(self, plugin, action, input=None):
        """Runs an action; returns its result: {success, text, data, error}."""
        return self.call("action.invoke", plugin=plugin, action=action, input=input)

    def provider(self, plugin, provider):
        return self.call("provider.get", plugin=plugin, provider=provider)

    def emit(self, event, payload=None):
        """Delivers a hook event; returns {"results": {plugin: value}, "errors": {...}}."""
        return self.call("hook.emit", event=event, payload=payload)

    def metrics(self, plugin=None):
        """Metrics of one plugin, or a list of every plugin's."""
        if plugin is None:
            return self.call("host.metrics")
        return self.call("host.metrics", plugin=plugin)

    def audit_tail(self, limit=100, plugin=None):
        params = {"limit": limit}
        if plugin is not None:
            params["plugin"] = plugin
        return self.call("audit.tail", **params)

    def shutdown(self):
        """Stops the server."""
        return self.call("host.shutdown")
