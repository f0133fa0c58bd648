"""Contributor toolchain: read, check and write record files (records, jsontext, checks, crosscheck,
schema_check, validate, readahead, progress)."""
