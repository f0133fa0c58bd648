"""Event files -> a deterministic Frictionless data package (atomic placement, locking, zip); and
reading a built package back."""
