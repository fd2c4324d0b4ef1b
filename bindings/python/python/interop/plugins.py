"""Plugins by name: Python objects registered as plugins and plugins discovered on disk,
held by one process-wide :class:`interop.Host` and called like objects
(``discover_plugins()['example'].hello()``)."""

from ._native import default_host, discover_plugins, register_builtin

__all__ = ["default_host", "discover_plugins", "register_builtin"]
