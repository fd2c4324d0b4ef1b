"""interop.plugins: Python objects as plugins, discovery, plugins called like objects."""

import sys

import pytest

import interop
from interop import plugins
from conftest import EXAMPLES, PLUGINS


class Calculator:
    def add(self, numbers):
        return sum(numbers)

    def fail(self):
        raise ZeroDivisionError("on purpose")

    def _hidden(self):
        return "never an action"


def test_a_registered_python_object_is_found_and_called_like_an_object():
    sys.path.insert(0, str(EXAMPLES / "example_plugin"))
    from example_plugin import plugin

    plugins.register_builtin("example", plugin.load())
    found = plugins.discover_plugins()
    assert found["example"].hello() == "hello from example plugin"
    assert found["example"].version == "1.0.0"


def test_public_methods_are_actions_and_private_ones_are_not():
    calc = plugins.register_builtin("calculator", Calculator())
    assert sorted(calc.actions) == ["add", "fail"]
    assert calc.add([1, 2, 3]) == 6
    with pytest.raises(AttributeError):
        calc._hidden


def test_an_exception_in_a_python_plugin_is_an_exec_error_with_its_traceback():
    plugins.register_builtin("failing", Calculator())
    with pytest.raises(interop.ExecError, match="ZeroDivisionError") as caught:
        plugins.discover_plugins()["failing"].fail()
    assert caught.value.plugin == "failing"
    assert "on purpose" in caught.value.data["traceback"]


def test_registering_a_name_twice_is_refused():
    plugins.register_builtin("twice", Calculator())
    with pytest.raises(interop.InvalidInput, match="twice"):
        plugins.register_builtin("twice", Calculator())


def test_discovery_loads_the_plugins_of_a_directory():
    found = plugins.discover_plugins(path=PLUGINS)
    assert found["rust-greeter"].greet("World") == "Hello, World!"
    assert plugins.default_host().invoke("rust-greeter", "farewell", "World") == "Goodbye, World!"


def test_discovery_in_a_missing_directory_raises_not_found(tmp_path):
    with pytest.raises(interop.NotFound):
        plugins.discover_plugins(path=tmp_path / "absent")
