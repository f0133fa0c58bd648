"""The explorer in a real browser: Playwright driving Debian's Chromium against a real server on
127.0.0.1 over a synthetic release (with retaliation chains). Every test also checks that the page
logged no console error and asked no origin but the server."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest_api import Release, build_release, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing: .ci/run installs it (apt-get install -y chromium)")
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("explorer"), 300, seed=21)


@pytest.fixture(scope="module")
def server(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = dict(os.environ, OPENSTRIKES_CACHE=str(tmp_path_factory.mktemp("cache")))
    env.pop("OPENSTRIKES_TILE_URL", None)
    proc, url = start_server(["--releases", str(rel.root)], env)
    try:
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Watch:
    """What a page did: console errors, page errors, and every request's URL."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.expect_http_errors = False  # a test of bad input: the browser logs each 4xx answer
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def api_calls(self, path: str) -> list[dict[str, list[str]]]:
        return [parse_qs(urlsplit(u).query) for u in self.requests if urlsplit(u).path.endswith(path)]


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[tuple[Page, Watch]]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    watch = Watch(p)
    try:
        yield p, watch
        errors = watch.errors
        if watch.expect_http_errors:
            expected = ("404 (NOT FOUND)", "422 (UNPROCESSABLE ENTITY)")
            errors = [
                e for e in errors if not (e.startswith("Failed to load resource") and e.endswith(expected))
            ]
        assert errors == [], errors
        origin = urlsplit(server).netloc
        others = [u for u in watch.requests if urlsplit(u).netloc != origin and not u.startswith("data:")]
        assert others == [], others
    finally:
        ctx.close()


def ready(p: Page, after: int = 0) -> int:
    """Wait until the explorer has finished a load newer than `after`; its number."""
    p.wait_for_function(
        "n => Number(document.getElementById('main').dataset.ready || 0) > n", arg=after, timeout=20000
    )
    return int(p.eval_on_selector("#main", "m => m.dataset.ready"))


def total_shown(p: Page) -> int:
    return int(p.inner_text("#total").split()[0].replace(",", ""))


def api_total(server: str, **params: Any) -> int:
    r = requests.get(server + "/v1/events", params={**params, "page_size": 1}, timeout=10)
    r.raise_for_status()
    return int(r.json()["total"])


def test_first_view(page: tuple[Page, Watch], server: str) -> None:
    p, watch = page
    resp = p.goto(server + "/")
    assert resp is not None and resp.status == 200
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    ready(p)
    assert total_shown(p) == api_total(server)
    assert p.locator("#events tbody tr").count() == 50
    assert p.locator("#timeline rect").count() > 0
    assert "events in view" in p.inner_text("#map-note")
    p.wait_for_selector("#map path.leaflet-interactive, #map canvas", timeout=10000)
    assert watch.api_calls("/v1/histogram") and watch.api_calls("/v1/grid")


def test_filters_change_url_api_calls_and_table(page: tuple[Page, Watch], server: str) -> None:
    p, watch = page
    p.goto(server + "/")
    n = ready(p)
    p.select_option("select[name=status]", "declared")
    n = ready(p, n)
    assert parse_qs(urlsplit(p.url).query)["status"] == ["declared"]
    assert any(q.get("status") == ["declared"] for q in watch.api_calls("/v1/events"))
    assert total_shown(p) == api_total(server, status="declared")
    p.check("input[name=strike_type__in][value=airstrike]")
    p.check("input[name=strike_type__in][value=missile]")
    n = ready(p, n)
    q = parse_qs(urlsplit(p.url).query)
    assert q["strike_type__in"] == ["airstrike,missile"]
    assert total_shown(p) == api_total(server, status="declared", strike_type__in="airstrike,missile")
    p.fill("input[name=killed__gte]", "1")
    p.press("input[name=killed__gte]", "Enter")
    n = ready(p, n)
    assert parse_qs(urlsplit(p.url).query)["killed__gte"] == ["1"]
    want = api_total(server, status="declared", strike_type__in="airstrike,missile", killed__gte=1)
    assert total_shown(p) == want
    ids = [r.get_attribute("data-id") for r in p.locator("#events tbody tr").all()]
    assert len(ids) == min(50, want)
    assert any(q.get("killed__gte") == ["1"] for q in watch.api_calls("/v1/histogram"))
    p.go_back()
    n = ready(p, n)
    assert "killed__gte" not in parse_qs(urlsplit(p.url).query)
    assert p.input_value("input[name=killed__gte]") == ""
    assert total_shown(p) == api_total(server, status="declared", strike_type__in="airstrike,missile")


def test_events_at_sea_are_on_the_map_and_filterable(
    page: tuple[Page, Watch], server: str, rel: Release
) -> None:
    p, watch = page
    sea = Counter(
        e["water_body"] for e in rel.events.values() if e.get("water_body") and not e.get("withdrawn")
    )
    body = sea.most_common(1)[0][0]
    p.goto(server + "/")
    n = ready(p)
    p.select_option("select[name=water_body]", body)
    ready(p, n)
    assert parse_qs(urlsplit(p.url).query)["water_body"] == [body]
    assert total_shown(p) == api_total(server, water_body=body) == sea[body]
    assert any(q.get("water_body") == [body] for q in watch.api_calls("/v1/grid"))
    located = sum(
        1
        for e in rel.events.values()
        if e.get("water_body") == body and e["latitude"] is not None and not e.get("withdrawn")
    )
    if located:
        assert "events in view" in p.inner_text("#map-note") or "counted per cell" in p.inner_text(
            "#map-note"
        )


def test_timeline_brush_sets_dates(page: tuple[Page, Watch], server: str) -> None:
    p, _ = page
    p.goto(server + "/")
    n = ready(p)
    box = p.locator("#timeline").bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    p.mouse.move(box["x"] + box["width"] * 0.3, y)
    p.mouse.down()
    p.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    p.mouse.up()
    ready(p, n)
    q = parse_qs(urlsplit(p.url).query)
    lo, hi = q["date_start__gte"][0], q["date_start__lte"][0]
    assert lo < hi
    assert p.input_value("input[name=date_start__gte]") == lo
    assert total_shown(p) == api_total(server, date_start__gte=lo, date_start__lte=hi)


def test_event_view_from_the_table(page: tuple[Page, Watch], server: str, rel: Release) -> None:
    p, _ = page
    p.goto(server + "/")
    ready(p)
    link = p.locator("#events tbody tr a").first
    event_id = link.inner_text()
    link.click()
    p.wait_for_url(f"**/events/{event_id}")
    e = rel.events[event_id]
    assert event_id in p.inner_text("main")
    assert p.locator("table.sources tbody tr").count() == len(e["sources"])
    for s in e["sources"]:
        assert p.locator(f'table.sources a[href="{s["url"]}"]').count() >= 1
    claims = e.get("casualty_claims") or []
    assert p.locator("table.claims tbody tr").count() == len(claims)


def test_event_page_without_javascript(browser: Browser, server: str, rel: Release) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    try:
        p = ctx.new_page()
        withdrawn = next((i for i, e in rel.events.items() if e.get("withdrawn")), None)
        some = withdrawn or next(iter(rel.events))
        resp = p.goto(f"{server}/events/{some}")
        assert resp is not None and resp.status == 200
        assert "script-src 'self'" in resp.headers["content-security-policy"]
        text = p.inner_text("main")
        assert "Casualties" in text and "Sources" in text
        if withdrawn:
            reason = rel.events[withdrawn]["withdrawn"]["reason"].replace("_", " ")
            assert "Withdrawn" in p.inner_text(".withdrawn") and reason in p.inner_text(".withdrawn")
    finally:
        ctx.close()


def test_walk_a_retaliation_chain(page: tuple[Page, Watch], server: str, rel: Release) -> None:
    p, _ = page
    start = next(
        i
        for i, e in sorted(rel.events.items())
        if any(r["relation"] == "retaliation_for" for r in e.get("related") or [])
    )
    target = next(r["id"] for r in rel.events[start]["related"] if r["relation"] == "retaliation_for")
    p.goto(f"{server}/events/{start}")
    assert "retaliation for" in p.inner_text("ul.related")
    p.click(f'ul.related a[href="/events/{target}"]')
    p.wait_for_url(f"**/events/{target}")
    back = p.locator(f'ul.related a[href="/events/{start}"]')
    assert back.count() == 1
    assert "retaliated against by" in p.inner_text("ul.related")
    back.click()
    p.wait_for_url(f"**/events/{start}")


def test_download_returns_the_same_events(page: tuple[Page, Watch], server: str) -> None:
    p, _ = page
    p.goto(server + "/?status=claimed&sort=date_start")
    ready(p)
    want = api_total(server, status="claimed")
    href = p.get_attribute("#dl-csv", "href")
    assert href is not None
    rows = list(csv.DictReader(io.StringIO(requests.get(server + href, timeout=30).text)))
    assert len(rows) == want == total_shown(p)
    nd = requests.get(server + (p.get_attribute("#dl-ndjson", "href") or ""), timeout=30).text.splitlines()
    gj = requests.get(server + (p.get_attribute("#dl-geojson", "href") or ""), timeout=30).json()
    ids = sorted(r["id"] for r in rows)
    assert sorted(json.loads(x)["id"] for x in nd) == ids
    assert sorted(f["properties"]["id"] for f in gj["features"]) == ids
    shown = {r.get_attribute("data-id") for r in p.locator("#events tbody tr").all()}
    assert shown <= set(ids)


def test_url_round_trip(page: tuple[Page, Watch], server: str) -> None:
    p, _ = page
    url = "/?date_start__gte=2021-01-01&country=IQ&status=declared&sort=-killed&map=33.0000,44.0000,5"
    p.goto(server + url)
    ready(p)
    assert p.input_value("input[name=date_start__gte]") == "2021-01-01"
    assert p.input_value("select[name=status]") == "declared"
    assert p.input_value("select[name=country]") == "IQ"
    assert p.get_attribute('th[data-sort="killed"]', "aria-sort") == "descending"
    first = parse_qs(urlsplit(p.url).query)
    assert first["map"] == ["33.0000,44.0000,5"]
    rows = [r.get_attribute("data-id") for r in p.locator("#events tbody tr").all()]
    p.goto(p.url)
    ready(p)
    assert parse_qs(urlsplit(p.url).query) == first
    assert [r.get_attribute("data-id") for r in p.locator("#events tbody tr").all()] == rows
    assert total_shown(p) == api_total(server, date_start__gte="2021-01-01", country="IQ", status="declared")


def test_bad_url_state(page: tuple[Page, Watch], server: str) -> None:
    p, watch = page
    watch.expect_http_errors = True
    resp = p.goto(server + "/releases/9.9.9/")
    assert resp is not None and resp.status == 404
    assert "no release '9.9.9'" in p.inner_text("#messages")
    ready(p)
    assert total_shown(p) == api_total(server)
    p.goto(server + "/?killed__gte=lots&status=declared&colour=red")
    n = ready(p)
    text = p.inner_text("#messages")
    assert "killed__gte" in text and "colour" in text
    assert "killed__gte" not in parse_qs(urlsplit(p.url).query)
    assert total_shown(p) == api_total(server, status="declared")
    assert n >= 1
    resp = p.goto(server + "/events/OS-0000-nope-nope")
    assert resp is not None and resp.status == 404
    assert "no event" in p.inner_text("main")


def test_pinned_release_stays_pinned(page: tuple[Page, Watch], server: str, rel: Release) -> None:
    p, watch = page
    p.goto(server + "/releases/0.1.0/?status=declared")
    ready(p)
    calls = [u for u in watch.requests if "/v1/" in u and "/v1/releases/" not in u]
    assert [u for u in calls if "/events" in u or "/grid" in u or "/histogram" in u] == []
    p.locator("#events tbody tr a").first.click()
    p.wait_for_url("**/releases/0.1.0/events/*")


def test_row_and_map_highlight_each_other(page: tuple[Page, Watch], server: str) -> None:
    p, _ = page
    p.goto(server + "/?map=20.0000,40.0000,2")
    ready(p)
    row = p.locator("#events tbody tr").first
    row.click()
    assert row.get_attribute("aria-selected") == "true"
    assert parse_qs(urlsplit(p.url).query)["sel"] == [row.get_attribute("data-id")]


def test_clicking_a_point_selects_its_row(page: tuple[Page, Watch], server: str, rel: Release) -> None:
    p, _ = page
    p.goto(server + "/?sort=date_start")
    ready(p)
    row = p.locator("#events tbody tr").first
    e = rel.events[row.get_attribute("data-id") or ""]
    lat, lon = e["latitude"], e["longitude"]
    assert lat is not None and lon is not None
    drawn = int(p.eval_on_selector("#main", "m => m.dataset.mapDrawn || 0"))
    p.evaluate(
        "([lat, lon]) => { document.getElementById('main').explorerMap.setView([lat, lon], 9); }", [lat, lon]
    )
    p.wait_for_function("n => Number(document.getElementById('main').dataset.mapDrawn || 0) > n", arg=drawn)
    p.wait_for_timeout(300)
    at = p.evaluate(
        "([lat, lon]) => { const m = document.getElementById('main').explorerMap;"
        " const pt = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();"
        " return [r.left + pt.x, r.top + pt.y]; }",
        [lat, lon],
    )
    p.mouse.click(at[0], at[1])
    p.wait_for_function("() => new URLSearchParams(location.search).has('sel')")
    sel = parse_qs(urlsplit(p.url).query)["sel"][0]
    assert (rel.events[sel]["latitude"], rel.events[sel]["longitude"]) == (lat, lon)
    if sel == row.get_attribute("data-id"):
        assert row.get_attribute("aria-selected") == "true"


def test_readable_at_375px(browser: Browser, server: str) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        p = ctx.new_page()
        p.goto(server + "/")
        ready(p)
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        p.keyboard.press("Tab")
        assert p.evaluate("document.activeElement.className") == "skip"
    finally:
        ctx.close()


def test_timeline_brush_by_keyboard(page: tuple[Page, Watch], server: str) -> None:
    p, _ = page
    p.goto(server + "/")
    n = ready(p)
    items = requests.get(server + "/v1/histogram", params={"interval": "month"}, timeout=10).json()["items"]
    assert len(items) >= 3
    p.focus("#timeline")
    p.keyboard.press("ArrowLeft")  # the first key selects the last bucket
    assert items[-1]["start"] in p.inner_text("#timeline-status")
    p.keyboard.press("ArrowLeft")
    p.keyboard.press("ArrowLeft")
    p.keyboard.press("Shift+ArrowRight")
    assert p.locator("#timeline rect.brush").count() == 1
    status = p.inner_text("#timeline-status")
    assert items[-3]["start"] in status
    assert f"{items[-3]['events'] + items[-2]['events']:,} events" in status
    p.keyboard.press("Enter")
    ready(p, n)
    q = parse_qs(urlsplit(p.url).query)
    lo, hi = q["date_start__gte"][0], q["date_start__lte"][0]
    assert lo == items[-3]["start"]
    y, m = int(items[-2]["start"][:4]), int(items[-2]["start"][5:7])
    end = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    assert hi == end.isoformat()
    assert p.input_value("input[name=date_start__lte]") == hi
    assert total_shown(p) == api_total(server, date_start__gte=lo, date_start__lte=hi)
    # Escape leaves a selection without setting dates
    p.focus("#timeline")
    p.keyboard.press("End")
    p.keyboard.press("Escape")
    assert p.locator("#timeline rect.brush").count() == 0
    assert parse_qs(urlsplit(p.url).query)["date_start__gte"] == [lo]


def _chain_start(server: str, rel: Release) -> tuple[str, dict[str, Any]]:
    """An event whose chain reaches at least two steps, and its /related answer."""
    forks = [e for _, e in sorted(rel.events.items()) if len(e.get("related") or []) >= 2]
    for i in (r["id"] for e in forks for r in e["related"]):  # one link away from a fork
        body = requests.get(f"{server}/v1/events/{i}/related", timeout=10).json()
        if not rel.events[i].get("withdrawn") and max(x["distance"] for x in body["links"]) >= 2:
            return i, body
    raise AssertionError("the synthetic release has no chain of two steps")


def _chain_rows(rows: Any, body: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any], dict[str, Any]]]:
    """Each drawn chain row with its event and link of /related, its data marks checked."""
    assert rows.count() == len(body["items"])
    for i, (e, link) in enumerate(zip(body["items"], body["links"], strict=True)):
        row = rows.nth(i)
        assert row.get_attribute("data-id") == e["id"]
        assert row.get_attribute("data-depth") == str(link["distance"])
        assert row.get_attribute("data-relation") == link["relation"]
        assert row.get_attribute("data-direction") == link["direction"]
        yield row, e, link


def test_event_view_draws_the_typed_directed_chain(
    page: tuple[Page, Watch], server: str, rel: Release
) -> None:
    p, _ = page
    start, body = _chain_start(server, rel)
    p.goto(f"{server}/events/{start}")
    for row, _e, link in _chain_rows(p.locator("ol.chain li"), body):
        assert link["relation"].replace("_", " ") in row.inner_text()
    far = next(e["id"] for e, link in zip(body["items"], body["links"], strict=True) if link["distance"] >= 2)
    p.click(f'ol.chain li[data-id="{far}"] > a[href="/events/{far}"]')
    p.wait_for_url(f"**/events/{far}")
    assert p.locator(f'ol.chain li[data-id="{start}"]').count() == 1


def test_explorer_draws_the_chain_of_the_selected_event(
    page: tuple[Page, Watch], server: str, rel: Release
) -> None:
    p, watch = page
    start, body = _chain_start(server, rel)
    p.goto(f"{server}/?sel={start}")
    ready(p)
    p.wait_for_selector("#chain li")
    for _row, e, link in _chain_rows(p.locator("#chain li"), body):
        arrow = "→" if link["direction"] == "names" else "←"
        assert p.locator(f'#chain li[data-id="{e["id"]}"] .link').inner_text().startswith(arrow)
    assert f"/v1/events/{start}/related" in " ".join(watch.requests)
    # navigable: selecting an event of the chain draws its own chain
    other = body["items"][-1]["id"]
    p.click(f'#chain li[data-id="{other}"] button')
    p.wait_for_function("id => document.querySelector('#chain h2').textContent.includes(id)", arg=other)
    assert parse_qs(urlsplit(p.url).query)["sel"] == [other]
    p.wait_for_selector(f'#chain li[data-id="{start}"]')
