"""interop.sandbox.run_file: scripts in a confined subprocess."""

import os

import pytest

import interop
from interop import js, sandbox


def script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_python_script_runs_and_its_output_and_status_come_back(tmp_path):
    done = sandbox.run_file(
        script(tmp_path, "s.py", "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)")
    )
    assert (done.stdout, done.stderr, done.returncode) == ("out\n", "err\n", 3)


@pytest.mark.skipif(not js.AVAILABLE, reason="node is not installed")
def test_a_js_script_runs_under_node(tmp_path):
    done = sandbox.run_file(script(tmp_path, "s.js", "console.log(6 * 7)"))
    assert done.returncode == 0
    assert done.stdout == "42\n"


def test_a_script_that_loops_is_killed_at_its_timeout(tmp_path):
    with pytest.raises(interop.TimeLimitExceeded):
        sandbox.run_file(script(tmp_path, "loop.py", "while True: pass"), timeout=0.5)


@pytest.mark.skipif(not js.AVAILABLE, reason="node is not installed")
def test_a_js_heap_bomb_is_stopped_at_its_memory_limit(tmp_path):
    bomb = script(tmp_path, "bomb.js", "const a = []; for (;;) a.push(new Array(1e5).fill(1));")
    with pytest.raises(interop.LimitExceeded) as caught:
        sandbox.run_file(bomb, timeout=20, memory_limit=32 * 1024 * 1024)
    assert caught.value.limit == "memory"


def test_the_script_sees_an_empty_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INTEROP_TEST_SECRET", "s3cret")
    done = sandbox.run_file(script(tmp_path, "env.py", "import os; print(sorted(os.environ))"))
    assert "INTEROP_TEST_SECRET" not in done.stdout
    assert "s3cret" not in done.stdout


def test_the_script_cannot_write_outside_what_it_was_granted(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "written.txt"
    inside = tmp_path / "inside"
    inside.mkdir()
    code = f"open({str(target)!r}, 'w').write('x')"
    done = sandbox.run_file(script(inside, "write.py", code))
    if any("filesystem" in u for u in done.unenforced):
        pytest.skip("this kernel cannot enforce filesystem rules: " + "; ".join(done.unenforced))
    assert done.returncode != 0
    assert "PermissionError" in done.stderr
    assert not target.exists()


def test_an_unknown_kind_of_script_is_refused(tmp_path):
    with pytest.raises(interop.InvalidInput, match=".rb"):
        sandbox.run_file(script(tmp_path, "s.rb", "puts 1"))


def test_a_missing_script_raises_not_found(tmp_path):
    with pytest.raises(interop.NotFound):
        sandbox.run_file(tmp_path / "absent.py")
