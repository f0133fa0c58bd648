"""GET /releases, release files (sha256 header, ETag, Range), POST /validate, GET /health."""

from __future__ import annotations

import mimetypes
from typing import Any

import orjson
from flask import Response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import parse_range_header

from openstrikes import __version__
from openstrikes.toolchain.crosscheck import EventFacts, facts_of
from openstrikes.toolchain.jsontext import parse_json_bytes
from openstrikes.toolchain.record_checks import validate_event_data
from openstrikes.web.common import args, json_response, registry, release_of
from openstrikes.web.errors import ApiError
from openstrikes.web.registry import Release
from openstrikes.web.response_schemas import (
    ApiErrorSchema,
    HealthSchema,
    ReleaseSchema,
    ReleasesSchema,
    ReportSchema,
)

releases_blp = Blueprint("releases", __name__, description="Published releases and their files.")
files_blp = Blueprint("files", __name__, description="Bulk downloads of a release (immutable).")
validate_blp = Blueprint("validate", __name__, description="The contributor checks as a service.")
health_blp = Blueprint("health", __name__, description="Liveness and what is served.")

MAX_BODY = 1 << 20
MEDIA = {
    ".csv": "text/csv",  # Flask adds "; charset=utf-8" to text types
    ".json": "application/json",
    ".ndjson": "application/x-ndjson",
    ".geojson": "application/geo+json",
    ".cff": "text/plain",
    ".zip": "application/zip",
    ".parquet": "application/vnd.apache.parquet",
    ".geoparquet": "application/vnd.apache.parquet",
}


def release_json(rel: Release) -> dict[str, Any]:
    base = f"/v1/releases/{rel.version}/files/"
    return {
        "version": rel.version,
        "name": rel.store.name,
        "created": rel.store.info.created,
        "sha256": rel.store.sha256,
        "events": rel.store.event_count,
        "files": [
            {"name": f.name, "bytes": f.bytes, "sha256": f.sha256, "url": base + f.name}
            for f in rel.files.values()
        ],
    }


@releases_blp.route("/releases")
class Releases(MethodView):
    @releases_blp.response(200, ReleasesSchema, description="Every served release, newest first.")
    @releases_blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    def get(self) -> Response:
        """Every release served here with its files (name, bytes, sha256, URL) and the latest version."""
        args([])
        reg = registry()
        return json_response({"items": [release_json(r) for r in reg.ordered()], "latest": reg.latest})


@files_blp.route("/files/<path:name>")
class ReleaseFileView(MethodView):
    @files_blp.doc(
        responses={
            "200": {
                "description": "The file. Headers: ETag (its sha256), X-Checksum-SHA256; Range requests give 206.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            "206": {"description": "Part of the file (Range)."},
            "416": {
                "description": "Range not satisfiable.",
                "content": {"application/json": {"schema": ApiErrorSchema}},
            },
        }
    )
    @files_blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    @files_blp.alt_response(404, schema=ApiErrorSchema, description="Error")
    def get(self, name: str, version: str) -> Response:
        """A file of the release's package, or the zip of the whole package (`<name>-<version>.zip`)."""
        rel = release_of(version)
        args([])
        entry = rel.files.get(name)
        if entry is None:
            raise ApiError(
                404,
                f"release {version} has no file {name!r}; see /v1/releases",
                code="unknown_file",
                parameter="name",
            )
        ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        mimetype = MEDIA.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        _ignore_unservable_range()
        resp = send_file(entry.path, mimetype=mimetype, etag=entry.sha256, conditional=True, max_age=None)
        resp.headers["X-Checksum-SHA256"] = entry.sha256
        resp.headers["Accept-Ranges"] = "bytes"
        resp.headers["Content-Disposition"] = f'attachment; filename="{name.rsplit("/", 1)[-1]}"'
        return resp


def _ignore_unservable_range() -> None:
    """RFC 9110 14.2: a Range of an unknown unit, or malformed, is ignored (the whole file, 200);
    several ranges are ignored too (a server may), since they are not served as multipart."""
    header = request.environ.get("HTTP_RANGE")
    if header is None:
        return
    ranges = parse_range_header(header)
    if ranges is None or ranges.units != "bytes" or len(ranges.ranges) != 1:
        del request.environ["HTTP_RANGE"]


@releases_blp.route("/releases/<string:version>")
class ReleaseItem(MethodView):
    @releases_blp.response(200, ReleaseSchema, description="The release and its files.")
    @releases_blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    @releases_blp.alt_response(404, schema=ApiErrorSchema, description="Error")
    def get(self, version: str) -> Response:
        """One release and its files."""
        rel = release_of(version)
        args([])
        return json_response(release_json(rel))


@validate_blp.route("/validate")
class Validate(MethodView):
    @validate_blp.doc(
        requestBody={
            "required": True,
            "description": "One event record (JSON, at most 1 MiB).",
            # Any JSON object (the point is to find what is wrong with it): typed as an open object
            # so that generated clients accept a record.
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        }
    )
    @validate_blp.response(
        200, ReportSchema, description="The report: valid, and every problem (as the CLI)."
    )
    @validate_blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    @validate_blp.alt_response(408, schema=ApiErrorSchema, description="Error")
    @validate_blp.alt_response(413, schema=ApiErrorSchema, description="Error")
    @validate_blp.alt_response(415, schema=ApiErrorSchema, description="Error")
    def post(self) -> Response:
        """Check one event against the latest release: its schema, the meaning checks, and its
        records (actors and linked events exist, likely duplicates): the same problem codes as
        `openstrikes validate`."""
        args([])
        if request.mimetype != "application/json":
            raise ApiError(415, "send the event as Content-Type: application/json")
        try:
            body = request.get_data(cache=False)
        except ClientDisconnected:  # the client stopped sending (the server's read timed out)
            raise ApiError(
                408,
                "the request body did not arrive in time",
                code="request_timeout",
                headers={"Connection": "close"},
            ) from None
        parsed = parse_json_bytes(body, "<request>")
        if parsed.problems:
            return json_response({"valid": False, "problems": [p.to_dict() for p in parsed.problems]})
        data = parsed.data
        rel = release_of(None)
        links: list[str] = []
        aliases: list[str] = []
        day = None
        if isinstance(data, dict):
            facts = facts_of(data, "event")
            if isinstance(facts, EventFacts):
                links = [i for i, _ in facts.links]
                aliases = [a for a in facts.aliases if a is not None]
            day = data.get("date_start") if isinstance(data.get("date_start"), str) else None
        events, actors = rel.store.validation_context(day, links, aliases)
        places = [orjson.loads(b) for b in rel.store.places()]
        problems = validate_event_data(
            data,
            actors=actors,
            events=events,
            places=places,
            filename="<request>",
            schema=rel.event_schema,
        )
        return json_response({"valid": not problems, "problems": [p.to_dict() for p in problems]})


@health_blp.route("/health")
class Health(MethodView):
    @health_blp.response(200, HealthSchema, description="The server is up.")
    @health_blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    def get(self) -> Response:
        """Liveness, the latest release served and its event count."""
        args([])
        reg = registry()
        latest = reg.get(None)
        assert latest is not None
        body = {
            "status": "ok",
            "release": reg.latest,
            "releases": [r.version for r in reg.ordered()],
            "events": latest.store.event_count,
            "version": __version__,
        }
        return Response(orjson.dumps(body), mimetype="application/json")
