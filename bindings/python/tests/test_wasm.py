"""interop.wasm: modules in wasmtime, nothing granted, within limits."""

import pytest

import interop
from interop import wasm
from conftest import PLUGINS

ADD = """
(module
  (func $add (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)
  (export "add" (func $add)))
"""

LOOP = '(module (func (export "spin") (loop $l (br $l))))'


def test_wasm_is_available():
    assert wasm.available() is True


def test_a_wat_module_adds_2_and_3():
    assert wasm.instantiate_wat(ADD).call("add", 2, 3) == 5


def test_exports_name_each_function_with_its_signature():
    exports = wasm.instantiate_wat(ADD).exports
    assert "add" in exports
    assert "i32" in exports["add"]


def test_a_module_is_instantiated_from_a_path():
    inst = wasm.instantiate(PLUGINS / "wat-add" / "add.wat")
    assert inst.call("add", 40, 2) == 42


def test_a_module_is_instantiated_from_its_bytes():
    assert wasm.instantiate(ADD.encode()).call("add", 1, 1) == 2


def test_calling_a_missing_export_raises_not_found():
    with pytest.raises(interop.NotFound, match="add"):
        wasm.instantiate_wat(ADD).call("sub", 1, 2)


def test_a_wrong_number_of_arguments_raises_invalid_input():
    with pytest.raises(interop.InvalidInput):
        wasm.instantiate_wat(ADD).call("add", 1)


def test_a_module_that_loops_is_stopped_at_its_timeout():
    inst = wasm.instantiate_wat(LOOP, timeout=0.2)
    with pytest.raises(interop.TimeLimitExceeded) as caught:
        inst.call("spin")
    assert isinstance(caught.value, interop.Timeout)
    assert isinstance(caught.value, interop.LimitExceeded)
    assert caught.value.limit == "time"


def test_text_that_is_not_webassembly_raises_an_interop_error():
    with pytest.raises(interop.InteropError):
        wasm.instantiate_wat("(module (func (export")
