"""Opaque cursors: the position after which the next page of one query of one release starts."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import orjson

from openstrikes.index.filters import Where
from openstrikes.index.values import ParamError


def fingerprint(release_sha: str, where: Where, sort: str) -> str:
    """Ties a cursor to one release, one filter set and one sort."""
    return hashlib.blake2b(f"{release_sha}|{where.key}|{sort}".encode(), digest_size=6).hexdigest()


def _cursor_tag(fp: str, value: Any, rid: int, offset: int) -> str:
    """A check on a cursor's fields: one edited (by hand or in transit) no longer matches."""
    fields = orjson.dumps([fp, value, rid, offset])
    return hashlib.blake2b(fields, key=fp.encode(), digest_size=6).hexdigest()


def encode_cursor(fp: str, value: Any, rid: int, offset: int) -> str:
    """An opaque cursor: the next page starts after (value, rid), at position `offset`."""
    raw = orjson.dumps([fp, value, rid, offset, _cursor_tag(fp, value, rid, offset)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, fp: str) -> tuple[Any, int, int]:
    """(value, rid, offset) of a cursor of this query; ParamError if it is not one."""
    bad = ParamError(400, "invalid_cursor", "cursor: not a cursor this API gave out for this query", "cursor")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not (isinstance(data, list) and len(data) == 5):
        raise bad
    got_fp, value, rid, offset, tag = data
    if got_fp != fp:
        raise ParamError(
            400,
            "cursor_mismatch",
            "cursor: it belongs to another query or release; start again without a cursor",
            "cursor",
        )
    if not (
        isinstance(value, str | int)
        and not isinstance(value, bool)
        and isinstance(rid, int)
        and isinstance(offset, int)
        and 0 <= offset < 10**12
        and 0 <= rid < 10**12
        and isinstance(tag, str)
        and hmac.compare_digest(tag, _cursor_tag(fp, value, rid, offset))
    ):
        raise bad
    return value, rid, offset
