"""The exceptions interop raises, one class per error kind.

Every interop error is an :class:`InteropError` carrying ``kind`` (the error kind on the
wire: ``"denied"``, ``"limit_exceeded"``...), ``plugin`` (the plugin concerned, or
``None``), ``message`` and ``data`` (structured details: the limit hit, a JavaScript
``stack``, a Python ``traceback``...). Raising one of these from a host function hands the
plugin an error of that kind.
"""

from typing import Any, Optional

__all__ = [
    "InteropError",
    "ParseError",
    "ExecError",
    "LimitExceeded",
    "Timeout",
    "TimeLimitExceeded",
    "FsError",
    "NetworkError",
    "Denied",
    "NotFound",
    "InvalidInput",
    "InternalError",
]


class InteropError(Exception):
    """Base of every interop error."""

    kind: str = "internal"

    def __init__(
        self,
        text: str,
        kind: Optional[str] = None,
        plugin: Optional[str] = None,
        message: Optional[str] = None,
        data: Any = None,
    ) -> None:
        super().__init__(text)
        if kind is not None:
            self.kind = kind
        self.plugin = plugin
        self.message = text if message is None else message
        self.data = data

    @property
    def limit(self) -> Optional[str]:
        """The limit hit (``"memory"``, ``"time"``...), for a limit error."""
        return self.data.get("limit") if isinstance(self.data, dict) else None


class ParseError(InteropError):
    """Input could not be parsed (bad JSON, module, script or manifest)."""

    kind = "parse"


class ExecError(InteropError):
    """The plugin's code failed while running (trap, exception, crash)."""

    kind = "exec"


class LimitExceeded(InteropError):
    """A resource limit was hit (memory, time, fuel, message size...)."""

    kind = "limit_exceeded"


class Timeout(InteropError):
    """The operation did not finish in time."""

    kind = "timeout"


class TimeLimitExceeded(LimitExceeded, Timeout):
    """A call ran past its time limit and was stopped."""

    kind = "limit_exceeded"


class FsError(InteropError):
    """A filesystem operation failed."""

    kind = "fs"


class NetworkError(InteropError):
    """A network operation failed."""

    kind = "network"


class Denied(InteropError):
    """The sandbox policy refused the operation."""

    kind = "denied"


class NotFound(InteropError):
    """The thing asked for does not exist (plugin, action, file, symbol...)."""

    kind = "not_found"


class InvalidInput(InteropError):
    """The input was well-formed but not acceptable."""

    kind = "invalid_input"


class InternalError(InteropError):
    """A bug or an unexpected state in interop itself."""

    kind = "internal"
