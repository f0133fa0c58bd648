"""Checking one parsed record, with no file and no dataset around it: the schema, the coded
meaning checks, and (for a single event, e.g. the API's POST /validate) the dataset-wide checks
against records given as data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from openstrikes.problems import Problem
from openstrikes.schema_files import SCHEMA_FILES
from openstrikes.toolchain import crosscheck
from openstrikes.toolchain.checks import SHAPE_ERRORS, Context, per_record_checks
from openstrikes.toolchain.crosscheck import ActorFacts, EventFacts, PlaceFacts
from openstrikes.toolchain.schema_check import checker, checker_for


def check_record(
    data: Any, kind: str, display: str, ctx: Context, schema: dict[str, Any] | None = None
) -> list[Problem]:
    """Schema and per-record meaning checks of one parsed record (no file or dataset checks),
    against `schema` when given, else the schema file of its kind."""
    name = SCHEMA_FILES[kind]  # type: ignore[index]
    problems = (checker(name) if schema is None else checker_for(schema, name)).problems(data, display)
    if not isinstance(data, dict):
        return problems
    for func, code, hint in _check_functions(kind):
        try:
            found = func(data, ctx)
            if not found:  # most checks of most records: an empty tuple
                continue
            for finding in found:
                fix = finding[2] if len(finding) == 3 else hint  # a finding may bring its own hint
                problems.append(Problem(display, finding[0], code, finding[1], fix))
        except SHAPE_ERRORS:
            # The record's shape is wrong here; the schema problems above already say how.
            continue
    return problems


@cache
def _check_functions(kind: str) -> tuple[tuple[Callable[..., Iterable[Any]], str, str], ...]:
    return tuple((c.func, c.code, c.hint) for c in per_record_checks(kind) if c.func is not None)  # type: ignore[arg-type]


def validate_event_data(
    data: Any,
    *,
    actors: Iterable[dict[str, Any]] = (),
    events: Iterable[dict[str, Any]] = (),
    places: Iterable[dict[str, Any]] = (),
    filename: str = "<request>",
    now: datetime | None = None,
    schema: dict[str, Any] | None = None,
) -> list[Problem]:
    """Check one event record (e.g. a POST body) as `validate` would check its file:
    schema (`schema`, else the event schema file), meaning checks, and links/actors/places/
    duplicates against the given records."""
    ctx = Context(now=now or datetime.now(UTC))
    problems = check_record(data, "event", filename, ctx, schema)
    if isinstance(data, dict):
        facts = crosscheck.facts_of(data, "event")
        if isinstance(facts, EventFacts):
            others = [
                ("<dataset>", f)
                for f in (crosscheck.facts_of(e, "event") for e in events)
                if isinstance(f, EventFacts) and f.id != facts.id
            ]
            actor_facts = [
                ("<dataset>", f)
                for f in (crosscheck.facts_of(a, "actor") for a in actors)
                if isinstance(f, ActorFacts)
            ]
            place_facts = [
                ("<dataset>", f)
                for f in (crosscheck.facts_of(x, "place") for x in places)
                if isinstance(f, PlaceFacts)
            ]
            problems.extend(
                p
                for p in crosscheck.dataset_problems([(filename, facts), *others], actor_facts, place_facts)
                if p.file == filename
            )
    return sorted(problems, key=lambda p: (p.pointer, p.code))
