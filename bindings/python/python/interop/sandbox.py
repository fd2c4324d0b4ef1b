"""Scripts (JavaScript, Python, shell) run in a subprocess confined as interop confines
plugin processes, under a timeout and a memory limit."""

from ._native import Completed, run_file

__all__ = ["Completed", "run_file"]
