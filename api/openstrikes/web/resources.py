"""GET /aggregates, /changes, /actors, /actors/{id}."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from openstrikes.index.aggregates import COUNTING, aggregate, fill_periods, total
from openstrikes.index.filters import where_clause
from openstrikes.index.params import CHANGES_PARAMS, ParamSet, openapi_parameters
from openstrikes.index.store import stamp_of
from openstrikes.web.common import ERROR_CODES, args, json_response, release_of
from openstrikes.web.errors import ApiError
from openstrikes.web.response_schemas import ActorListSchema, AggregatesSchema, ApiErrorSchema, ChangesSchema

changes_blp = Blueprint("changes", __name__, description="The changes feed for incremental sync.")
actors_blp = Blueprint("actors", __name__, description="The actor registry.")


def _errors(blp: Blueprint, codes: tuple[int, ...] = ERROR_CODES) -> Any:
    def wrap(view: Any) -> Any:
        for code in codes:
            view = blp.alt_response(code, schema=ApiErrorSchema, description="Error")(view)
        return view

    return wrap


def aggregates_blueprint(params: ParamSet) -> Blueprint:
    """The /aggregates route, documented with `params` (the latest release's schema); each request
    is read with the parameters of the schema of the release it asks for."""
    blp = Blueprint("aggregates", __name__, description="Counts and casualty ranges per group.")

    @blp.route("/aggregates", parameters=openapi_parameters(params.aggregates))
    class Aggregates(MethodView):
        @blp.response(200, AggregatesSchema, description="One row per group.")
        @_errors(blp)
        def get(self, version: str | None = None) -> Response:
            """Count matching events and sum their casualty figures per group.

            Per row and casualty field, `min` and `max` sum the lowest and highest reported figures,
            `best` sums the best estimates of the `with_best` events that give one, and `unknown`
            counts the events whose figure is unknown, which add to no sum: a row whose `unknown`
            is not 0 is a partial sum. Example: `{"events": 24, "killed": {"min": 17, "max": 17,
            "best": 17, "with_best": 13, "unknown": 11}}`: 17 killed in the 13 events that report a
            figure, unknown in 11. An event counts once per row (`counting`); `total` counts every
            matching event once. Rows are ordered by the group keys (nulls first); `fill=true` adds
            zero rows for empty periods.
            """
            rel = release_of(version)
            values = args(rel.params.aggregates)
            if "group_by" not in values:
                raise ApiError(422, "group_by: required, e.g. group_by=country,month", parameter="group_by")
            keys: list[str] = values["group_by"]
            where = where_clause(values, rel.store.actor_ids_for)
            items = aggregate(rel.store, keys, where, values)
            if values.get("fill"):
                lo, hi = (values.get(f"date_start__{op}") for op in ("gte", "lte"))
                items = fill_periods(
                    items, keys, lo and date.fromisoformat(lo), hi and date.fromisoformat(hi)
                )
            body = {
                "group_by": keys,
                "counting": COUNTING,
                "total": total(rel.store, where, values),
                "items": items,
            }
            return json_response(body)

    return blp


@changes_blp.route("/changes", parameters=openapi_parameters(CHANGES_PARAMS))
class Changes(MethodView):
    @changes_blp.response(200, ChangesSchema, description="Changed events, by id.")
    @_errors(changes_blp)
    def get(self, version: str | None = None) -> Response:
        """Events modified or withdrawn strictly after `since` (all when left out); pass `until`
        as the next `since` to keep a copy current."""
        rel = release_of(version)
        values = args(CHANGES_PARAMS)
        since = values.get("since")
        items, until = rel.store.changes(since)
        body = {
            "items": [{"id": i, "modified": m, "withdrawn": w, "withdrawn_at": at} for i, m, w, at in items],
            "since": stamp_of(since) if since else None,
            "until": until,
        }
        return json_response(body)


@actors_blp.route("/actors")
class Actors(MethodView):
    @actors_blp.response(200, ActorListSchema, description="Every actor, by id.")
    @_errors(actors_blp, (400, 404))
    def get(self, version: str | None = None) -> Response:
        """The actor registry of the release."""
        rel = release_of(version)
        args([])
        bodies = rel.store.actors()
        return json_response(
            b'{"items":[' + b",".join(bodies) + b'],"total":' + str(len(bodies)).encode() + b"}"
        )


@actors_blp.route("/actors/<string:actor_id>")
class ActorItem(MethodView):
    @actors_blp.response(200, {"$ref": "#/components/schemas/Actor"}, description="The actor.")
    @_errors(actors_blp, (400, 404))
    def get(self, actor_id: str, version: str | None = None) -> Response:
        """One actor by id."""
        rel = release_of(version)
        args([])
        body = rel.store.actor_body(actor_id)
        if body is None:
            raise ApiError(
                404,
                f"no actor {actor_id!r} in release {rel.version}",
                code="unknown_actor",
                parameter="actor_id",
            )
        return json_response(body)
