"""Users of other languages generate clients from /openapi.json: a Python client generated from the
live spec by openapi-python-client (a dev extra) lists, gets and aggregates events, offline
(requests go into the app in process through httpx's WSGI transport)."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_api import Release, build_release

from openstrikes.web import create_app

GENERATOR = shutil.which("openapi-python-client") or str(
    Path(sys.executable).with_name("openapi-python-client")
)


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("gen"), 60, seed=5)


@pytest.fixture(scope="module")
def generated(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    if not Path(GENERATOR).exists():
        pytest.fail("openapi-python-client is not installed: pip install -e '.[dev]'")
    app = create_app(rel.root, cache_dir=tmp_path_factory.mktemp("gen-index"))
    work = tmp_path_factory.mktemp("generated")
    spec = work / "openapi.json"
    spec.write_bytes(app.test_client().get("/openapi.json").get_data())
    done = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(work / "openstrikes_gen"),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (work / "openstrikes_gen" / "models" / "event_page.py").exists(), done.stdout + done.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module("openstrikes_gen"), app
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m == "openstrikes_gen" or m.startswith("openstrikes_gen.")]:
            del sys.modules[name]


def test_a_generated_python_client_lists_gets_and_aggregates(
    generated: tuple[Any, Any], rel: Release
) -> None:
    import httpx

    gen, app = generated
    client = gen.Client(base_url="http://testserver")
    client.set_httpx_client(
        httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://testserver")
    )
    list_events = importlib.import_module("openstrikes_gen.api.events.get_v1_events")
    get_event = importlib.import_module("openstrikes_gen.api.events.get_v1_events_event_id")
    aggregates = importlib.import_module("openstrikes_gen.api.aggregates.get_v1_aggregates")

    page = list_events.sync(client=client, page_size=5, country="SY")
    live = sorted(i for i, e in rel.events.items() if e["withdrawn"] is None and e["country"] == "SY")
    assert type(page).__name__ == "EventPage"
    assert page.total == len(live) and [e.id for e in page.items] == live[:5]

    one = get_event.sync(event_id=live[0], client=client)
    assert one.id == live[0] and one.date_start.isoformat() == rel.events[live[0]]["date_start"]

    agg = aggregates.sync(client=client, group_by="country")
    rows = {r.to_dict()["country"]: r for r in agg.items}
    assert rows["SY"].events == len(live)
    assert agg.total.events == sum(1 for e in rel.events.values() if e["withdrawn"] is None)
