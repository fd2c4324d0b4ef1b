"""JavaScript: the embedded V8 (:class:`Runtime`, one isolate each, with a heap limit and
a timeout) and the Node bridge (:func:`call`, a function of a Node module run in a
``node`` process)."""

from ._native import Runtime, RuntimeConfig, node_available
from ._native import call as call

#: Whether a ``node`` program is there for :func:`call` (the embedded V8 needs none).
AVAILABLE: bool = node_available()

__all__ = ["AVAILABLE", "Runtime", "RuntimeConfig", "call"]
