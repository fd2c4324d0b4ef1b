"""C functions called with declared types (``load('c').func('atoi', restype='i64',
argtypes=['cstr'])``), through interop-ffi (libloading + libffi).

As with ``ctypes``, this runs native code in this process: you answer for the library you
load and for each declaration matching its function.
"""

from ._native import Function, Library, load

__all__ = ["Function", "Library", "load"]
