"""What can go wrong with an index: a package that cannot be served, a query past its time bound."""

from __future__ import annotations


class StoreError(Exception):
    """A package cannot be indexed or opened (missing, tampered, unreadable)."""


class UnusableIndex(StoreError):
    """An index file that is not the index of its package (it is built again)."""


class QueryTimeout(Exception):
    """A query ran past its time bound and was interrupted."""
