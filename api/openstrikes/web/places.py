"""GET /places, /places/{slug}: the places registry of a release (schema 1.1)."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from openstrikes.web.common import args, json_response, release_of
from openstrikes.web.errors import ApiError
from openstrikes.web.response_schemas import ApiErrorSchema, PlaceListSchema, PlaceWithEventsSchema

places_blp = Blueprint("places", __name__, description="The places registry (gazetteer).")


@places_blp.route("/places")
class Places(MethodView):
    @places_blp.response(200, PlaceListSchema, description="Every place, by slug.")
    @places_blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    @places_blp.alt_response(404, schema=ApiErrorSchema, description="Error")
    def get(self, version: str | None = None) -> Response:
        """The places registry of the release (empty for releases before schema 1.1)."""
        rel = release_of(version)
        args([])
        bodies = rel.store.places()
        return json_response(
            b'{"items":[' + b",".join(bodies) + b'],"total":' + str(len(bodies)).encode() + b"}"
        )


@places_blp.route("/places/<string:slug>")
class PlaceItem(MethodView):
    @places_blp.response(200, PlaceWithEventsSchema, description="The place and its events.")
    @places_blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    @places_blp.alt_response(404, schema=ApiErrorSchema, description="Error")
    def get(self, slug: str, version: str | None = None) -> Response:
        """One place by slug, with the live events that name it (by date, then id)."""
        rel = release_of(version)
        args([])
        body = rel.store.place_body(slug)
        if body is None:
            raise ApiError(
                404, f"no place {slug!r} in release {rel.version}", code="unknown_place", parameter="slug"
            )
        events = rel.store.place_event_bodies(slug)
        return json_response(
            b'{"place":'
            + body
            + b',"events":['
            + b",".join(events)
            + b'],"total":'
            + str(len(events)).encode()
            + b"}"
        )
