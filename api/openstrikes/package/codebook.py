"""The codebook: every field and every code of the schemas with its definition, the coding rules,
and for each code how many records use it and the earliest one that does. Generated from the
schemas' descriptions (`description`, `x-enum-descriptions`, `x-coding-rules`) and the records, so
it cannot drift: CODEBOOK.md is its Markdown form (`openstrikes codebook --write`), /docs/codebook
its HTML form for a served release."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from openstrikes.schema_files import resolve_ref

RULE_TITLES = {
    "unit": "The unit of an event",
    "dates": "Dates",
    "places": "Places",
    "at_sea": "Events at sea",
    "casualties": "Casualties",
    "sources": "Sources",
}


class CodebookError(ValueError):
    """The schemas cannot make a codebook (a code without a definition)."""


@dataclass(frozen=True)
class Field:
    """One field of a schema: its path in a record (`a.b`, `list[].c`), what it holds and whether
    its object requires it."""

    path: str
    kind: str
    required: bool
    description: str
    codes: tuple[Any, ...] = ()
    definitions: tuple[str, ...] = ()


@dataclass
class Usage:
    """Per code of a field: how many records use it and the first one that does (by order key)."""

    counts: dict[Any, int] = field(default_factory=dict)
    first: dict[Any, tuple[str, ...]] = field(default_factory=dict)

    def add(self, value: Any, order: tuple[str, ...]) -> None:
        self.counts[value] = self.counts.get(value, 0) + 1
        if value not in self.first or order < self.first[value]:
            self.first[value] = order

    def example(self, value: Any) -> str | None:
        """The id of the first record using `value` (the last part of its order key)."""
        return self.first[value][-1] if value in self.first else None


def _variants(schema: dict[str, Any], node: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
    """(may it be null, its non-null alternatives)."""
    node = resolve_ref(schema, node)
    alts = node.get("oneOf") or node.get("anyOf")
    if not alts:
        types = node.get("type")
        nullable = types == "null" or (isinstance(types, list) and "null" in types)
        nullable = nullable or None in node.get("enum", ())
        return nullable, [] if types == "null" else [node]
    nullable, out = False, list[dict[str, Any]]()
    for alt in alts:
        n, subs = _variants(schema, alt)
        nullable, out = nullable or n, out + subs
    return nullable, out


def _kind(node: dict[str, Any], nullable: bool) -> str:
    if "enum" in node:
        text = "code"
    else:
        types = node.get("type")
        types = [t for t in types if t != "null"] if isinstance(types, list) else [types]
        text = " or ".join(str(t) for t in types)
        if "format" in node:
            text += f" ({node['format']})"
        if "minimum" in node and "maximum" in node:
            text += f", {node['minimum']} to {node['maximum']}"
        elif "minimum" in node:
            text += f" >= {node['minimum']}"
        if "pattern" in node and node.get("type") != "object":
            text += f" matching `{node['pattern']}`"
        if "x-references" in node:
            text += f", a key of {node['x-references']}"
    return text + (" or null" if nullable else "")


NO_DEFINITION = "(not defined in the schema of this release)"


def fields_of(schema: dict[str, Any], *, strict: bool = True) -> list[Field]:
    """Every field of a schema, depth first in the schema's order. A code without a definition is
    a CodebookError, or with `strict=False` (a release made before the definitions) NO_DEFINITION."""
    out: list[Field] = []

    def walk(obj: dict[str, Any], prefix: str) -> None:
        required = set(obj.get("required", ()))
        for name, prop in obj.get("properties", {}).items():
            path = prefix + name
            nullable, variants = _variants(schema, prop)
            description = resolve_ref(schema, prop).get("description", "")
            for variant in variants or [{}]:
                description = description or variant.get("description", "")
                if variant.get("type") == "array":
                    item_nullable, items = _variants(schema, variant.get("items", {}))
                    item = items[0] if items else {}
                    kind = "list of " + (
                        "objects" if item.get("type") == "object" else _kind(item, item_nullable)
                    )
                    out.append(
                        _field(
                            path,
                            kind,
                            name in required,
                            description or item.get("description", ""),
                            item,
                            strict,
                        )
                    )
                    if item.get("type") == "object":
                        walk(item, path + "[].")
                elif variant.get("type") == "object" and "properties" in variant:
                    kind = "object or null" if nullable else "object"
                    out.append(
                        Field(path, kind, name in required, description or variant.get("description", ""))
                    )
                    walk(variant, path + ".")
                else:
                    out.append(
                        _field(path, _kind(variant, nullable), name in required, description, variant, strict)
                    )
                break  # one row per field: the alternatives of a field share its meaning

    walk(schema, "")
    return out


def _field(
    path: str, kind: str, required: bool, description: str, node: dict[str, Any], strict: bool
) -> Field:
    if "enum" not in node:
        return Field(path, kind, required, description)
    codes = tuple(node["enum"])
    definitions = tuple(node.get("x-enum-descriptions", ()))
    if len(definitions) != len(codes) or not all(isinstance(d, str) and d for d in definitions):
        if not strict:
            return Field(path, kind, required, description, codes, (NO_DEFINITION,) * len(codes))
        raise CodebookError(
            f"{path}: x-enum-descriptions must define each of its {len(codes)} codes, in order"
        )
    return Field(path, kind, required, description, codes, definitions)


def _coded(fields: list[Field]) -> list[tuple[str, list[str]]]:
    return [(f.path, f.path.replace("[].", "[] ").replace(".", " ").split()) for f in fields if f.codes]


def usage(
    fields: list[Field], records: Iterable[dict[str, Any]], order: Callable[[dict[str, Any]], tuple[str, ...]]
) -> dict[str, Usage]:
    """For each coded field, the use of each code over `records` (streamed: only the counts are
    kept), a record counted once per code; `order` gives a record's sort key, its id last."""
    readers = [(path, _reader(parts)) for path, parts in _coded(fields)]
    out = {path: Usage() for path, _ in readers}
    for record in records:
        key = order(record)
        for path, read in readers:
            for value in dict.fromkeys(read(record)):
                out[path].add(value, key)
    return out


Reader = Callable[[Any], list[Any]]


def _reader(parts: list[str]) -> Reader:
    """A function giving the values at a field path (`parts`) in a record, a missing key none (a
    plain function, no generator per record: the index build reads every event through these)."""
    if not parts:
        return lambda record: [record]
    head, rest = parts[0], _reader(parts[1:]) if len(parts) > 1 else None
    name = head.removesuffix("[]")
    if head.endswith("[]"):
        if rest is None:

            def items(record: Any) -> list[Any]:
                if not isinstance(record, dict) or name not in record:
                    return []
                value = record[name]
                return list(value) if isinstance(value, list) else []

            return items

        def nested_items(record: Any) -> list[Any]:
            if not isinstance(record, dict) or name not in record:
                return []
            value = record[name]
            return [v for item in value for v in rest(item)] if isinstance(value, list) else []

        return nested_items
    if rest is None:
        return lambda record: [record[name]] if isinstance(record, dict) and name in record else []
    return lambda record: rest(record[name]) if isinstance(record, dict) and name in record else []


MISSING = object()  # a top-level coded key that a record lacks (counted as nothing)
Table = dict[Any, list[Any]]  # value -> [records using it, earliest order key]


def _bump(table: Table, found: list[Any], count: int, order: tuple[str, str]) -> None:
    """Count `count` records holding the values `found` (each once), earliest at `order`."""
    try:
        distinct = found if len(found) == 1 else dict.fromkeys(found)
        for value in distinct:
            hit = table.get(value)
            if hit is None:
                table[value] = [count, order]
            else:
                hit[0] += count
                if order < hit[1]:
                    hit[1] = order
    except TypeError:  # a value that is no code at all (a list, an object): never counted
        _bump(table, list(dict.fromkeys(v for v in found if _is_hashable(v))), count, order)


class _Side:
    """The coded fields counted for live events, or for withdrawn ones: the top-level fields
    (one value each) together, by their combination of values (few distinct), the others one by
    one."""

    def __init__(self, coded: list[tuple[str, list[str]]], tables: dict[str, Table]) -> None:
        flat = [(path, parts[0]) for path, parts in coded if len(parts) == 1 and not parts[0].endswith("[]")]
        self.flat_paths = [path for path, _ in flat]
        self.names = [name for _, name in flat]
        self.combos: dict[tuple[Any, ...], list[Any]] = {}
        rest = [(path, parts) for path, parts in coded if path not in set(self.flat_paths)]
        # `list[].key` fields (most list fields) are read inline; the others through _reader
        paired = {
            p for p, parts in rest if len(parts) == 2 and parts[0].endswith("[]") and "[]" not in parts[1]
        }
        self.pairs = [(parts[0].removesuffix("[]"), parts[1], tables[p]) for p, parts in rest if p in paired]
        self.nested = [(_reader(parts), tables[p]) for p, parts in rest if p not in paired]

    def add(self, event: dict[str, Any], order: tuple[str, str]) -> None:
        key = tuple([event.get(name, MISSING) for name in self.names])
        try:
            hit = self.combos.get(key)
        except TypeError:  # an unhashable value (no code at all): left out of the combination
            hit = self.combos.get(key := tuple(v if _is_hashable(v) else MISSING for v in key))
        if hit is None:
            self.combos[key] = [1, order]
        else:
            hit[0] += 1
            if order < hit[1]:
                hit[1] = order
        for name, sub, table in self.pairs:
            items = event.get(name)
            if not items or not isinstance(items, list):
                continue
            found = [item[sub] for item in items if isinstance(item, dict) and sub in item]
            if found:
                _bump(table, found, 1, order)
        for read, table in self.nested:
            found = read(event)
            if found:
                _bump(table, found, 1, order)

    def spread(self, tables: dict[str, Table]) -> None:
        """Count the combinations into the tables of their fields."""
        for key, (count, order) in self.combos.items():
            for path, value in zip(self.flat_paths, key, strict=True):
                if value is not MISSING:
                    _bump(tables[path], [value], count, order)


class EventCodeUse:
    """`event_usage` counted one event at a time (the index build counts while it reads the
    events); any order of events gives the same answer."""

    def __init__(self, fields: list[Field]) -> None:
        coded = _coded(fields)
        self.tables: dict[str, Table] = {path: {} for path, _ in coded}
        self.live = _Side([c for c in coded if not c[0].startswith("withdrawn.")], self.tables)
        self.gone = _Side([c for c in coded if c[0].startswith("withdrawn.")], self.tables)

    def add(self, event: dict[str, Any]) -> None:
        order = (str(event.get("date_start")), str(event.get("id")))
        (self.gone if event.get("withdrawn") else self.live).add(event, order)

    def result(self) -> dict[str, Usage]:
        tables = {path: {v: list(hit) for v, hit in table.items()} for path, table in self.tables.items()}
        self.live.spread(tables)
        self.gone.spread(tables)
        return {
            path: Usage({v: hit[0] for v, hit in table.items()}, {v: hit[1] for v, hit in table.items()})
            for path, table in tables.items()
        }


def _is_hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def event_usage(fields: list[Field], events: Iterable[dict[str, Any]]) -> dict[str, Usage]:
    """Code use over events, the example the earliest by (date_start, id): live events, except
    for the `withdrawn` fields, which only withdrawn events have (see EventCodeUse)."""
    counter = EventCodeUse(fields)
    for event in events:
        counter.add(event)
    return counter.result()


def _by_id(name: str) -> Callable[[dict[str, Any]], tuple[str, ...]]:
    return lambda record: (str(record.get(name)),)


# Blocks: ("h2"|"h3"|"p", text) or ("table", (header, rows)); text is Markdown-light: `code` only.
Block = tuple[str, Any]


def _code_text(value: Any) -> str:
    return "`null`" if value is None else f"`{value}`"


def _codes_table(f: Field, use: Usage, noun: str) -> Block:
    rows = [
        [
            _code_text(code),
            definition,
            str(use.counts.get(code, 0)),
            f"`{use.example(code)}`" if code in use.first else "none",
        ]
        for code, definition in zip(f.codes, f.definitions, strict=True)
    ]
    return ("table", (["code", "definition", noun, "example"], rows))


def codebook_blocks(
    event_schema: dict[str, Any],
    actor_schema: dict[str, Any],
    place_schema: dict[str, Any] | None,
    events: Iterable[dict[str, Any]],
    actors: Iterable[dict[str, Any]],
    places: Iterable[dict[str, Any]],
    *,
    strict: bool = True,
    event_use: dict[str, Usage] | None = None,
) -> list[Block]:
    """The codebook as a list of blocks (rendered by `markdown` or `html_page`); `strict=False`
    for a served release whose schemas may predate the code definitions. `event_use`: the use of
    the event codes counted before (`event_usage` of these events: the index holds it), instead
    of counting `events`."""
    ev_fields = fields_of(event_schema, strict=strict)
    if event_use is None:
        ev_use = event_usage(ev_fields, events)
    else:
        ev_use = {path: event_use.get(path, Usage()) for path, _ in _coded(ev_fields)}
    blocks: list[Block] = [
        ("h1", "OpenStrikes codebook"),
        (
            "p",
            f"Event schema {event_schema.get('x-schema-version')}, actor schema "
            f"{actor_schema.get('x-schema-version')}"
            + (f", place schema {place_schema.get('x-schema-version')}" if place_schema else "")
            + ". Generated from the schemas' descriptions and the records by `openstrikes codebook "
            "--write`; a test fails when this file is stale. Counts and examples are over live events "
            "(withdrawn ones for the withdrawal fields); the example is the earliest event using the code "
            "(by `date_start`, then id), `none` when no event uses it.",
        ),
        ("h2", "Coding rules"),
        ("p", str(event_schema.get("description", ""))),
    ]
    for key, text in event_schema.get("x-coding-rules", {}).items():
        blocks += [("h3", RULE_TITLES.get(key, key.replace("_", " ").capitalize())), ("p", text)]
    blocks += _schema_section("Event", ev_fields, ev_use, "events")
    ac_fields = fields_of(actor_schema, strict=strict)
    blocks += _schema_section("Actor", ac_fields, usage(ac_fields, actors, _by_id("id")), "actors")
    if place_schema is not None:
        pl_fields = fields_of(place_schema, strict=strict)
        pl_use = usage(pl_fields, places, _by_id("slug"))
        blocks += _schema_section("Place", pl_fields, pl_use, "places")
    return blocks


def _schema_section(name: str, fields: list[Field], use: dict[str, Usage], noun: str) -> list[Block]:
    rows = [[f"`{f.path}`", f.kind, "yes" if f.required else "no", f.description] for f in fields]
    out: list[Block] = [
        ("h2", f"{name} fields"),
        ("table", (["field", "type", "required", "description"], rows)),
    ]
    for f in fields:
        if f.codes:
            out += [
                ("h3", f"{name} codes: `{f.path}`"),
                ("p", f.description),
                _codes_table(f, use[f.path], noun),
            ]
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(blocks: list[Block]) -> str:
    """The Markdown text of a codebook (CODEBOOK.md)."""
    out: list[str] = []
    for kind, body in blocks:
        if kind == "h1":
            out += [f"# {body}", ""]
        elif kind == "h2":
            out += [f"## {body}", ""]
        elif kind == "h3":
            out += [f"### {body}", ""]
        elif kind == "p":
            if body:
                out += [body, ""]
        else:
            header, rows = body
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
    return "\n".join(out)


def _inline(text: str, link: str | None) -> str:
    """HTML of Markdown-light text: `code` spans, event ids linked when `link` is given."""
    parts = text.split("`")
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(html.escape(part))
        elif link and part.startswith("OS-"):
            out.append(
                f"<a href='{html.escape(link.format(id=part), quote=True)}'><code>{html.escape(part)}</code></a>"
            )
        else:
            out.append(f"<code>{html.escape(part)}</code>")
    return "".join(out)


def html_page(blocks: list[Block], *, event_link: str | None = None) -> str:
    """A self-contained HTML page of a codebook; `event_link` (e.g. "/v1/events/{id}") links the
    example ids."""
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'><title>OpenStrikes codebook</title>",
        "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}"
        "code{font:13px ui-monospace,monospace;background:#f4f4f4}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ddd;padding:.25rem .4rem;vertical-align:top;text-align:left}</style></head><body>",
    ]
    for kind, body in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append(f"<{kind}>{_inline(body, None)}</{kind}>")
        elif kind == "p":
            out.append(f"<p>{_inline(body, None)}</p>")
        else:
            header, rows = body
            out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
            out += [
                "<tr>" + "".join(f"<td>{_inline(c, event_link)}</td>" for c in row) + "</tr>" for row in rows
            ]
            out.append("</table>")
    out.append("</body></html>")
    return "".join(out)
