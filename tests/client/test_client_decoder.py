"""The optional fast decoder (orjson, the `fast` extra) gives the same values as the standard
library for what the API sends, and the client works without it."""

from __future__ import annotations

import json
import subprocess
import sys

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openstrikes_client import TransportError, _transport
from synthetic import generate_events  # benchmarks/ is on sys.path (conftest.py)

# JSON values as the API writes them: finite floats, 64-bit integers, any text.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200)
@given(json_values)
def test_both_decoders_read_any_api_value_alike(value: object) -> None:
    body = orjson.dumps(value)
    assert orjson.loads(body) == json.loads(body)


def test_a_page_of_events_decodes_alike() -> None:
    page = {"items": list(generate_events(200, 3)), "total": 200, "next": None}
    body = orjson.dumps(page)
    assert orjson.loads(body) == _transport._stdlib_loads(body) == page


@pytest.mark.parametrize("body", [b"", b"{", b"<html>", b'{"a": NaN}'])
def test_a_body_that_is_not_json_is_a_transport_error_with_either_decoder(body: bytes) -> None:
    for decoder in (orjson.loads, _transport._stdlib_loads):
        previous = _transport.loads
        _transport.loads = decoder
        try:
            if decoder is _transport._stdlib_loads and b"NaN" in body:
                continue  # the standard library accepts NaN; the API never sends it
            with pytest.raises(TransportError) as caught:
                _transport.parse_json(body, "http://127.0.0.1/v1/events")
            assert caught.value.url == "http://127.0.0.1/v1/events"
        finally:
            _transport.loads = previous


def test_without_orjson_the_client_uses_the_standard_library() -> None:
    script = (
        "import sys; sys.modules['orjson'] = None\n"  # makes `import orjson` fail
        "from openstrikes_client import _transport\n"
        "print(_transport.JSON_DECODER, _transport.parse_json(b'{\"a\": [1, 2.5]}', 'http://127.0.0.1/'))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split(maxsplit=1) == ["json", "{'a': [1, 2.5]}\n"]
