"""GET /grid (events per map cell) and /histogram (events per month, week or day): the overviews
the explorer draws, public like every route."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from openstrikes.index.filters import where_clause
from openstrikes.index.grid import CELL_TYPE, MAX_CELLS, check_span, grid
from openstrikes.index.histogram import BUCKETS, histogram
from openstrikes.index.params import Param, ParamSet, openapi_parameters
from openstrikes.index.values import ValueType, choice
from openstrikes.web.common import ERROR_CODES, args, json_response, not_modified, release_of, request_etag
from openstrikes.web.errors import ApiError
from openstrikes.web.response_schemas import ApiErrorSchema

CELL_PARAM = Param(
    "cell",
    CELL_TYPE,
    f"Required. Cell size in degrees of latitude and longitude; at most {MAX_CELLS} cells over the "
    "bbox (or the world without one).",
)
INTERVALS = tuple(BUCKETS)
INTERVAL_PARAM = Param(
    "interval",
    ValueType(choice(INTERVALS), {"type": "string", "enum": list(INTERVALS)}, "month, week or day"),
    "Bucket size: month (default), week (from Monday) or day, by date_start.",
)


def grid_params(params: ParamSet) -> list[Param]:
    """The filters of /aggregates (not group_by) and `cell`."""
    return [p for p in params.aggregates if p.name != "group_by"] + [CELL_PARAM]


def histogram_params(params: ParamSet) -> list[Param]:
    return [p for p in params.aggregates if p.name != "group_by"] + [INTERVAL_PARAM]


class KilledSumSchema(Schema):
    min = fields.Integer(required=True)
    max = fields.Integer(required=True)


class GridCellSchema(Schema):
    south = fields.Float(required=True)
    west = fields.Float(required=True)
    north = fields.Float(required=True)
    east = fields.Float(required=True)
    lat = fields.Float(required=True, metadata={"description": "Mean latitude of its events."})
    lon = fields.Float(required=True, metadata={"description": "Mean longitude of its events."})
    events = fields.Integer(required=True)
    by_strike_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    killed = fields.Nested(
        KilledSumSchema,
        required=True,
        metadata={"description": "Sums of the lowest and highest killed figures (unknown adds nothing)."},
    )
    killed_unknown = fields.Integer(required=True, metadata={"description": "Events with killed unknown."})


class GridSchema(Schema):
    cell = fields.Float(required=True)
    total = fields.Integer(required=True, metadata={"description": "Events matching the filters."})
    unlocated = fields.Integer(
        required=True, metadata={"description": "Matching events without coordinates (on no cell)."}
    )
    items = fields.List(fields.Nested(GridCellSchema), required=True)


class HistogramBucketSchema(Schema):
    start = fields.String(required=True, metadata={"description": "First day of the bucket."})
    events = fields.Integer(required=True)
    by_strike_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class HistogramSchema(Schema):
    interval = fields.String(required=True)
    items = fields.List(fields.Nested(HistogramBucketSchema), required=True)


def _errors(blp: Blueprint) -> Any:
    def wrap(view: Any) -> Any:
        for code in ERROR_CODES:
            view = blp.alt_response(code, schema=ApiErrorSchema, description="Error")(view)
        return view

    return wrap


def overview_blueprint(params: ParamSet) -> Blueprint:
    """/grid and /histogram, documented with `params` (the latest release's schema); each request
    is read with the parameters of the schema of the release it asks for."""
    blp = Blueprint("overview", __name__, description="Overviews for maps and timelines.")

    @blp.route("/grid", parameters=openapi_parameters(grid_params(params)))
    class Grid(MethodView):
        @blp.response(200, GridSchema, description="The non-empty cells, by row then column.")
        @_errors(blp)
        def get(self, version: str | None = None) -> Response:
            """Count matching events per cell of a latitude/longitude grid.

            A cell holds its bounds, the mean position of its events, counts by strike type and
            the killed sums as a range. Events without coordinates are counted in `unlocated`.
            """
            rel = release_of(version)
            values = args(grid_params(rel.params))
            if "cell" not in values:
                raise ApiError(422, "cell: required, e.g. cell=1", parameter="cell")
            check_span(values["cell"], values.get("bbox"))
            etag = request_etag(rel)
            cached = not_modified(etag)
            if cached is not None:
                return cached
            body = grid(rel.store, values["cell"], where_clause(values, rel.store.actor_ids_for), values)
            resp = json_response(body)
            resp.set_etag(etag)
            return resp

    @blp.route("/histogram", parameters=openapi_parameters(histogram_params(params)))
    class Histogram(MethodView):
        @blp.response(200, HistogramSchema, description="Non-empty buckets, by date.")
        @_errors(blp)
        def get(self, version: str | None = None) -> Response:
            """Count matching events per month, week or day of date_start, by strike type."""
            rel = release_of(version)
            values = args(histogram_params(rel.params))
            interval = values.get("interval", "month")
            etag = request_etag(rel)
            cached = not_modified(etag)
            if cached is not None:
                return cached
            body = histogram(rel.store, interval, where_clause(values, rel.store.actor_ids_for), values)
            resp = json_response(body)
            resp.set_etag(etag)
            return resp

    return blp
