"""OpenStrikes: contributor toolchain, package builder and read-only API for the strike-event dataset."""

__version__ = "0.1.0"
