"""interop.js: the embedded V8 runtime (limits, Python callables called from JS) and the
Node bridge."""

import threading
import time

import pytest

import interop
from interop import js
from interop.js import Runtime, RuntimeConfig
from conftest import PLUGINS


def test_eval_returns_the_completion_value_as_python():
    with Runtime() as rt:
        assert rt.eval("[1, 2, 3].map(x => x * 2)") == [2, 4, 6]
        assert rt.eval("({a: 1, b: 'two'})") == {"a": 1, "b": "two"}


def test_a_bound_python_function_is_called_synchronously_with_its_arguments():
    seen = []
    with Runtime() as rt:
        rt.bind_function("record", lambda *args: seen.append(args) or len(seen))
        assert rt.eval("record(1, 'a', {x: true}) + record()") == 3
    assert seen == [(1, "a", {"x": True}), ()]


def test_a_bound_object_is_a_plain_js_value():
    with Runtime() as rt:
        rt.bind_object("config", {"version": "1.0.0", "flags": [1, 2]})
        assert rt.eval("config.version + ':' + config.flags.length") == "1.0.0:2"


def test_call_runs_a_global_function_by_its_path():
    with Runtime() as rt:
        rt.eval("const plugin = { add(a, b) { return a + b; } };")
        assert rt.call("plugin.add", 2, 3) == 5


def test_globals_persist_between_evals_but_not_between_runtimes():
    with Runtime() as a, Runtime() as b:
        a.eval("globalThis.counter = 41")
        assert a.eval("++counter") == 42
        assert b.eval("typeof counter") == "undefined"


def test_a_closed_runtime_refuses_calls_and_closing_twice_is_fine():
    rt = Runtime()
    with rt:
        rt.eval("1")
    assert rt.closed
    rt.close()
    with pytest.raises(interop.InteropError):
        rt.eval("1")


def test_a_looping_script_times_out():
    with Runtime(RuntimeConfig(timeout=0.3)) as rt:
        started = time.monotonic()
        with pytest.raises(interop.TimeLimitExceeded) as caught:
            rt.eval("for (;;) {}")
        assert time.monotonic() - started < 5
    assert isinstance(caught.value, interop.Timeout)
    assert caught.value.limit == "time"


def test_a_heap_bomb_is_stopped_at_the_heap_limit():
    with Runtime(RuntimeConfig(max_heap_size=16 * 1024 * 1024, timeout=20)) as rt:
        with pytest.raises(interop.LimitExceeded) as caught:
            rt.eval("const hoard = []; for (;;) hoard.push(new Array(1024).fill(hoard.length));")
    assert caught.value.limit == "memory"


def test_a_thrown_error_raises_exec_error_with_the_js_stack():
    with Runtime() as rt:
        with pytest.raises(interop.ExecError, match="RangeError: nope") as caught:
            rt.eval("function f() { throw new RangeError('nope'); } f()")
    assert "f" in caught.value.data["stack"]


def test_an_exception_of_a_python_function_is_thrown_in_js():
    def fails():
        raise ValueError("bad value")

    with Runtime() as rt:
        rt.bind_function("fails", fails)
        caught = rt.eval("try { fails(); 'no' } catch (e) { e.message }")
    assert "ValueError: bad value" in caught


def test_an_interop_exception_of_a_python_function_keeps_its_kind_in_js():
    def refuse():
        raise interop.Denied("not for you")

    with Runtime() as rt:
        rt.bind_function("refuse", refuse)
        assert rt.eval("try { refuse() } catch (e) { e.kind }") == "denied"
        with pytest.raises(interop.Denied):
            rt.eval("refuse()")


def test_the_gil_is_released_while_a_script_runs():
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        with Runtime() as rt:
            rt.eval("const end = Date.now() + 300; while (Date.now() < end) {}")
    finally:
        stop.set()
        counter.join()
    assert ticks > 20


def test_a_timeout_that_is_not_positive_is_refused():
    with pytest.raises(interop.InvalidInput, match="timeout"):
        RuntimeConfig(timeout=-1)


def test_runtime_config_reports_its_limits():
    config = RuntimeConfig(max_heap_size=50 * 1024 * 1024, timeout=2)
    assert config.max_heap_size == 50 * 1024 * 1024
    assert config.timeout == 2.0


needs_node = pytest.mark.skipif(not js.AVAILABLE, reason="node is not installed")


@needs_node
def test_the_node_bridge_calls_a_module_export():
    assert js.call(PLUGINS / "node-bridge" / "example.js", "add", [2, 3]) == 5


@needs_node
def test_the_node_bridge_names_a_missing_export():
    with pytest.raises(interop.NotFound, match="sub"):
        js.call(PLUGINS / "node-bridge" / "example.js", "sub", [2, 3])


def test_the_node_bridge_names_a_missing_module():
    with pytest.raises(interop.NotFound, match="nowhere.js"):
        js.call("nowhere.js", "add", [1, 2])
