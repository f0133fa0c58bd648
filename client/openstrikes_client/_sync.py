"""Keep a local copy of the latest release current, incrementally and safe to interrupt.

The events are brought up to date from the changes feed: only events modified or withdrawn since
the last sync are fetched (as the server's NDJSON lines) and merged into the local events.ndjson,
which must then hash to the release's published sha256 (else the file is downloaded whole). Small
files whose hash changed are downloaded again. Everything is staged under `.openstrikes-sync/`
and moved into place only when complete; an interrupted sync is finished by the next one. The
state file records which files the copy holds, so a file the new release drops (or that the caller
no longer asks for) is removed rather than left behind, stale, next to the new datapackage.json.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._client import Client
from ._download import Progress, fetch_file, sha256_file
from ._errors import APIError, IntegrityError, TransportError
from ._local import DESCRIPTOR, EVENTS_FILE
from ._models import Release, format_datetime

DEFAULT_FILES = ("datapackage.json", "events.ndjson", "actors.csv", "places.csv", "changes.csv")
# Files a release may lack (places.csv came with schema 1.1): synced when listed, else left out.
OPTIONAL_FILES = frozenset({"places.csv"})
META = ".openstrikes-sync"
STATE = "state.json"
COMMIT = "COMMIT"
STAGING = "staging"


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: the version before and after, the event ids it updated, the files it
    downloaded whole, and whether the events were updated incrementally."""

    previous_version: str | None
    version: str
    changed: tuple[str, ...]
    withdrawn: tuple[str, ...]
    downloaded: tuple[str, ...]
    incremental: bool
    removed: tuple[str, ...] = ()

    @property
    def up_to_date(self) -> bool:
        """True when nothing had to change."""
        return not self.changed and not self.downloaded and not self.removed


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _finish(dest: Path) -> None:
    """Roll a committed sync forward: move its staged files into place (datapackage.json last),
    then remove the files the new copy no longer holds."""
    meta = dest / META
    commit = _read_json(meta / COMMIT)
    if not isinstance(commit, dict):
        (meta / COMMIT).unlink(missing_ok=True)
        return
    names = sorted(commit.get("files", []), key=lambda n: n == DESCRIPTOR)
    for name in names:
        staged = meta / STAGING / name
        if staged.exists():
            os.replace(staged, dest / name)
    for name in _names(commit, "removed"):
        with contextlib.suppress(FileNotFoundError):
            (dest / name).unlink()
    _write_json(meta / STATE, commit["state"])
    (meta / COMMIT).unlink()
    shutil.rmtree(meta / STAGING, ignore_errors=True)


def _local_hash(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def _lines_by_id(lines: Iterable[bytes]) -> Iterator[tuple[str, bytes]]:
    for line in lines:
        if not line.strip():
            continue
        if not line.endswith(b"\n"):
            line += b"\n"
        try:
            ident = json.loads(line)["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(f"not an event line: {line[:80]!r}") from exc
        yield str(ident), line


def _merge(old: Path, updates: dict[str, bytes], out: Path) -> str:
    """Write `old` with the lines of `updates` replacing or joining it (sorted by id); its sha256."""
    h = hashlib.sha256()
    pending = sorted(updates.items())
    i = 0
    with old.open("rb") as src, out.open("wb") as dst:

        def put(line: bytes) -> None:
            dst.write(line)
            h.update(line)

        for ident, line in _lines_by_id(src):
            while i < len(pending) and pending[i][0] < ident:
                put(pending[i][1])
                i += 1
            if i < len(pending) and pending[i][0] == ident:
                put(pending[i][1])
                i += 1
            else:
                put(line)
        while i < len(pending):
            put(pending[i][1])
            i += 1
        dst.flush()
        os.fsync(dst.fileno())
    return h.hexdigest()


def _changed_lines(client: Client, release: Release, since: str) -> dict[str, bytes]:
    """The NDJSON lines of events modified or withdrawn since `since`, from the release."""
    t = client._transport
    pinned = Client(
        client.base_url,
        release=release.version,
        session=t.session,
        timeout=t.timeout,
        retries=t.retries,
        compress=t.compress,
    )
    params = {"format": "ndjson", "modified_since": since, "include_withdrawn": "true"}
    resp = pinned._transport.request(
        "GET", pinned._path("events"), params=params, headers={"Accept": "application/x-ndjson"}
    )
    try:
        body = resp.content
    finally:
        resp.close()
    return dict(_lines_by_id(body.splitlines(keepends=True)))


def sync(
    dest: str | Path,
    client: Client | str,
    *,
    files: Iterable[str] = DEFAULT_FILES,
    progress: Progress | None = None,
) -> SyncResult:
    """Bring the release copy in `dest` up to the server's latest release (or the client's pinned one).

    The first call downloads `files` (default: what `open_release` reads); later calls fetch only
    the events changed since (withdrawals included) and the small files that changed. Every file is
    verified against the release's sha256 before it replaces the old one. A file an earlier sync
    brought in that the new release no longer has, or that is no longer in `files`, is removed
    (`SyncResult.removed`); asking for a file the release lacks raises IntegrityError unless the
    copy followed it before (then it was dropped). Safe to interrupt: the next call finishes or
    redoes the work.
    """
    own_client = isinstance(client, str)
    api = Client(client) if isinstance(client, str) else client
    try:
        return _sync(Path(dest), api, tuple(dict.fromkeys((DESCRIPTOR, *files))), progress)
    finally:
        if own_client:
            api.close()


def _sync(dest: Path, client: Client, names: tuple[str, ...], progress: Progress | None) -> SyncResult:
    dest.mkdir(parents=True, exist_ok=True)
    meta = dest / META
    meta.mkdir(exist_ok=True)
    if (meta / COMMIT).exists():
        _finish(dest)
    state = _read_json(meta / STATE)
    if not isinstance(state, dict):
        state = {}
    previous = state.get("version")
    held = _names(state, "files")
    if "files" not in state:  # a copy an older client synced: what it holds is what is there
        held = {n for n in names if (dest / n).is_file()}
    asked = names
    release = client.release_info()
    listing = {f.name: f for f in release.files}
    # A name this copy followed before and the release no longer has was dropped: not an error.
    # An optional file (places.csv, schema 1.1) a release lacks is left out, not an error.
    missing = [
        n for n in names if n not in listing and n not in held | _names(state, "asked") | OPTIONAL_FILES
    ]
    if missing:
        raise IntegrityError(f"release {release.version} has no file(s) {missing}")
    names = tuple(n for n in names if n in listing)
    removed = tuple(sorted(held - set(names)))
    staging = meta / STAGING
    staging.mkdir(exist_ok=True)
    for leftover in staging.iterdir():  # keep partial downloads (.part) to resume them
        if not leftover.name.startswith("."):
            leftover.unlink()

    # Where the changes feed stands now: the next sync asks from here.
    since = state.get("until")
    feed = client.changes(since=since) if since else client.changes(since=release.created)
    changed_ids = tuple(sorted({c.id for c in feed.items}))
    withdrawn_ids = tuple(sorted({c.id for c in feed.items if c.withdrawn}))

    staged: list[str] = []
    downloaded: list[str] = []
    incremental = False
    for name in names:
        entry = listing[name]
        local = dest / name
        if _local_hash(local) == entry.sha256.lower():
            continue
        if name == EVENTS_FILE and since and local.is_file():
            try:
                updates = _changed_lines(client, release, since)
                digest = _merge(local, updates, staging / name)
            except (APIError, TransportError, IntegrityError):
                digest = None
            if digest == entry.sha256.lower():
                staged.append(name)
                incremental = True
                continue
            (staging / name).unlink(missing_ok=True)
        fetch_file(
            client._transport,
            entry.url,
            staging / name,
            sha256=entry.sha256,
            size=entry.bytes,
            progress=progress,
        )
        staged.append(name)
        downloaded.append(name)

    new_state = {
        "base_url": client.base_url,
        "version": release.version,
        "sha256": release.sha256,
        "until": format_datetime(feed.until) if feed.until else since,
        "files": list(names),
        "asked": list(asked),
    }
    _write_json(meta / COMMIT, {"files": staged, "removed": list(removed), "state": new_state})
    _finish(dest)
    return SyncResult(
        previous_version=previous,
        version=release.version,
        changed=changed_ids if EVENTS_FILE in staged else (),
        withdrawn=withdrawn_ids if EVENTS_FILE in staged else (),
        downloaded=tuple(downloaded),
        incremental=incremental,
        removed=removed,
    )


def _names(state: dict[str, Any], key: str) -> set[str]:
    """File names the state lists under `key` (plain names only: never a path out of the copy)."""
    files = state.get(key)
    if not isinstance(files, list):
        return set()
    return {n for n in files if isinstance(n, str) and n and n == Path(n).name and not n.startswith(".")}
