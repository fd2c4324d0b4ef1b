"""The tutorial's example plugin: a Python object whose public methods are its actions."""


class ExamplePlugin:
    """Says hello."""

    __version__ = "1.0.0"

    def hello(self) -> str:
        return "hello from example plugin"

    def add(self, numbers: list) -> int:
        return sum(numbers)


def load() -> ExamplePlugin:
    """The plugin object, as an entry point would hand it to the application."""
    return ExamplePlugin()
