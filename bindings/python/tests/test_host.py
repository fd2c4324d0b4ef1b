"""interop.Host: plugins of every backend loaded and called from Python."""

import asyncio
import time

import pytest

import interop
from interop import Grants, Host
from conftest import PLUGINS, js_plugin, write_plugin

GREETERS = [
    ("rust-greeter", "wasm"),
    ("rust-native-greeter", "ffi"),
    ("javascript-greeter", "js"),
    ("python-greeter", "subprocess"),
]


@pytest.fixture
def host():
    with Host() as h:
        yield h


@pytest.mark.parametrize("name,backend", GREETERS)
def test_a_greeter_of_each_backend_greets_the_world(host, name, backend):
    plugin = host.load(PLUGINS / name / "plugin.json")
    assert plugin.name == name
    assert host.invoke(name, "greet", "World") == "Hello, World!"


@pytest.mark.parametrize("name,backend", GREETERS)
def test_invoke_json_takes_and_gives_json_text(host, name, backend):
    host.load(PLUGINS / name / "plugin.json")
    assert host.invoke_json(name, "greet", '"World"') == '"Hello, World!"'
    with pytest.raises(interop.InvalidInput, match="not JSON text"):
        host.invoke_json(name, "greet", '{"unclosed": ')


def test_a_loaded_plugin_is_called_like_an_object(host):
    greeter = host.load(PLUGINS / "javascript-greeter" / "plugin.json")
    assert "greet" in greeter.actions
    assert greeter.greet("World") == "Hello, World!"
    assert greeter.farewell("World") == "Goodbye, World!"


def test_a_provider_answers_with_its_text(host):
    host.load(PLUGINS / "javascript-greeter" / "plugin.json")
    text = (PLUGINS / "javascript-greeter" / "data" / "greeting.txt").read_text().rstrip()
    assert host.provider("javascript-greeter", "greeting") == text


def test_an_unknown_action_is_an_attribute_error_on_the_object_and_not_found_by_name(host):
    greeter = host.load(PLUGINS / "rust-greeter" / "plugin.json")
    with pytest.raises(AttributeError, match="shout"):
        greeter.shout
    with pytest.raises(interop.NotFound):
        host.invoke("rust-greeter", "shout", "World")


def test_calling_a_plugin_that_is_not_loaded_raises_not_found(host):
    with pytest.raises(interop.NotFound, match="nobody"):
        host.invoke("nobody", "greet", "World")


def test_loading_a_plugin_twice_is_refused(host):
    host.load(PLUGINS / "rust-greeter" / "plugin.json")
    with pytest.raises(interop.InvalidInput, match="already loaded"):
        host.load(PLUGINS / "rust-greeter" / "plugin.json")


def test_an_invalid_manifest_raises_parse_error_naming_the_file(host, tmp_path):
    (tmp_path / "plugin.json").write_text('{"name": 3}')
    with pytest.raises(interop.ParseError, match="plugin.json"):
        host.load(tmp_path / "plugin.json")


def test_input_that_breaks_the_action_schema_raises_invalid_input(host):
    host.load(PLUGINS / "javascript-greeter" / "plugin.json")
    with pytest.raises(interop.InvalidInput):
        host.invoke("javascript-greeter", "greet", 42)


def test_load_dir_loads_each_plugin_and_reports_each_failure(host):
    outcomes = host.load_dir(PLUGINS)
    loaded = {v.name for v in outcomes.values() if isinstance(v, interop.Plugin)}
    assert {"rust-greeter", "javascript-greeter"} <= loaded
    assert all(isinstance(v, (interop.Plugin, interop.InteropError)) for v in outcomes.values())
    assert host.invoke("rust-greeter", "greet", "World") == "Hello, World!"


def test_emit_reaches_every_plugin_with_a_hook(host):
    host.load(PLUGINS / "javascript-greeter" / "plugin.json")
    host.load(PLUGINS / "rust-greeter" / "plugin.json")
    outcomes = host.emit("config.reload", {})
    assert set(outcomes) == {"javascript-greeter", "rust-greeter"}
    assert not any(isinstance(v, Exception) for v in outcomes.values())


def test_a_denied_path_raises_denied_and_is_audited(host):
    host.load(PLUGINS / "js-hostile" / "plugin.json")
    with pytest.raises(interop.Denied) as caught:
        host.invoke("js-hostile", "read_secret")
    assert caught.value.kind == "denied"
    assert caught.value.plugin == "js-hostile"
    denied = host.denied()
    assert denied and denied[-1]["plugin"] == "js-hostile"
    assert denied[-1]["outcome"]["status"] == "denied"


def test_a_looping_plugin_times_out_and_the_host_goes_on(host):
    host.load(PLUGINS / "js-hostile" / "plugin.json")
    with pytest.raises(interop.TimeLimitExceeded):
        host.invoke("js-hostile", "loop")
    assert host.invoke("js-hostile", "ok") == "fine"


def test_a_plugin_heap_bomb_is_stopped(host):
    host.load(PLUGINS / "js-hostile" / "plugin.json")
    with pytest.raises(interop.LimitExceeded) as caught:
        host.invoke("js-hostile", "heap_bomb")
    assert caught.value.limit == "memory"


def test_grants_decide_what_a_plugin_may_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("GREETER_PREFIX", "Hey!")
    manifest = PLUGINS / "javascript-greeter" / "plugin.json"
    with Host() as plain:
        plain.load(manifest)
        assert plain.invoke("javascript-greeter", "greet", "World") == "Hello, World!"
    with Host(Grants(env=["GREETER_PREFIX"])) as granted:
        granted.load(manifest)
        assert granted.invoke("javascript-greeter", "greet", "World") == "Hey! Hello, World!"


def test_grants_for_one_plugin_are_its_own():
    with Host() as host:
        host.grant("js-hostile", Grants(timeout=0.2))
        host.load(PLUGINS / "js-hostile" / "plugin.json")
        started = time.monotonic()
        with pytest.raises(interop.TimeLimitExceeded):
            host.invoke("js-hostile", "loop")
        assert time.monotonic() - started < 0.9


def test_a_python_function_is_a_host_function_for_a_js_plugin(plugin_dir):
    script = "const plugin = { version() { return host.call('app.version', ['x', 2]); } };"
    manifest = js_plugin(plugin_dir, "caller", script, ["version"])
    with Host(Grants(functions=["app.*"])) as host:
        host.register_function("app.version", lambda a, b: f"{a}-{b}-1.0")
        host.load(manifest)
        assert host.invoke("caller", "version") == "x-2-1.0"


def test_a_python_function_is_a_host_function_for_a_wasm_plugin(plugin_dir):
    wat = """
    (module
      (import "env" "ft_host_call" (func $call (param i32 i32 i32 i32) (result i32)))
      (import "env" "ft_return_buffer_read" (func $read (param i32 i32) (result i32)))
      (import "env" "ft_output" (func $out (param i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 0) "app.version")
      (data (i32.const 16) "null")
      (func (export "version") (local $n i32)
        (local.set $n (call $call (i32.const 0) (i32.const 11) (i32.const 16) (i32.const 4)))
        (drop (call $read (i32.const 64) (local.get $n)))
        (call $out (i32.const 64) (local.get $n))))
    """
    manifest = write_plugin(
        plugin_dir,
        {
            "name": "wat-caller",
            "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "caller.wat"},
            "actions": [{"name": "version"}],
        },
        {"caller.wat": wat},
    )
    with Host(Grants(functions=["app.version"])) as host:
        host.register_function("app.version", lambda: "1.0.0")
        host.load(manifest)
        assert host.invoke("wat-caller", "version") == "1.0.0"


def test_a_host_function_that_is_not_granted_is_denied(plugin_dir):
    script = "const plugin = { version() { return host.call('app.version', null); } };"
    manifest = js_plugin(plugin_dir, "caller", script, ["version"])
    with Host() as host:
        host.register_function("app.version", lambda: "1.0.0")
        host.load(manifest)
        with pytest.raises(interop.Denied):
            host.invoke("caller", "version")


def test_a_python_exception_in_a_host_function_reaches_the_caller(plugin_dir):
    script = "const plugin = { boom() { return host.call('app.boom', null); } };"
    manifest = js_plugin(plugin_dir, "caller", script, ["boom"])

    def boom():
        raise KeyError("missing")

    with Host(Grants(functions=["*"])) as host:
        host.register_function("app.boom", boom)
        host.load(manifest)
        with pytest.raises(interop.ExecError, match="KeyError"):
            host.invoke("caller", "boom")


def test_invoke_async_runs_off_the_event_loop(plugin_dir):
    script = "const plugin = { slow() { const end = Date.now() + 300; while (Date.now() < end) {} return 'done'; } };"
    manifest = js_plugin(plugin_dir, "slow", script, ["slow"])

    async def main(host):
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.ensure_future(ticker())
        result = await host.invoke_async("slow", "slow")
        task.cancel()
        return result, ticks

    with Host() as host:
        host.load(manifest)
        result, ticks = asyncio.run(main(host))
    assert result == "done"
    assert ticks > 10


def test_async_calls_raise_the_same_exceptions(host):
    host.load(PLUGINS / "js-hostile" / "plugin.json")

    async def main():
        with pytest.raises(interop.Denied):
            await host.invoke_async("js-hostile", "read_secret")
        greeting = await host.provider_async("js-hostile", "nothing")
        return greeting

    with pytest.raises(interop.NotFound):
        asyncio.run(main())


def test_provider_and_emit_have_async_flavours(host):
    host.load(PLUGINS / "javascript-greeter" / "plugin.json")

    async def main():
        return await asyncio.gather(
            host.provider_async("javascript-greeter", "greeting"),
            host.emit_async("config.reload", {}),
            *[host.invoke_async("javascript-greeter", "greet", n) for n in ("a", "b")],
        )

    greeting, emitted, a, b = asyncio.run(main())
    assert greeting and "javascript-greeter" in emitted
    assert (a, b) == ("Hello, a!", "Hello, b!")


def test_unload_forgets_the_plugin_and_the_context_manager_closes_all():
    host = Host()
    with host:
        host.load(PLUGINS / "rust-greeter" / "plugin.json")
        host.load(PLUGINS / "javascript-greeter" / "plugin.json")
        host.unload("rust-greeter")
        assert host.plugin_names() == ["javascript-greeter"]
        with pytest.raises(interop.NotFound):
            host.invoke("rust-greeter", "greet", "World")
    assert host.plugin_names() == []


def test_metrics_count_the_calls(host):
    host.load(PLUGINS / "rust-greeter" / "plugin.json")
    for _ in range(3):
        host.invoke("rust-greeter", "greet", "World")
    assert host.metrics("rust-greeter")["calls"] == 3


def test_errors_form_one_hierarchy_carrying_kind_plugin_message_and_data():
    for cls in (interop.LimitExceeded, interop.Timeout, interop.Denied, interop.NotFound,
                interop.ParseError, interop.ExecError, interop.InvalidInput):
        assert issubclass(cls, interop.InteropError)
    assert issubclass(interop.TimeLimitExceeded, interop.LimitExceeded)
    assert issubclass(interop.TimeLimitExceeded, interop.Timeout)
    err = interop.Denied("no", plugin="p", data={"path": "x"})
    assert (err.kind, err.plugin, err.message, err.data) == ("denied", "p", "no", {"path": "x"})


def test_grants_can_change_while_plugin_objects_are_held(monkeypatch):
    monkeypatch.setenv("GREETER_PREFIX", "Hey!")
    with Host() as host:
        kept = host.load(PLUGINS / "rust-greeter" / "plugin.json")
        host.set_grants(Grants(env=["GREETER_PREFIX"]))
        host.load(PLUGINS / "javascript-greeter" / "plugin.json")
        assert kept.greet("World") == "Hello, World!"
        assert host.invoke("javascript-greeter", "greet", "World") == "Hey! Hello, World!"
