"""Response shapes for the OpenAPI text: marshmallow schemas for the envelopes, and the JSON Schemas
bundled in the latest release (schema/*.schema.json when it was built) for events and actors.

The views render bodies directly (bytes from the index go out untouched), so these schemas document
and are checked (Schemathesis, tests) rather than run per request.
"""

from __future__ import annotations

import copy
from typing import Any

from marshmallow import Schema, fields

from openstrikes.index.filters import GROUP_KEYS

EVENT_REF = "#/components/schemas/Event"
PARTIAL_EVENT_REF = "#/components/schemas/EventFields"
ACTOR_REF = "#/components/schemas/Actor"
PLACE_REF = "#/components/schemas/Place"


def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                out[k] = f"#/components/schemas/{prefix}{v.removeprefix('#/$defs/')}"
            else:
                out[k] = _rewrite_refs(v, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, prefix) for v in node]
    return node


def hoisted(schema: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """A JSON Schema as OpenAPI components: the schema as `name`, its $defs as `name_<def>`."""
    schema = copy.deepcopy(schema)
    defs = schema.pop("$defs", {})
    for k in ("$schema", "$id"):
        schema.pop(k, None)
    out = {name: _rewrite_refs(schema, f"{name}_")}
    for k, v in defs.items():
        out[f"{name}_{k}"] = _rewrite_refs(v, f"{name}_")
    return out


def components(
    event_schema: dict[str, Any], actor_schema: dict[str, Any], place_schema: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Event, EventFields (an event trimmed by `fields=`: nothing required but `id`), Actor and Place."""
    out = hoisted(event_schema, "Event")
    partial = copy.deepcopy(out["Event"])
    partial["required"] = ["id"]
    # Its own title: generators (openapi-python-client) name models by title, and two schemas of one
    # title make them drop one (and the pages that use it).
    partial["title"] = f"{out['Event'].get('title', 'Event')} (selected fields)"
    partial["description"] = "An event, possibly trimmed to the fields asked for with `fields=`."
    out["EventFields"] = partial
    out.update(hoisted(actor_schema, "Actor"))
    out.update(hoisted(place_schema, "Place"))
    return out


def _ref(ref: str, *, required: bool = False, **meta: Any) -> fields.Raw:
    return fields.Raw(required=required, metadata={"allOf": [{"$ref": ref}], **meta})


class ApiErrorBodySchema(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code."})
    message = fields.String(required=True)
    parameter = fields.String(
        required=True, allow_none=True, metadata={"description": "The parameter at fault."}
    )
    details = fields.Raw(required=True, allow_none=True)


class ApiErrorSchema(Schema):
    error = fields.Nested(ApiErrorBodySchema, required=True)


class EventPageSchema(Schema):
    items = fields.List(_ref(PARTIAL_EVENT_REF), required=True)
    total = fields.Integer(required=True, metadata={"description": "Events matching the filters."})
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata={"description": "Opaque; null on the last page."}
    )
    next = fields.String(
        required=True, allow_none=True, metadata={"description": "URL of the next page; null on the last."}
    )
    distance_km = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        required=True,
        allow_none=True,
        metadata={
            "description": "With near: each event's distance from the centre in km, by id (none for "
            "an event without coordinates, which only geo_fallback brings in); else null."
        },
    )
    without_coordinates = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "With bbox or near: how many events the other filters match that have no "
            "coordinates, and so are left out (with geo_fallback=admin: those it does not bring in); "
            "null without a geo filter."
        },
    )


class RelatedLinkSchema(Schema):
    id = fields.String(required=True)
    distance = fields.Integer(required=True, metadata={"description": "Steps from the event asked for."})
    via = fields.String(required=True, metadata={"description": "The linked event one step nearer."})
    relation = fields.String(required=True, metadata={"description": "The relation of the link to `via`."})
    direction = fields.String(
        required=True,
        metadata={
            "enum": ["names", "named_by"],
            "description": "names: this event's record names `via` (it is e.g. a retaliation_for `via`); "
            "named_by: `via`'s record names this event.",
        },
    )


class RelatedListSchema(Schema):
    items = fields.List(_ref(EVENT_REF), required=True)
    links = fields.List(
        fields.Nested(RelatedLinkSchema), required=True, metadata={"description": "How items[i] is linked."}
    )


class ChangeSchema(Schema):
    id = fields.String(required=True)
    modified = fields.String(required=True, metadata={"format": "date-time"})
    withdrawn = fields.Boolean(required=True)
    withdrawn_at = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class ChangesSchema(Schema):
    items = fields.List(fields.Nested(ChangeSchema), required=True)
    since = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})
    until = fields.String(required=True, allow_none=True, metadata={"format": "date-time"})


class RangeSchema(Schema):
    """One casualty figure summed over a group; a row whose `unknown` is not 0 is a partial sum."""

    min = fields.Integer(required=True, metadata={"description": "Sum of the lowest reported figures."})
    max = fields.Integer(required=True, metadata={"description": "Sum of the highest reported figures."})
    best = fields.Integer(
        required=True, metadata={"description": "Sum of the best estimates, over the `with_best` events."}
    )
    with_best = fields.Integer(required=True, metadata={"description": "Events that give a best estimate."})
    unknown = fields.Integer(
        required=True,
        metadata={"description": "Events whose figure is unknown (null): they add to no sum."},
    )


class AggregateCountsSchema(Schema):
    events = fields.Integer(required=True, metadata={"description": "Distinct events in the row."})
    killed = fields.Nested(RangeSchema, required=True)
    injured = fields.Nested(RangeSchema, required=True)
    civilians_killed = fields.Nested(RangeSchema, required=True)
    civilians_injured = fields.Nested(RangeSchema, required=True)


# Group key values (by their group_by names, from the one GROUP_KEYS table) plus the counts.
AggregateRowSchema = AggregateCountsSchema.from_dict(
    {key: fields.String(allow_none=True) for key in GROUP_KEYS}, name="AggregateRowSchema"
)


class AggregatesSchema(Schema):
    group_by = fields.List(fields.String(), required=True)
    counting = fields.String(required=True, metadata={"description": "How events are counted per row."})
    total = fields.Nested(
        AggregateCountsSchema,
        required=True,
        metadata={"description": "Every matching event counted once (rows can add up to more)."},
    )
    items = fields.List(fields.Nested(AggregateRowSchema), required=True)


class ActorListSchema(Schema):
    items = fields.List(_ref(ACTOR_REF), required=True)
    total = fields.Integer(required=True)


class PlaceListSchema(Schema):
    items = fields.List(_ref(PLACE_REF), required=True)
    total = fields.Integer(required=True)


class PlaceWithEventsSchema(Schema):
    place = _ref(PLACE_REF, required=True)
    events = fields.List(_ref(EVENT_REF), required=True, metadata={"description": "Live events there."})
    total = fields.Integer(required=True, metadata={"description": "How many events name the place."})


class FileSchema(Schema):
    name = fields.String(required=True)
    bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True, metadata={"pattern": "^[0-9a-f]{64}$"})
    url = fields.String(required=True)


class ReleaseSchema(Schema):
    version = fields.String(required=True)
    name = fields.String(required=True)
    created = fields.String(required=True, allow_none=True)
    sha256 = fields.String(required=True, metadata={"description": "sha256 of datapackage.json"})
    events = fields.Integer(required=True)
    files = fields.List(fields.Nested(FileSchema), required=True)


class ReleasesSchema(Schema):
    items = fields.List(fields.Nested(ReleaseSchema), required=True)
    latest = fields.String(required=True)


class ProblemSchema(Schema):
    file = fields.String(required=True)
    pointer = fields.String(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    hint = fields.String(required=True)
    line = fields.Integer(required=True, allow_none=True)
    column = fields.Integer(required=True, allow_none=True)


class ReportSchema(Schema):
    valid = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "Always `ok` when the server answers."})
    release = fields.String(
        required=True, metadata={"description": "The latest DATA release served (what /v1 answers from)."}
    )
    releases = fields.List(
        fields.String(), required=True, metadata={"description": "Every data release served, newest first."}
    )
    events = fields.Integer(
        required=True,
        metadata={"description": "Number of events (withdrawn included) in the latest release."},
    )
    version = fields.String(
        required=True,
        metadata={
            "description": "Version of the openstrikes SERVER software, not of the data (see `release`)."
        },
    )
