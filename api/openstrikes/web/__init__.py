"""The read-only HTTP API (flask-smorest) over built release packages."""

from openstrikes.web.app import create_app

__all__ = ["create_app"]
