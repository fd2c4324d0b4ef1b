"""The examples this package is specified by, run as written."""

import os
import subprocess
import sys
import venv

import pytest

from conftest import EXAMPLES, PACKAGE, REPO


def run_python(args, cwd, executable=sys.executable):
    return subprocess.run(
        [executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_the_plugin_manager_example_prints_its_four_lines_byte_for_byte():
    out = run_python(["plugin_manager.py"], cwd=EXAMPLES / "plugin_manager")
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        "Loaded plugin: greeter\n"
        "[LOG] Greeting World\n"
        "Result: Hello, World! App version: 1.0.0\n"
        "Result: Goodbye, John Doe!\n"
    )


def source_block(fence: str) -> str:
    """A code block of the V8 plugin system's source document (`shared/`, beside the
    checkout or its parent)."""
    for shared in (REPO.parent / "shared", REPO.parents[1] / "shared"):
        document = shared / "seeds" / "001_09cb4207c03bf4d8.txt"
        if document.is_file():
            return document.read_text().split(fence + "\n")[1].split("```")[0]
    pytest.skip("the source documents (shared/) are not beside this checkout")


def test_the_plugin_manager_example_differs_from_its_source_only_by_the_import_line():
    original = source_block('```python title="plugin_manager.py"').splitlines()
    ours = (EXAMPLES / "plugin_manager" / "plugin_manager.py").read_text().splitlines()
    changed = [(a, b) for a, b in zip(original, ours) if a != b]
    assert len(original) == len(ours)
    assert changed == [
        ("from jsrun import Runtime, RuntimeConfig", "from interop.js import Runtime, RuntimeConfig")
    ]
    greeter = source_block('```javascript title="plugins/greeter.js"')
    assert (EXAMPLES / "plugin_manager" / "greeter.js").read_text() == greeter


def test_the_tutorial_prints_123_5_5_the_sandboxed_output_and_the_greeting():
    out = run_python([str(EXAMPLES / "tutorial.py")], cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["123", "5", "5", "1 4 9", "hello from example plugin"]


@pytest.mark.skipif(os.environ.get("INTEROP_SKIP_PIP_INSTALL") == "1", reason="asked to skip")
def test_pip_install_into_a_fresh_venv_then_wasm_add_prints_5(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(PACKAGE)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    wat = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'
    code = f"import interop; print(interop.wasm.instantiate_wat({wat!r}).call('add', 2, 3))"
    out = run_python(["-c", code], cwd=tmp_path, executable=python)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "5\n"
