"""The `openstrikes` command line: every command handler, the exit codes and `UsageError`.

`main` (the console entry point `openstrikes.cli:main`) parses the arguments and runs the
handler module of the command; each handler is a thin wrapper over the library subsystems.
"""

from openstrikes.cli.main import main

__all__ = ["main"]
