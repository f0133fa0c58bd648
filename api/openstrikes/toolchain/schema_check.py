"""Schema validation: a fast path (jsonschema-rs) that answers "valid?", and the reference
`jsonschema` validator that explains every error. Both enforce formats; a test holds them to
agreement."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterator
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import orjson

from openstrikes.problems import Problem, pointer_join
from openstrikes.schema_files import load_schema

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_CODES = {
    "required": "OS201",
    "additionalProperties": "OS202",
    "unevaluatedProperties": "OS202",
    "type": "OS203",
    "enum": "OS204",
    "const": "OS204",
    "pattern": "OS205",
    "format": "OS206",
    "minimum": "OS207",
    "maximum": "OS207",
    "exclusiveMinimum": "OS207",
    "exclusiveMaximum": "OS207",
    "minItems": "OS208",
    "maxItems": "OS208",
    "uniqueItems": "OS208",
    "minLength": "OS208",
    "maxLength": "OS208",
    "minProperties": "OS208",
}
_FORMAT_HINTS = {
    "date": "write a real calendar date as YYYY-MM-DD",
    "date-time": "write an RFC 3339 time in UTC, e.g. 2021-06-27T22:00:00Z",
    "uri": "write an absolute URL, e.g. https://example.org/page",
}
_TYPE_NAMES = {
    "null": "null",
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "array": "list [...]",
    "object": "object {...}",
    "boolean": "true or false",
}


class SchemaChecker:
    """Validate records of one schema, with every format checker active."""

    def __init__(self, schema: dict[str, Any], schema_file: str) -> None:
        self.schema_file = schema_file
        self.schema = schema
        self.fast = jsonschema_rs.validator_for(schema, validate_formats=True)

    @cached_property
    def reference(self) -> Any:
        """The reference validator, built on first need: importing `jsonschema` with its format
        checkers costs seconds, and valid records never need it."""
        from jsonschema import Draft202012Validator

        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def is_valid(self, data: Any) -> bool:
        """The fast path's answer."""
        return bool(self.fast.is_valid(data))

    def problems(self, data: Any, file: str) -> list[Problem]:
        """Every schema problem of `data` (empty when valid)."""
        if self.is_valid(data):
            return []
        found: list[Problem] = []
        for error in self.reference.iter_errors(data):
            found.extend(self._explain(error, file))
        if not found:
            # The two validators disagree: report rather than hide it.
            found.append(
                Problem(
                    file,
                    "",
                    "OS209",
                    "the record fails schema validation (fast validator)",
                    f"check the record against schema/{self.schema_file}",
                )
            )
        return sorted(set(found))

    def _explain(self, error: ValidationError, file: str) -> Iterator[Problem]:
        if error.validator in ("oneOf", "anyOf") and error.context:
            # "null or an object": explain the branch the contributor meant, not the null branch.
            meant = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
            if meant:
                best = min(len(e.relative_schema_path) for e in meant)
                for sub in meant:
                    if len(sub.relative_schema_path) == best or sub.validator != "type":
                        yield from self._explain(sub, file)
                return
        base = pointer_join(*error.absolute_path)
        kind = str(error.validator)
        code = _CODES.get(kind, "OS209")
        value = error.validator_value
        if kind == "required" and isinstance(error.instance, dict):
            for key in value:
                if key not in error.instance:
                    yield Problem(
                        file,
                        base + pointer_join(key),
                        code,
                        f"required field {key!r} is missing",
                        f"add {key!r} (use null where the schema allows it and the value is unknown)",
                    )
            return
        if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
            known = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in known:
                    close = difflib.get_close_matches(key, known, n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(known)}"
                    yield Problem(
                        file,
                        base + pointer_join(key),
                        code,
                        f"unknown field {key!r}",
                        f"remove or rename it: {hint}",
                    )
            return
        yield Problem(file, base, code, _message(error), _hint(error, base))


def _message(error: ValidationError) -> str:
    kind, value, inst = error.validator, error.validator_value, error.instance
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return f"{_short(inst)} is not of type {' or '.join(map(str, wanted))}"
    if kind == "enum":
        return f"{_short(inst)} is not an allowed value"
    if kind == "format":
        return f"{_short(inst)} is not a valid {value}"
    if kind == "pattern":
        return f"{_short(inst)} does not match the pattern {value}"
    return error.message if len(error.message) < 300 else error.message[:297] + "..."


def _hint(error: ValidationError, pointer: str) -> str:
    kind, value, inst = error.validator, error.validator_value, error.instance
    if kind == "enum":
        close = difflib.get_close_matches(str(inst), [str(v) for v in value], n=1)
        listed = ", ".join(str(v) for v in value)
        return (f"did you mean {close[0]!r}? " if close else "") + f"use one of: {listed}"
    if kind == "format":
        return _FORMAT_HINTS.get(str(value), f"write a valid {value}")
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return "use " + " or ".join(_TYPE_NAMES.get(str(w), str(w)) for w in wanted)
    if kind == "pattern":
        if str(value).startswith("^OS-"):
            return "event ids look like OS-2021-xxxx-xxxx: run `openstrikes new` for a fresh one"
        if str(value).startswith("^[a-z0-9]"):
            return "use a lowercase slug of letters, digits and hyphens, e.g. kataib-hezbollah"
        if "[A-Z]{2}" in str(value):
            return "use an ISO 3166-1 alpha-2 code in capitals, e.g. SY"
        return f"match the pattern {value}"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"use a value of at least {value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"use a value of at most {value}"
    if kind == "minItems":
        return f"give at least {value} item(s)"
    if kind == "uniqueItems":
        return "remove the repeated item"
    if kind == "minLength":
        return f"write at least {value} character(s)"
    return "see the schema for this field"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@cache
def checker(schema_file: str) -> SchemaChecker:
    """One reusable checker per schema file (per process)."""
    return SchemaChecker(load_schema(schema_file), schema_file)


_BY_TEXT: dict[str, SchemaChecker] = {}


def checker_for(schema: dict[str, Any], schema_file: str) -> SchemaChecker:
    """One reusable checker per schema given as data (e.g. the one bundled in a release)."""
    key = hashlib.sha256(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)).hexdigest()
    found = _BY_TEXT.get(key)
    if found is None:
        found = _BY_TEXT[key] = SchemaChecker(schema, schema_file)
    return found
