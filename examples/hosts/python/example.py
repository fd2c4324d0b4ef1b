"""Loads plugins into an `interop serve` server, greets through each, and prints their
metrics and log lines.

    interop serve --unix /tmp/interop.sock &
    python3 examples/hosts/python/example.py unix:/tmp/interop.sock \
        examples/plugins/rust-greeter examples/plugins/js-greeter

Plugin paths are made absolute here: the server resolves relative ones against its own
working directory. The token, if the server needs one, is read from INTEROP_SERVE_TOKEN.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from interop_client import Client, InteropError  # noqa: E402


def main(address, *plugins):
    with Client.connect(address) as host:
        names = []
        for path in plugins:
            plugin = host.load(os.path.abspath(path))
            actions = ", ".join(a["name"] for a in plugin["actions"])
            print(f"loaded {plugin['name']} {plugin['version']} ({plugin['protocol']}): {actions}")
            names.append(plugin["name"])
        for name in names:
            result = host.invoke(name, "greet", "World")
            print(f"{name} greet -> {result.get('text')}")
        try:
            host.invoke(names[0], "greet", 42)
        except InteropError as e:
            print(f"{names[0]} greet 42 -> error {e.code} {e.kind}: {e.message}")
        for m in host.metrics():
            latency = m["latency"] or {}
            print(f"metrics {m['plugin']}: calls={m['calls']} errors={sum(m['errors'].values())} "
                  f"p50_us={latency.get('p50Us')}")
        time.sleep(0.2)  # let the last log notifications arrive
        for method, params in host.notifications:
            if method == "plugin.log":
                print(f"log {params['plugin']} {params['level']}: {params['message']}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: example.py ADDRESS PLUGIN...")
    main(*sys.argv[1:])
