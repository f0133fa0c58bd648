"""The explorer: a web page at / (and /releases/{version}/) that reads only the public /v1 API,
and the server-rendered event pages at /events/{id} that read the same index as the API."""

from openstrikes.web.explorer.views import explorer_blueprint

__all__ = ["explorer_blueprint"]
