"""Shared paths and helpers of the interop package's tests. They run against the sample
plugins `cargo xtask build-plugins` builds."""

import json
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
REPO = PACKAGE.parents[1]
PLUGINS = REPO / "examples" / "plugins"
EXAMPLES = PACKAGE / "examples"


def write_plugin(directory: Path, manifest: dict, files: dict) -> Path:
    """Writes a plugin (its `plugin.json` and `files`) into `directory`; returns the
    manifest's path."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    path = directory / "plugin.json"
    path.write_text(json.dumps(manifest))
    return path


def js_plugin(directory: Path, name: str, script: str, actions, **extra) -> Path:
    """A JavaScript plugin whose global `plugin` object has `actions`."""
    manifest = {
        "name": name,
        "version": "1.0.0",
        "interop": {"protocol": "js", "scriptPath": "plugin.js"},
        "actions": [{"name": a} for a in actions],
        **extra,
    }
    return write_plugin(directory, manifest, {"plugin.js": script})


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    return tmp_path
