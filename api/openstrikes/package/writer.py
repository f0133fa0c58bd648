"""The per-event files of a package, written chunk after chunk and hashed as they grow."""

from __future__ import annotations

from pathlib import Path

from openstrikes.package.flatten import child_header, event_header
from openstrikes.package.metadata import FileInfo
from openstrikes.package.render import Chunk, HashingFile, csv_text
from openstrikes.package.table_schema import CHANGES_COLUMNS, ROUNDTRIP_COLUMNS, ROUNDTRIP_FILE, tables


class EventWriter:
    """The per-event files of a package, written chunk after chunk and hashed as they grow."""

    def __init__(self, tmp: Path) -> None:
        self.outs: dict[str, HashingFile] = {"events": HashingFile(tmp / "events.csv")}
        headers: dict[str, list[str]] = {"events": event_header()}
        for table in tables().children:
            self.outs[table] = HashingFile(tmp / f"{table}.csv")
            headers[table] = child_header(table)
        self.outs["changes"] = HashingFile(tmp / "changes.csv")
        headers["changes"] = list(CHANGES_COLUMNS)
        # The events' roundtrip.csv rows, put after the registries' rows when the file is finished.
        self.outs["roundtrip"] = HashingFile(tmp / f".{ROUNDTRIP_FILE}.events")
        self.tmp = tmp
        for key, header in headers.items():
            self.outs[key].write(csv_text([header]))
        self.outs["events-ndjson"] = HashingFile(tmp / "events.ndjson")
        self.as_json = HashingFile(tmp / "events.json")
        self.as_geojson = HashingFile(tmp / "events.geojson")
        self.as_json.write(b"[")
        self.as_geojson.write(b'{"type":"FeatureCollection","features":[')
        self.best: tuple[str, str] | None = None
        self.count = self.withdrawn = 0

    def add(self, chunk: Chunk) -> None:
        """Append the next chunk of events (chunks come in id order)."""
        lead = b"\n" if self.count == 0 else b",\n"
        self.as_json.write(lead + chunk.json_items)
        self.as_geojson.write(lead + chunk.geo_items)
        for key, data in chunk.parts.items():
            self.outs[key].write(data)
        if chunk.max_modified is not None and (self.best is None or chunk.max_modified[0] > self.best[0]):
            self.best = chunk.max_modified
        self.count += chunk.count
        self.withdrawn += chunk.withdrawn

    def discard(self) -> None:
        """Close the files unfinished (they are about to be removed or rewritten)."""
        for out in (*self.outs.values(), self.as_json, self.as_geojson):
            out.fh.close()

    def close(self, roundtrip_head: list[list[str]]) -> tuple[dict[str, FileInfo], str | None, int, int]:
        """Finish the files (roundtrip.csv: the registries' rows `roundtrip_head`, then the
        events'); their infos, the latest `modified`, the number of events and of withdrawn ones."""
        events_part = self.outs.pop("roundtrip")
        events_part.close()
        roundtrip = HashingFile(self.tmp / ROUNDTRIP_FILE)
        roundtrip.write(csv_text([list(ROUNDTRIP_COLUMNS), *roundtrip_head]))
        with events_part.path.open("rb") as fh:
            while block := fh.read(1 << 20):
                roundtrip.write(block)
        events_part.path.unlink()
        self.as_json.write(b"\n]\n" if self.count else b"]\n")
        self.as_geojson.write(b"\n]}\n" if self.count else b"]}\n")
        infos = {name: out.close() for name, out in self.outs.items()}
        infos["roundtrip"] = roundtrip.close()
        infos["events-json"] = self.as_json.close()
        infos["events-geojson"] = self.as_geojson.close()
        return infos, self.best[1] if self.best else None, self.count, self.withdrawn
