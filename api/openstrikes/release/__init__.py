"""Releases: diff two packages, the next semantic version, the CHANGELOG section and the zip."""
