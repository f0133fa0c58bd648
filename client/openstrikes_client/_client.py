"""The online client: every endpoint of the OpenStrikes API, typed."""

from __future__ import annotations

import builtins
import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Literal, TypeVar, Unpack
from urllib.parse import quote

import requests

from ._arguments import check_filter_values, check_group_by, check_query
from ._download import Progress, fetch_file
from ._errors import IntegrityError, NotFound
from ._filters import EventFilters, GroupKey, SortKey, check_no_fallback, to_params
from ._flat import flat_records, to_dataframe
from ._models import (
    Actor,
    Aggregates,
    Changes,
    Event,
    Page,
    Place,
    PlaceEvents,
    RelatedEvent,
    Release,
    Releases,
    Report,
    check_depth,
    event_from_json,
    format_datetime,
    related_from_json,
)
from ._pages import walk_pages
from ._transport import (
    DEFAULT_TIMEOUT,
    Retries,
    Timeout,
    Transport,
    decode_json,
    parse_json,
    parse_json_tuned,
    read_error,
    read_streamed,
)

ITER_PAGE_SIZE = 1000
"""Page size `events.iter()` asks for (the API's maximum): fewer round trips."""

ResourceName = Literal["zip", "package"] | str


def _safe_name(name: str) -> str:
    """A file name of a package, possibly in a folder (`parquet/year=2024/part-0.parquet`),
    that stays inside the destination."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or "\\" in name or any(p in ("..", ".") for p in parts):
        raise IntegrityError(f"{name!r} is not a file name of a release")
    return name


P = TypeVar("P")


def _parse(parse: Callable[[Any], P], body: Any, what: str) -> P:
    """Parse a response body; an unexpected shape is an IntegrityError, never a KeyError."""
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise IntegrityError(
            f"unexpected {what} response from the server: {type(exc).__name__}: {exc}"
        ) from exc


class Events:
    """`client.events`: list, iterate, get and follow related events."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self,
        *,
        page: int | None = None,
        page_size: int | None = None,
        sort: SortKey | None = None,
        cursor: str | None = None,
        **filters: Unpack[EventFilters],
    ) -> Page[Event]:
        """One page of events matching the filters: `items`, `total` and the next page's cursor."""
        check_query(filters, sort=sort, page=page, page_size=page_size)
        params = to_params(filters)
        params.update(to_params({"page": page, "page_size": page_size, "sort": sort, "cursor": cursor}))
        return self._page(self._client._get("events", params))

    @staticmethod
    def _page(body: Mapping[str, Any]) -> Page[Event]:
        try:
            items = tuple([event_from_json(x) for x in body["items"]])
            return Page(
                items=items,
                total=body.get("total"),
                page=body.get("page"),
                page_size=body.get("page_size"),
                next_cursor=body.get("next_cursor"),
                next=body.get("next"),
                without_coordinates=body.get("without_coordinates"),
                distance_km=body.get("distance_km"),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise IntegrityError(f"unexpected page shape from the server: {exc}") from exc

    def iter(
        self, *, sort: SortKey | None = None, page_size: int = ITER_PAGE_SIZE, **filters: Unpack[EventFilters]
    ) -> Iterator[Event]:
        """Every matching event, page after page, following the cursor (no cap).

        Lazy, with the next pages (two at most) fetched in a background thread while the current
        one is consumed, so the network and the server overlap with your loop. Bad arguments
        raise at once (InvalidArgument), before the first event is asked for.
        """
        check_query(filters, sort=sort, page_size=page_size)
        base = to_params(filters)
        base.update(to_params({"page_size": page_size, "sort": sort}))
        return self._iter(base)

    def _iter(self, base: dict[str, str]) -> Iterator[Event]:
        for body in self._client._walk("events", base):
            yield from self._page(body).items

    def records(
        self,
        *,
        fields: Sequence[str] | None = None,
        sort: SortKey | None = None,
        **filters: Unpack[EventFilters],
    ) -> Iterator[dict[str, Any]]:
        """Matching events as plain JSON dicts, trimmed to `fields` (fast; e.g. for pandas)."""
        check_query(filters, sort=sort, fields=fields)
        return self._records(self._record_params(filters, sort, fields))

    @staticmethod
    def _record_params(
        filters: Mapping[str, Any], sort: str | None, fields: Sequence[str] | None
    ) -> dict[str, str]:
        base = to_params(filters)
        base.update(
            to_params({"page_size": ITER_PAGE_SIZE, "sort": sort, "fields": list(fields or []) or None})
        )
        return base

    def _records(self, base: dict[str, str]) -> Iterator[dict[str, Any]]:
        for body in self._client._walk("events", base):
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise IntegrityError("unexpected page shape from the server: no items")
            yield from items

    def to_rows(
        self, *, sort: SortKey | None = None, **filters: Unpack[EventFilters]
    ) -> Iterator[dict[str, Any]]:
        """One flat record per matching event, as the API's `format=csv&flat=true` and a
        release's events_flat.csv: actor ids and names as columns, casualty figures as
        `*_low`/`*_best`/`*_high` (None: unknown)."""
        check_query(filters, sort=sort)
        names = {a.id: a.name for a in self._client.actors.list()}
        return flat_records(self._records(self._record_params(filters, sort, None)), names)

    def to_pandas(self, *, sort: SortKey | None = None, **filters: Unpack[EventFilters]) -> Any:
        """`to_rows()` as a pandas DataFrame (pandas is optional; ImportError without it)."""
        return to_dataframe(self.to_rows(sort=sort, **filters))

    def count(self, **filters: Unpack[EventFilters]) -> int:
        """How many events match the filters."""
        page = self.list(page_size=1, **filters)
        return int(page.total or 0)

    def get(self, event_id: str) -> Event:
        """The event with this id (withdrawn ones too: see `Event.withdrawn`); NotFound if none."""
        return event_from_json(self._client._get(f"events/{quote(event_id, safe='')}"))

    def related(self, event_id: str, *, depth: int | None = None) -> builtins.list[Event]:
        """The events linked to this one (e.g. a retaliation chain), up to `depth` steps away."""
        return [r.event for r in self.chain(event_id, depth=depth)]

    def chain(self, event_id: str, *, depth: int | None = None) -> builtins.list[RelatedEvent]:
        """The events linked to this one, each with how it is linked (relation, direction,
        distance, via), by date then id: enough to draw the chain. `depth`: at most so many steps."""
        check_depth(depth)
        params = None if depth is None else {"depth": str(depth)}
        body = self._client._get(f"events/{quote(event_id, safe='')}/related", params)
        return _parse(related_from_json, body, "related events")


class Actors:
    """`client.actors`: the actor registry."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[Actor]:
        """Every actor of the registry."""
        body = self._client._get("actors")
        return _parse(lambda b: [Actor.from_dict(x) for x in b["items"]], body, "actors")

    def get(self, actor_id: str) -> Actor:
        """The actor with this id; NotFound if none."""
        return Actor.from_dict(self._client._get(f"actors/{quote(actor_id, safe='')}"))


class Places:
    """`client.places`: the places registry (schema 1.1; empty for older releases)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[Place]:
        """Every place of the registry, by slug."""
        body = self._client._get("places")
        return _parse(lambda b: [Place.from_dict(x) for x in b["items"]], body, "places")

    def get(self, slug: str) -> PlaceEvents:
        """The place with this slug and the live events that name it; NotFound if none."""
        body = self._client._get(f"places/{quote(slug, safe='')}")
        return _parse(PlaceEvents.from_dict, body, "place")


class Client:
    """A client of the OpenStrikes API.

    `base_url` is the server's root (e.g. "http://127.0.0.1:8000"; default: $OPENSTRIKES_URL).
    With `release="1.2.0"` every query goes to that immutable release, so results never change.
    `timeout` is (connect, read) seconds; `retries` an int or a Retries policy (GET only).
    `compress` asks for gzip responses (default: yes, except from a server on this machine, where
    compressing costs the server more time than it saves).
    `tune_gc=True` (opt-in; off by default) lets `events.iter()` pause the process's garbage
    collector while it decodes each page and then promote everything young to the oldest
    generation: walks of large pages about twice as fast, at the price of changing process-wide
    collector state (see the README). Leave it off in a library or a multi-threaded service.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        release: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int | Retries = 3,
        session: requests.Session | None = None,
        user_agent: str | None = None,
        compress: bool | None = None,
        tune_gc: bool = False,
    ) -> None:
        url = base_url or os.environ.get("OPENSTRIKES_URL")
        if not url:
            raise ValueError("Client needs the API's base URL (or set OPENSTRIKES_URL)")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {url!r}")
        url = url.rstrip("/").removesuffix("/v1")
        self.base_url = url
        self.release = release
        self.tune_gc = tune_gc
        self._transport = Transport(
            url, timeout=timeout, retries=retries, session=session, user_agent=user_agent, compress=compress
        )
        self.events = Events(self)
        self.actors = Actors(self)
        self.places = Places(self)

    # -- plumbing --------------------------------------------------------------------------------

    def _path(self, path: str) -> str:
        if self.release:
            return f"v1/releases/{quote(self.release, safe='')}/{path}"
        return f"v1/{path}"

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        target = path if path.startswith(("/", "http:", "https:")) else self._path(path)
        return self._transport.get_json(target, params)

    def _walk(self, path: str, params: dict[str, str]) -> Iterator[Any]:
        """Every page of a paginated resource (decoded JSON), following `next_cursor` (or `next`),
        with the next page in flight while the current one is decoded and used (see _pages)."""

        def fetch(target: str, query: dict[str, str] | None) -> tuple[bytes, str]:
            resp = self._transport.request("GET", target, params=query, stream=True)
            return read_streamed(resp), resp.url

        parse = parse_json_tuned if self.tune_gc else parse_json
        return walk_pages(fetch, parse, self._path(path), params)

    # -- endpoints -------------------------------------------------------------------------------

    def aggregates(
        self, group_by: Sequence[GroupKey] | str, *, fill: bool = False, **filters: Unpack[EventFilters]
    ) -> Aggregates:
        """Counts and casualty figures per group of matching events.

        Per row and figure, `min`/`max` sum the lowest/highest reported figures, `best` the best
        estimates given (`with_best` events), and `unknown` counts the events whose figure is
        unknown, which add to no sum: `row.killed.unknown > 0` means a partial sum. E.g.
        `client.aggregates(["country"]).items[0].killed` ->
        `CountRange(min=17, max=17, best=17, with_best=13, unknown=11)`. An event counts once per
        row; `total` counts each matching event once. `fill=True`: zero rows for empty periods
        (group_by with one of year, month, week, day).
        """
        check_no_fallback(filters)
        check_filter_values(filters)
        keys = ",".join(check_group_by(group_by, fill))
        params = to_params(filters)
        params["group_by"] = keys
        if fill:
            params["fill"] = "true"
        return _parse(Aggregates.from_dict, self._get("aggregates", params), "aggregates")

    def changes(self, since: datetime | str | None = None) -> Changes:
        """Events modified or withdrawn since a time; pass the answer's `until` as the next `since`."""
        params: dict[str, str] = {}
        if since is not None:
            params["since"] = since if isinstance(since, str) else format_datetime(since)
        return _parse(Changes.from_dict, self._get("changes", params), "changes")

    def releases(self) -> Releases:
        """Every published release and its files (with sha256), and the latest version."""
        return _parse(Releases.from_dict, self._transport.get_json("v1/releases"), "releases")

    def release_info(self, version: str | None = None) -> Release:
        """One release (default: the pinned one, else the latest); NotFound if there is none."""
        releases = self.releases()
        try:
            return releases.get(version or self.release)
        except KeyError as exc:
            raise NotFound(404, str(exc.args[0]), url=self._transport.url("v1/releases")) from None

    def health(self) -> dict[str, Any]:
        """The server's health document (`status`, `release`, ...)."""
        body: dict[str, Any] = self._transport.get_json("v1/health")
        return body

    def validate(self, event: Event | Mapping[str, Any]) -> Report:
        """Check one event record with the contributor checks, as a service (never retried)."""
        if not isinstance(event, Event | Mapping):
            raise TypeError(
                f"validate() takes an Event or a mapping (one event record), not {type(event).__name__}"
            )
        body = event.to_dict() if isinstance(event, Event) else dict(event)
        resp = self._transport.request("POST", "v1/validate", json_body=body, ok=(400, 422))
        answer = decode_json(resp)
        if resp.status_code >= 400 and not (isinstance(answer, dict) and "valid" in answer):
            raise read_error(resp)
        return _parse(Report.from_dict, answer, "validation report")

    def download(
        self,
        dest: str | Path,
        resource: ResourceName = "zip",
        *,
        version: str | None = None,
        verify: bool = True,
        progress: Progress | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Download a release file (default: the zip of the whole package) and verify it.

        `resource` is "zip", a file name of the package (e.g. "events.csv"), or "package" for every
        file into a directory `dest/<name>-<version>/` that `open_release` reads. `dest` is a
        directory (the file keeps its name; created if missing) unless it names a file with the
        file's extension (e.g. "copy.zip", "2021.csv"). An existing file is kept when it already
        holds the file (same sha256) and otherwise refused (FileExistsError) unless `overwrite`.
        The sha256 comes from the release's own datapackage.json (and the listing for the zip); a
        bad or short download raises IntegrityError and leaves nothing at the destination.
        Returns the path written.
        """
        release = self.release_info(version)
        text = os.fspath(dest)
        dest = Path(dest)
        if resource == "package":
            return self._download_package(release, dest, verify=verify, progress=progress)
        name = f"{release.name}-{release.version}.zip" if resource == "zip" else _safe_name(resource)
        try:
            entry = release.file(name)
        except KeyError as exc:
            raise NotFound(404, str(exc.args[0])) from None
        as_dir = (
            dest.is_dir()
            or text.endswith(("/", os.sep))
            or (not dest.exists() and dest.suffix.lower() != PurePath(name).suffix.lower())
        )
        if as_dir:
            dest.mkdir(parents=True, exist_ok=True)
        target = dest / name if as_dir else dest
        if target.exists() and not overwrite:
            if verify and target.is_file() and _sha256_of(target) == entry.sha256.lower():
                return target  # already there, verified
            raise FileExistsError(f"{target} exists: pass overwrite=True to replace it")
        sha = entry.sha256 if verify else None
        if verify and name != "datapackage.json" and name != f"{release.name}-{release.version}.zip":
            own = self._package_hashes(release).get(name)
            if own is not None and own != entry.sha256.lower():
                raise IntegrityError(
                    f"{name}: the release listing says sha256 {entry.sha256}, its datapackage.json says {own}",
                    expected=own,
                    actual=entry.sha256,
                )
        fetch_file(self._transport, entry.url, target, sha256=sha, size=entry.bytes, progress=progress)
        return target

    def _package_hashes(self, release: Release) -> dict[str, str]:
        entry = release.file("datapackage.json")
        resp = self._transport.request("GET", entry.url)
        body = resp.content
        actual = hashlib.sha256(body).hexdigest()
        if actual != release.sha256.lower():
            raise IntegrityError(
                "datapackage.json does not match the release's published sha256",
                expected=release.sha256,
                actual=actual,
            )
        descriptor = decode_json(resp)
        out: dict[str, str] = {}
        for res in list(descriptor.get("resources", [])) + list(descriptor.get("files", [])):
            digest = str(res.get("hash", ""))
            if res.get("path") and digest.startswith("sha256:"):
                out[str(res["path"])] = digest.removeprefix("sha256:").lower()
        return out

    def _download_package(
        self, release: Release, dest: Path, *, verify: bool, progress: Progress | None
    ) -> Path:
        folder = dest / f"{release.name}-{release.version}"
        folder.mkdir(parents=True, exist_ok=True)
        own = self._package_hashes(release) if verify else {}
        zip_name = f"{release.name}-{release.version}.zip"
        for entry in release.files:
            if entry.name == zip_name:
                continue
            expected = entry.sha256 if verify else None
            if verify and entry.name in own and own[entry.name] != entry.sha256.lower():
                raise IntegrityError(
                    f"{entry.name}: the listing and datapackage.json disagree on its sha256",
                    expected=own[entry.name],
                    actual=entry.sha256,
                )
            fetch_file(
                self._transport,
                entry.url,
                folder / _safe_name(entry.name),
                sha256=expected,
                size=entry.bytes,
                progress=progress,
            )
        return folder

    # -- lifetime --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP session (if the client made it)."""
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        pinned = f" release={self.release}" if self.release else ""
        return f"<Client {self.base_url}{pinned}>"


def _sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
