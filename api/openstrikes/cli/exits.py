"""Exit statuses of the `openstrikes` command and the error that means "bad arguments"."""

from __future__ import annotations

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """A command was given arguments it cannot work with (exit status 2)."""
