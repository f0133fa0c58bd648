"""Offline queries over a downloaded release (a package directory or its zip), standard library
only: the same `events`, `actors`, `aggregates` and `changes` calls as the online Client."""

from __future__ import annotations

import builtins
import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Unpack

from ._aggregate import aggregate
from ._arguments import check_filter_values, check_group_by, check_query
from ._columnar import parquet_name, read_table, table_to_pandas
from ._errors import IntegrityError, NotFound, OpenStrikesError
from ._filters import (
    GEO_FALLBACK,
    GEO_FILTERS,
    EventFilters,
    GroupKey,
    SortKey,
    area_key,
    as_aware,
    check_filters,
    check_no_fallback,
    fallback_areas,
    predicates,
    sort_key,
)
from ._filters import (
    _haversine_km as haversine_km,
)
from ._flat import flat_records, to_dataframe
from ._models import (
    Actor,
    Aggregates,
    Change,
    Changes,
    Event,
    Page,
    Place,
    PlaceEvents,
    RelatedEvent,
    _adopt,
    check_depth,
    event_from_json,
    parse_datetime,
)
from ._rows import actor_record, check_actor_header, place_record, roundtrip_cells

EVENTS_FILE = "events.ndjson"
ACTORS_FILE = "actors.csv"
PLACES_FILE = "places.csv"  # schema 1.1; older releases have none
CHANGES_FILE = "changes.csv"
ROUNDTRIP_FILE = "roundtrip.csv"  # releases from 0.3; older ones keep its cells in the registries' CSVs
DESCRIPTOR = "datapackage.json"
SYNC_PENDING = ".openstrikes-sync/COMMIT"


class _Files:
    """Read-only access to the files of a package, in a directory or a zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if path.is_file() and zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            names = [n for n in self._zip.namelist() if PurePosixPath(n).name == DESCRIPTOR]
            if not names:
                raise IntegrityError(f"{path}: no {DESCRIPTOR} in this zip; is it an OpenStrikes release?")
            top = min(names, key=len)
            self._prefix = top[: -len(DESCRIPTOR)]
        elif path.is_file() and path.name == DESCRIPTOR:
            self.path = path.parent
        elif path.is_file():
            raise IntegrityError(f"{path}: not a zip (damaged, or not a release) nor a {DESCRIPTOR}")
        elif not path.is_dir():
            raise FileNotFoundError(f"{path}: no such release directory or zip")
        if self._zip is None and not (self.path / DESCRIPTOR).is_file():
            raise IntegrityError(f"{self.path}: no {DESCRIPTOR}; is it an OpenStrikes release directory?")

    def exists(self, name: str) -> bool:
        if self._zip is not None:
            try:
                self._zip.getinfo(self._prefix + name)
            except KeyError:
                return False
            return True
        return (self.path / name).is_file()

    def open(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            try:
                return self._zip.open(self._prefix + name)
            except KeyError:
                raise IntegrityError(f"{self.path}: the release has no {name}") from None
        try:
            return (self.path / name).open("rb")
        except FileNotFoundError:
            raise IntegrityError(f"{self.path}: the release has no {name}") from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _digest(fh: IO[bytes]) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    while chunk := fh.read(1 << 20):
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n


def _resource_hashes(descriptor: Mapping[str, Any]) -> dict[str, tuple[str | None, int | None]]:
    """sha256 and size of every file the descriptor lists (its resources and its other `files`)."""
    out: dict[str, tuple[str | None, int | None]] = {}
    listed = list(descriptor.get("resources", [])) + list(descriptor.get("files", []))
    for res in listed:
        path = res.get("path")
        if not isinstance(path, str):
            continue
        digest = res.get("hash")
        if isinstance(digest, str):
            algo, _, hexd = digest.partition(":")
            digest = hexd.lower() if hexd and algo == "sha256" else (digest.lower() if not hexd else None)
        out[path] = (digest if isinstance(digest, str) else None, res.get("bytes"))
    return out


def _none(value: str | None) -> str | None:
    return value if value else None


def actor_from_row(row: Mapping[str, str]) -> Actor:
    """An Actor from a row of the package's actors.csv (the same Actor the API gives)."""
    return _adopt(Actor, actor_record(row))


def place_from_row(row: Mapping[str, str]) -> Place:
    """A Place from a row of the package's places.csv (the same Place the API gives)."""
    return _adopt(Place, place_record(row))


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes", "y", "t")


def _distances(items: builtins.list[Event], near: tuple[float, float] | None) -> dict[str, float] | None:
    """With `near`: each event's distance from the centre in km, to the metre (as the API)."""
    if near is None:
        return None
    out = {}
    for e in items:
        if e.latitude is not None and e.longitude is not None:  # else geo_fallback brought it in
            out[e.id] = round(haversine_km(near[0], near[1], e.latitude, e.longitude), 3)
    return out


class LocalEvents:
    """`events.list/iter/get/related/records` over the release's events.ndjson."""

    def __init__(self, release: LocalRelease) -> None:
        self._release = release
        self._offsets: dict[str, int] | None = None

    def _raw(self) -> Iterator[dict[str, Any]]:
        with self._release._files.open(EVENTS_FILE) as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise IntegrityError(f"{EVENTS_FILE}:{lineno}: not a JSON line ({exc})") from exc

    def _matching(self, filters: Mapping[str, Any], sort: str | None) -> Iterator[dict[str, Any]]:
        check_filters(filters)
        names, actors = self._release._actor_ids_for, self._release._actors()
        areas = self._areas(filters)
        preds = predicates(filters, names, actors, areas)
        rows = (e for e in self._raw() if all(p(e) for p in preds))
        if sort and sort != "id":
            key, reverse = sort_key(sort, filters.get("near"))
            yield from sorted(rows, key=key, reverse=reverse)
        else:
            yield from rows

    def _areas(self, filters: Mapping[str, Any]) -> set[str] | None:
        """With geo_fallback: the admin areas of the live located events inside the query area."""
        if filters.get(GEO_FALLBACK) is None:
            return None
        geo = {k: filters[k] for k in GEO_FILTERS if filters.get(k) is not None}
        return fallback_areas(self._raw(), predicates({**geo, "include_withdrawn": True}))

    def iter(
        self, *, sort: SortKey | None = None, page_size: int = 1000, **filters: Unpack[EventFilters]
    ) -> Iterator[Event]:
        """Every matching event, in `sort` order (default: by id); `page_size` is checked as
        online and otherwise unused. Bad arguments raise at once (InvalidArgument)."""
        check_query(filters, sort=sort, page_size=page_size)
        return (event_from_json(e) for e in self._matching(filters, sort))

    def list(
        self,
        *,
        page: int = 1,
        page_size: int = 50,
        sort: SortKey | None = None,
        cursor: str | None = None,
        **filters: Unpack[EventFilters],
    ) -> Page[Event]:
        """One page of matching events, with the total (same shape as Client.events.list)."""
        check_query(filters, sort=sort, page=page, page_size=page_size)
        start = (page - 1) * page_size
        if cursor is not None:
            try:
                start = int(cursor.removeprefix("offset:"))
            except ValueError:
                raise ValueError(f"not a cursor of this release: {cursor!r}") from None
        items, total = [], 0
        for e in self._matching(filters, sort):
            if start <= total < start + page_size:
                items.append(event_from_json(e))
            total += 1
        end = start + len(items)
        more = end < total
        return Page(
            items=tuple(items),
            total=total,
            page=start // page_size + 1,
            page_size=page_size,
            next_cursor=f"offset:{end}" if more else None,
            next=None,
            without_coordinates=self._without_coordinates(filters),
            distance_km=_distances(items, filters.get("near")),
        )

    def _without_coordinates(self, filters: Mapping[str, Any]) -> int | None:
        """With a geo filter: how many events the other filters match that have no coordinates."""
        if all(filters.get(k) is None for k in GEO_FILTERS):
            return None
        rest = {k: v for k, v in filters.items() if k not in (*GEO_FILTERS, GEO_FALLBACK) and v is not None}
        areas = self._areas(filters)
        return sum(
            1
            for e in self._matching(rest, None)
            if e.get("latitude") is None and (areas is None or area_key(e) not in areas)
        )

    def records(
        self,
        *,
        fields: Sequence[str] | None = None,
        sort: SortKey | None = None,
        **filters: Unpack[EventFilters],
    ) -> Iterator[dict[str, Any]]:
        """Matching events as plain JSON dicts (only `fields` when given, and `id`), e.g. for pandas."""
        check_query(filters, sort=sort, fields=fields)
        keep = ["id", *(f for f in fields or () if f != "id")] if fields else None
        return ({k: e.get(k) for k in keep} if keep else e for e in self._matching(filters, sort))

    def _index(self) -> dict[str, int]:
        """Byte offset of each event's line, by id (built once, on the first `get`)."""
        if self._offsets is None:
            offsets: dict[str, int] = {}
            pos = 0
            with self._release._files.open(EVENTS_FILE) as fh:
                for line in fh:
                    if line.startswith(b'{"id":"'):  # the record's first key: no need to parse it
                        ident = line[7 : line.index(b'"', 7)].decode()
                    elif line.strip():
                        ident = json.loads(line)["id"]
                    else:
                        pos += len(line)
                        continue
                    offsets[ident] = pos
                    pos += len(line)
            self._offsets = offsets
        return self._offsets

    def _read_at(self, offset: int) -> dict[str, Any]:
        with self._release._files.open(EVENTS_FILE) as fh:
            fh.seek(offset)
            row: dict[str, Any] = json.loads(fh.readline())
        return row

    def get(self, event_id: str) -> Event:
        """The event with this id (withdrawn ones too); NotFound if there is none."""
        offset = self._index().get(event_id)
        if offset is None:
            raise NotFound(404, f"no event {event_id!r} in release {self._release.version}")
        return event_from_json(self._read_at(offset))

    def related(self, event_id: str, *, depth: int | None = None) -> builtins.list[Event]:
        """Events linked to this one, either way, followed transitively (a retaliation chain)."""
        return [r.event for r in self.chain(event_id, depth=depth)]

    def chain(self, event_id: str, *, depth: int | None = None) -> builtins.list[RelatedEvent]:
        """The linked events with how each is linked, as `Client.events.chain` (mirror of the
        server's breadth-first walk: ties by id, so the same `via` is found)."""
        check_depth(depth)
        index = self._index()
        if event_id not in index:
            raise NotFound(404, f"no event {event_id!r} in release {self._release.version}")
        edges: dict[str, set[tuple[str, str, int]]] = {}
        for e in self._raw():
            for r in e.get("related") or ():
                edges.setdefault(e["id"], set()).add((r["id"], r["relation"], 1))
                edges.setdefault(r["id"], set()).add((e["id"], r["relation"], 0))
        reached: dict[str, tuple[int, str, str, int]] = {}
        seen, frontier, distance = {event_id}, [event_id], 0
        while frontier and (depth is None or distance < depth):
            distance += 1
            step = sorted(
                ((a, b, rel, names) for a in frontier for b, rel, names in edges.get(a, ())),
                key=lambda x: (x[0], x[1], x[2], -x[3]),
            )
            frontier = []
            for a, b, rel, names in step:
                if b not in seen:
                    seen.add(b)
                    frontier.append(b)
                    reached[b] = (distance, a, rel, names)
            frontier.sort()
        rows = [self._read_at(index[i]) for i in reached if i in index]
        rows.sort(key=lambda e: (e["date_start"], e["id"]))
        out = []
        for e in rows:
            d, via, rel, names = reached[e["id"]]
            out.append(
                RelatedEvent(
                    event=event_from_json(e),
                    distance=d,
                    via=via,
                    relation=rel,
                    direction="named_by" if names else "names",
                )
            )
        return out

    def to_rows(
        self, *, sort: SortKey | None = None, **filters: Unpack[EventFilters]
    ) -> Iterator[dict[str, Any]]:
        """One flat record per matching event (as `Client.events.to_rows`)."""
        check_query(filters, sort=sort)
        names = {a.id: a.name for a in self._release._actors().values()}
        return flat_records(self._matching(filters, sort), names)

    def to_pandas(self, *, sort: SortKey | None = None, **filters: Unpack[EventFilters]) -> Any:
        """`to_rows()` as a pandas DataFrame (pandas is optional; ImportError without it)."""
        return to_dataframe(self.to_rows(sort=sort, **filters))

    def count(self, **filters: Unpack[EventFilters]) -> int:
        """How many events match."""
        check_query(filters)
        return sum(1 for _ in self._matching(filters, None))


class LocalActors:
    """`actors.list/get` over the release's actors.csv."""

    def __init__(self, release: LocalRelease) -> None:
        self._release = release

    def list(self) -> list[Actor]:
        """Every actor of the registry, by id."""
        return list(self._release._actors().values())

    def get(self, actor_id: str) -> Actor:
        """The actor with this id; NotFound if there is none."""
        try:
            return self._release._actors()[actor_id]
        except KeyError:
            raise NotFound(404, f"no actor {actor_id!r} in release {self._release.version}") from None


class LocalPlaces:
    """`places.list/get` over the release's places.csv (none in releases before schema 1.1)."""

    def __init__(self, release: LocalRelease) -> None:
        self._release = release

    def _all(self) -> dict[str, Place]:
        files = self._release._files
        out: dict[str, Place] = {}
        if files.exists(PLACES_FILE):
            extra = self._release._roundtrip("places")
            with files.open(PLACES_FILE) as fh:
                for row in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8", newline="")):
                    place = place_from_row({**row, **extra.get(row.get("slug", ""), {})})
                    out[place.slug] = place
        return dict(sorted(out.items()))

    def list(self) -> list[Place]:
        """Every place of the registry, by slug."""
        return list(self._all().values())

    def get(self, slug: str) -> PlaceEvents:
        """The place with this slug and the live events that name it (by date, then id)."""
        place = self._all().get(slug)
        if place is None:
            raise NotFound(404, f"no place {slug!r} in release {self._release.version}")
        rows = [e for e in self._release.events._raw() if e.get("place") == slug and e["withdrawn"] is None]
        rows.sort(key=lambda e: (e["date_start"], e["id"]))
        return PlaceEvents(place=place, events=tuple(event_from_json(e) for e in rows))


class LocalRelease:
    """A downloaded release, queried offline. Use `open_release(path)`; close it (or use `with`)."""

    def __init__(self, path: str | Path, *, verify: bool = True) -> None:
        self.path = Path(path)
        if self.path.is_dir() and (self.path / SYNC_PENDING).exists():
            raise IntegrityError(f"{self.path}: a sync was interrupted; run sync() again to finish it")
        self._files = _Files(self.path)
        try:
            with self._files.open(DESCRIPTOR) as fh:
                self.descriptor: dict[str, Any] = json.load(fh)
        except ValueError as exc:
            raise IntegrityError(f"{self.path}: {DESCRIPTOR} is not JSON ({exc})") from exc
        self._hashes = _resource_hashes(self.descriptor)
        self._actor_cache: dict[str, Actor] | None = None
        self._alias_cache: dict[str, set[str]] | None = None
        if verify:
            self.verify()
        self.events = LocalEvents(self)
        self.actors = LocalActors(self)
        self.places = LocalPlaces(self)

    @property
    def version(self) -> str:
        """The release's version (from datapackage.json)."""
        return str(self.descriptor.get("version", ""))

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    def verify(
        self, names: tuple[str, ...] = (EVENTS_FILE, ACTORS_FILE, PLACES_FILE, CHANGES_FILE, ROUNDTRIP_FILE)
    ) -> None:
        """Check the files this class reads against the sha256 and size in datapackage.json."""
        for name in names:
            if not self._files.exists(name):
                if name == EVENTS_FILE:
                    raise IntegrityError(f"{self.path}: the release has no {EVENTS_FILE}")
                continue
            expected, size = self._hashes.get(name, (None, None))
            if expected is None:
                raise IntegrityError(f"{self.path}: {DESCRIPTOR} lists no sha256 for {name}", path=name)
            with self._files.open(name) as fh:
                actual, n = _digest(fh)
            if actual != expected or (size is not None and n != size):
                raise IntegrityError(
                    f"{self.path}: {name} does not match {DESCRIPTOR} (sha256 {actual}, expected {expected}); "
                    "the copy is damaged or was edited",
                    path=name,
                    expected=expected,
                    actual=actual,
                )

    def to_arrow(self, table: str = "events") -> Any:
        """A table of the release as a pyarrow.Table, from its Parquet file, verified against
        datapackage.json: "events" (default), "events_flat" (one flat row per event, actors and
        casualty figures as columns), "event_sources", "event_actors", "event_claims", "actors",
        "places" or "events_geo" (events.geoparquet). Needs pyarrow (not a dependency of the client); a
        release built before the Parquet files raises NotFound."""
        name = parquet_name(table)
        if not self._files.exists(name):
            raise NotFound(
                404, f"{self.path}: release {self.version} has no {name} (it predates the Parquet files)"
            )
        self.verify((name,))
        with self._files.open(name) as fh:
            return read_table(fh)

    def to_pandas(self, table: str = "events") -> Any:
        """`to_arrow(table)` as a pandas DataFrame (counts Int64, enums categorical, dates as
        dates, list columns Arrow-backed). Needs pyarrow and pandas."""
        return table_to_pandas(self.to_arrow(table))

    def _actors(self) -> dict[str, Actor]:
        if self._actor_cache is None:
            cache: dict[str, Actor] = {}
            if self._files.exists(ACTORS_FILE):
                extra = self._roundtrip("actors")
                with self._files.open(ACTORS_FILE) as fh:
                    reader = csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8", newline=""))
                    check_actor_header(list(reader.fieldnames or ()), str(self.path))
                    for row in reader:
                        actor = actor_from_row({**row, **extra.get(row.get("id", ""), {})})
                        cache[actor.id] = actor
            self._actor_cache = dict(sorted(cache.items()))
        return self._actor_cache

    def _roundtrip(self, table: str) -> dict[str, dict[str, str]]:
        """roundtrip.csv's cells of a registry's records by key ({} for a release without the
        file, whose registry CSVs carry them)."""
        if not self._files.exists(ROUNDTRIP_FILE):
            return {}
        with self._files.open(ROUNDTRIP_FILE) as fh:
            return roundtrip_cells(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8", newline="")), table)

    def _actor_ids_for(self, value: str) -> set[str]:
        """The actor ids a filter value names: an id, a name or an alias (case-insensitive)."""
        if self._alias_cache is None:
            index: dict[str, set[str]] = {}
            for actor in self._actors().values():
                for name in (actor.id, actor.name, *actor.aliases):
                    index.setdefault(name.casefold(), set()).add(actor.id)
            self._alias_cache = index
        return {value} | self._alias_cache.get(value.casefold(), set())

    def aggregates(
        self, group_by: Sequence[GroupKey] | str, *, fill: bool = False, **filters: Unpack[EventFilters]
    ) -> Aggregates:
        """Counts and casualty figures per group of matching events, as `Client.aggregates`: per
        row and figure, `min`/`max` sum the lowest/highest reported figures, `best` the best
        estimates given, and `unknown` counts the events whose figure is unknown (a row with
        `unknown > 0` is a partial sum). `fill=True`: zero rows for empty periods."""
        check_no_fallback(filters)
        check_filter_values(filters)
        keys = check_group_by(group_by, fill)
        rows = self.events._matching(filters, None)
        lo, hi = filters.get("date_start__gte"), filters.get("date_start__lte")
        return aggregate(rows, keys, self._actors(), fill=fill, date_from=lo, date_to=hi)

    def changes(self, since: datetime | str | None = None) -> Changes:
        """Events modified or withdrawn after `since` (from changes.csv)."""
        when = parse_datetime(since) if isinstance(since, str) else since
        when = None if when is None else as_aware(when)  # naive: UTC, as the API is sent it
        items = []
        latest: datetime | None = None
        with self._files.open(CHANGES_FILE) as fh:
            for row in csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8", newline="")):
                change = change_from_row(row)
                stamp = max(change.modified, change.withdrawn_at or change.modified)
                latest = stamp if latest is None or stamp > latest else latest
                if when is None or stamp > when:
                    items.append(change)
        return Changes(items=tuple(items), since=when, until=latest)

    def citation(self) -> str:
        """The release's CITATION.cff text."""
        with self._files.open("CITATION.cff") as fh:
            return fh.read().decode("utf-8")

    def close(self) -> None:
        """Release the open zip, if any."""
        self._files.close()

    def __enter__(self) -> LocalRelease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LocalRelease {self.name} {self.version} at {self.path}>"


def change_from_row(row: Mapping[str, str]) -> Change:
    """A Change from a row of changes.csv (`withdrawn` a boolean or the withdrawal time)."""
    withdrawn = (row.get("withdrawn") or "").strip()
    withdrawn_at = _none(row.get("withdrawn_at"))
    flag = bool(withdrawn) and withdrawn.lower() not in ("false", "0", "no")
    if flag and not _truthy(withdrawn) and withdrawn_at is None:
        withdrawn_at = withdrawn
    return Change(
        id=row["id"],
        modified=parse_datetime(row["modified"]),
        withdrawn=flag,
        withdrawn_at=parse_datetime(withdrawn_at) if withdrawn_at else None,
    )


def open_release(path: str | Path, *, verify: bool = True) -> LocalRelease:
    """Open a downloaded release (directory, its datapackage.json, or the zip) for offline queries.

    With `verify` (the default) the files read are checked against the sha256 hashes of
    datapackage.json first, so a damaged or edited copy raises IntegrityError.
    """
    try:
        return LocalRelease(path, verify=verify)
    except (OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise OpenStrikesError(f"{path}: cannot read the release: {exc}") from exc
