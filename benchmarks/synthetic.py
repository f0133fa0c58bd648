"""Synthetic OpenStrikes datasets for tests and benchmarks (never written into dataset/).

`generate_events(n, seed)` yields `n` events that pass `openstrikes validate`: schema-valid,
coordinates inside their country (points of a grid kept by the Natural Earth boundaries the
validator uses), no likely duplicates (distinct places on one day, disjoint attackers on
neighbouring days), links only to earlier events. About one in ten is at sea (schema 1.1: no
country, a body of water, ships with valid IMO numbers as targets, one ship per day at most),
and some name a place of the registry `registry()` (and take its coordinates); schema 1.0 and
1.1 records are mixed, as in a dataset being migrated. With `spread=True` the events are spread
like real data (benchmarks): countries skewed towards a few (`COUNTRY_WEIGHTS`), grid points
clustered around a hotspot per country, years of uneven density (`YEAR_WEIGHTS`). `write_dataset(root, n, seed)` writes a
repository-shaped directory: `root/schema/` (copied), `root/dataset/actors/`,
`root/dataset/places/`, `root/dataset/events/YYYY/ID.json` and `root/dataset/datapackage.json`.

    python benchmarks/synthetic.py DIR N [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from openstrikes import geo
from openstrikes.paths import repo_root
from openstrikes.schema_files import event_schema
from openstrikes.toolchain.records import canonical

ID_ALPHABET = "23456789cfghjmpqrvwx"
ID_SPACE = len(ID_ALPHABET) ** 8
ID_STEP = 1_000_003 * 7  # odd and not a multiple of 5: i -> i*STEP mod 20**8 is a bijection
EPOCH = date(2000, 1, 1)
DAYS = 8800  # 2000-01-01 .. 2024-02: every event lies in the past
ACTORS_PER_SIDE = 24
PLACE_KEYS = ("country", "water_body", "admin1", "admin2", "latitude", "longitude", "geo_precision")
COUNTRIES = {"IQ": "Asia/Baghdad", "SY": "Asia/Damascus", "JO": "Asia/Amman", "IR": "Asia/Tehran"}
STRIKE_TYPES = list(event_schema()["properties"]["strike_type"]["enum"])
TARGET_TYPES = ["militia_facility", "weapons_storage", "military_base", "command_and_control", "vehicle"]
WORDS = [
    "strike",
    "compound",
    "depot",
    "convoy",
    "militia",
    "base",
    "airfield",
    "warehouse",
    "drone",
    "rocket",
    "battery",
    "launch",
    "site",
    "border",
    "crossing",
    "river",
    "bridge",
    "checkpoint",
    "headquarters",
    "reported",
    "killed",
    "injured",
    "statement",
]
NAMES = ["Al-Qa'im", "Abu Kamal", "Jurf al-Nasr", "Deir ez-Zor", "Mayadin", 'Erbil, "north"', "القائم"]


# spread=True: the share of each country among the grid points used first each day, and how
# densely each year is filled (quiet years, a surge, a long tail), as in real conflict data.
COUNTRY_WEIGHTS = {"IQ": 0.5, "SY": 0.3, "IR": 0.12, "JO": 0.08}
HOTSPOTS = {"IQ": (34.4, 41.0), "SY": (35.3, 40.1), "IR": (33.5, 48.0), "JO": (32.0, 36.5)}
YEAR_WEIGHTS = {y: 0.2 if y < 2014 else 1.0 if y < 2020 else 0.5 for y in range(2000, 2025)}
SPREAD_SLOTS = 307  # PLACE_SLOTS for spread data: > the events one day holds at 1M events


def event_id(i: int, seed: int, year: int) -> str:
    """A unique id for event number i (a bijection of i, so ids never collide)."""
    x = (i * ID_STEP + seed * 7919) % ID_SPACE
    chars = []
    for _ in range(8):
        x, r = divmod(x, len(ID_ALPHABET))
        chars.append(ID_ALPHABET[r])
    part = "".join(chars)
    return f"OS-{year:04d}-{part[:4]}-{part[4:]}"


@cache
def places() -> list[tuple[str, float, float]]:
    """Grid points 0.5 degrees apart (> 40 km) that lie inside their country."""
    out = []
    for country, lat0, lat1, lon0, lon1 in (
        ("IQ", 29.5, 37.0, 39.0, 48.0),
        ("SY", 32.5, 37.0, 36.0, 42.0),
        ("JO", 29.5, 33.0, 35.5, 39.0),
        ("IR", 27.0, 37.0, 46.0, 60.0),
    ):
        lat = lat0
        while lat <= lat1:
            lon = lon0
            while lon <= lon1:
                if geo.distance_outside_km(country, lat, lon) == 0.0:
                    out.append((country, round(lat, 4), round(lon, 4)))
                lon += 0.5
            lat += 0.5
    return out


@cache
def spread_places() -> list[tuple[str, float, float]]:
    """The grid points in the order events of one day take them: countries interleaved by
    COUNTRY_WEIGHTS, each country's points nearest its hotspot first (clustered places)."""
    by_country: dict[str, list[tuple[str, float, float]]] = {}
    for p in places():
        by_country.setdefault(p[0], []).append(p)
    for c, pts in by_country.items():
        hlat, hlon = HOTSPOTS[c]
        pts.sort(key=lambda p: (p[1] - hlat) ** 2 + (p[2] - hlon) ** 2)
    out: list[tuple[str, float, float]] = []
    taken = dict.fromkeys(by_country, 0)
    while len(out) < len(places()):
        # the country furthest below its share takes the next position
        c = min(
            (c for c in by_country if taken[c] < len(by_country[c])),
            key=lambda c: (taken[c] + 1) / COUNTRY_WEIGHTS[c],
        )
        out.append(by_country[c][taken[c]])
        taken[c] += 1
    return out


# Boxes that name the body of water of the sea points inside them (first match wins).
SEA_BOXES = (
    ("red_sea", 13.5, 27.5, 33.0, 43.0),
    ("gulf_of_aden", 11.0, 14.5, 43.5, 51.0),
    ("gulf_of_oman", 22.5, 26.0, 56.5, 60.0),
    ("persian_gulf", 24.0, 30.0, 48.0, 56.5),
    ("arabian_sea", 10.0, 22.0, 55.0, 68.0),
)
PLACE_SLOTS = 151  # > the events one day holds at 1M events: events of one day get distinct slots
VESSEL_KINDS = ["bulk_carrier", "tanker", "chemical_tanker", "container_ship", "general_cargo", "warship"]
FLAGS = [None, "MH", "LR", "PA", "MT", "GR", "GB", "US", "SG", "HK"]


@cache
def sea_places() -> list[tuple[str, float, float]]:
    """Grid points 0.5 degrees apart at sea (no land under them), with their body of water."""
    out = []
    for water, lat0, lat1, lon0, lon1 in SEA_BOXES:
        lat = lat0
        while lat <= lat1:
            lon = lon0
            while lon <= lon1:
                taken = any(
                    w != water and a <= lat <= b and c <= lon <= d
                    for w, a, b, c, d in SEA_BOXES[: [x[0] for x in SEA_BOXES].index(water)]
                )
                if not taken and not geo.on_land(lat, lon):
                    out.append((water, round(lat, 4), round(lon, 4)))
                lon += 0.5
            lat += 0.5
    return out


def imo(six: int) -> str:
    """A valid IMO number (with its check digit) from a number below one million."""
    digits = f"{six:06d}"
    return digits + str(sum(int(d) * w for d, w in zip(digits, (7, 6, 5, 4, 3, 2), strict=True)) % 10)


def vessel(k: int) -> dict[str, Any]:
    """Ship number k of the synthetic fleet (PLACE_SLOTS ships)."""
    return {
        "name": f"Synthetic {VESSEL_KINDS[k % len(VESSEL_KINDS)].replace('_', ' ').title()} {k:03d}",
        "imo": imo(900000 + k) if k % 5 else None,
        "flag": FLAGS[k % len(FLAGS)],
        "kind": VESSEL_KINDS[k % len(VESSEL_KINDS)],
        "owner": f"Synthetic Shipping {k % 7}" if k % 3 == 0 else None,
        "operator": None,
    }


@cache
def registry() -> list[dict[str, Any]]:
    """The synthetic places registry: a few points on land and at sea, each half a grid step off
    the grids in both directions (over 25 km from every grid point, so that an event at a place
    is never a likely duplicate of one at a grid point)."""
    land = [
        (c, round(lat + 0.25, 4), round(lon + 0.25, 4))
        for c, lat, lon in places()[3 :: max(1, len(places()) // 20)]
        if geo.distance_outside_km(c, lat + 0.25, lon + 0.25) == 0.0
    ]
    sea = [
        (w, round(lat + 0.25, 4), round(lon + 0.25, 4))
        for w, lat, lon in sea_places()[5 :: max(1, len(sea_places()) // 12)]
        if not geo.on_land(lat + 0.25, lon + 0.25)
    ]
    out = []
    for k, (country, lat, lon) in enumerate(land[:9]):
        out.append(
            {
                "slug": f"synthetic-place-{k:02d}",
                "name": f"Synthetic Place {k:02d}",
                "aliases": [f"Place {k:02d}"] if k % 2 else [],
                "country": country,
                "water_body": None,
                "admin1": ["Anbar", "Deir ez-Zor", "Babil"][k % 3],
                "admin2": None if k % 3 else "Al-Qa'im",
                "latitude": lat,
                "longitude": lon,
                "geo_precision": "exact" if k % 2 else "near",
                "sources": [
                    {
                        "url": f"https://gazetteer.example.org/synthetic-place-{k:02d}",
                        "title": f"Synthetic Place {k:02d}",
                        "publisher": "Example Gazetteer",
                    }
                ],
                "external_ids": {"geonames": str(1000 + k)} if k % 2 else {},
            }
        )
    for k, (water, lat, lon) in enumerate(sea[:4]):
        out.append(
            {
                "slug": f"synthetic-waters-{k:02d}",
                "name": f"Synthetic Waters {k:02d}",
                "aliases": [],
                "country": None,
                "water_body": water,
                "admin1": None,
                "admin2": None,
                "latitude": lat,
                "longitude": lon,
                "geo_precision": "near" if k % 2 else "water_body",
                "sources": [],
                "external_ids": {},
            }
        )
    return out


def actor_ids() -> list[str]:
    return [f"synthetic-actor-{side}-{k:02d}" for side in ("a", "b") for k in range(ACTORS_PER_SIDE)]


def actors() -> list[dict[str, Any]]:
    """The actor records the events refer to: on each side two lines of command (every actor under
    the one two before it), side a of one country, side b's even ones of another."""
    out = []
    for aid in actor_ids():
        side, k = aid.split("-")[-2], int(aid.split("-")[-1])
        country = "US" if side == "a" else ("IQ" if k % 2 == 0 else None)
        out.append(
            {
                "id": aid,
                "name": aid.replace("-", " ").title(),
                "aliases": [],
                "kind": "armed_group",
                "country": country,
                "parent": f"synthetic-actor-{side}-{k - 2:02d}" if k >= 2 else None,
                "external_ids": {},
                "description": "Synthetic actor for tests and benchmarks.",
                "sources": [],
            }
        )
    return out


def _stamp(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _text(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def _range(rng: random.Random, cap: int) -> dict[str, Any]:
    lo = rng.randint(0, cap)
    hi = rng.randint(lo, lo + cap)
    return {"min": lo, "max": hi, "best": rng.choice([None, (lo + hi) // 2])}


def generate_events(n: int, seed: int = 0, *, spread: bool = False) -> Iterator[dict[str, Any]]:
    """Yield n valid events, deterministically for a given seed (`spread`: see the module text)."""
    rng = random.Random(seed)
    grid = spread_places() if spread else places()
    slots = SPREAD_SLOTS if spread else PLACE_SLOTS
    sea = sea_places()
    gazetteer = registry()
    pool = actor_ids()
    sides = (pool[:ACTORS_PER_SIDE], pool[ACTORS_PER_SIDE:])
    keep = random.Random(seed + 1)
    made = 0
    previous = -1  # the last i kept
    on_day: dict[int, int] = {}  # day index -> the last i kept on it
    for i in range(n * 10 if spread else n):
        if made == n:
            break
        day_index = i % DAYS
        slot = i // DAYS  # events on one day sit at distinct grid points
        start = EPOCH + timedelta(days=day_index)
        if spread and keep.random() >= YEAR_WEIGHTS[start.year]:
            continue  # i is skipped: ids stay distinct, days get uneven numbers of events
        made += 1
        before, earlier = previous, on_day.get(day_index)
        previous = on_day[day_index] = i
        country, lat, lon = grid[slot % len(grid)]
        span = rng.choice([0, 0, 0, 0, 1, 2])
        end = start + timedelta(days=span)
        ident = event_id(i, seed, start.year)
        published = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(
            days=rng.randint(1, 30), seconds=rng.randint(0, 86399)
        )
        modified = published + timedelta(seconds=rng.choice([0, 0, rng.randint(1, 5_000_000)]))
        side = sides[day_index % 2]  # neighbouring days never share an attacker
        attackers = rng.sample(side, rng.choice([1, 1, 1, 2]))
        located = rng.random() < 0.85
        n_sources = rng.randint(1, 3)
        srcs = [
            {
                "url": f"https://news.example.org/{ident.lower()}/{k}",
                "archive_url": rng.choice([None, f"https://archive.example.org/{ident.lower()}/{k}"]),
                "title": _text(rng, 3, 9).capitalize(),
                "publisher": rng.choice(["Reuters", "AP", "Ministry of Defence", "SOHR", "Airwars"]),
                "published": rng.choice([None, (end + timedelta(days=rng.randint(0, 3))).isoformat()]),
                "type": rng.choice(["official", "news", "ngo", "monitor", "social", "other"]),
            }
            for k in range(n_sources)
        ]
        killed = rng.choice([None, _range(rng, 8)])
        injured = rng.choice([None, _range(rng, 12)])
        civ_killed = (
            None if killed is None else rng.choice([None, {"min": 0, "max": killed["min"], "best": None}])
        )
        civ_injured = (
            None if injured is None else rng.choice([None, {"min": 0, "max": injured["min"], "best": None}])
        )
        withdrawn = None
        if before >= 0 and rng.random() < 0.02:
            reason = rng.choice(["erroneous", "not_a_strike", "insufficient_evidence", "duplicate"])
            withdrawn = {
                "at": _stamp(modified),
                "reason": reason,
                "superseded_by": event_id(before, seed, (EPOCH + timedelta(days=before % DAYS)).year)
                if reason == "duplicate"
                else None,
                "note": rng.choice([None, 'Synthetic withdrawal, with a comma, and "quotes".']),
            }
        related = []
        if earlier is not None and rng.random() < 0.1:
            j = earlier  # an earlier event on the same day index, at another grid point
            related.append(
                {
                    "id": event_id(j, seed, (EPOCH + timedelta(days=j % DAYS)).year),
                    "relation": rng.choice(["retaliation_for", "response_to", "follow_up"]),
                }
            )
        at_sea = rng.random() < 0.1
        slot_of_day = (day_index + slot) % slots  # distinct for the events of one day
        named = gazetteer[slot_of_day] if slot_of_day < len(gazetteer) and rng.random() < 0.5 else None
        event: dict[str, Any] = {
            "id": ident,
            "schema_version": "1.0.0",
            "published": _stamp(published),
            "modified": _stamp(modified),
            "withdrawn": withdrawn,
            "date_start": start.isoformat(),
            "date_end": end.isoformat(),
            "date_precision": "day" if span == 0 else "days",
            "datetime_utc": None,
            "timezone": COUNTRIES[country] if rng.random() < 0.5 else None,
            "country": country,
            "admin1": rng.choice([None, "Anbar", "Deir ez-Zor", "Babil"]),
            "admin2": rng.choice([None, "Al-Qa'im", "Abu Kamal"]),
            "location": rng.choice([None, *NAMES]),
            "latitude": lat if located else None,
            "longitude": lon if located else None,
            "geo_precision": rng.choice(["exact", "near"]) if located else rng.choice(["admin1", "country"]),
            "strike_type": rng.choice(STRIKE_TYPES),
            "platforms": rng.sample(["F-15E", "MQ-9", "B-1B", "HIMARS", "Shahed-136"], rng.randint(0, 2)),
            "munitions": rng.sample(["GBU-12", "AGM-114", "GMLRS", "107 mm rocket"], rng.randint(0, 2)),
            "outcome": rng.choice(["impact", "intercepted", "failed", "unknown"]),
            "status": rng.choice(["declared", "claimed", "alleged", "contested"]),
            "attackers": [
                {"actor": a, "attribution": rng.choice(["declared", "claimed", "suspected"])}
                for a in attackers
            ],
            "targets": [
                {
                    "actor": rng.choice([None, *sides[1 - day_index % 2][:4]]),
                    "target_type": rng.choice(TARGET_TYPES),
                    "description": rng.choice([None, "", _text(rng, 2, 6), 'line one\nline two, "quoted"']),
                }
                for _ in range(rng.randint(0, 2))
            ],
            "casualties": {
                "killed": killed,
                "injured": injured,
                "civilians_killed": civ_killed,
                "civilians_injured": civ_injured,
            },
            "casualty_claims": [
                {"source": srcs[0]["url"], "claimant": "Monitor", "figures": {"killed": killed}}
            ]
            if killed is not None and rng.random() < 0.3
            else [],
            "operation": rng.choice([None, None, "operation-synthetic"]),
            "related": related,
            "distinct_from": [],
            "aliases": [f"acled:SYN{i}"] if rng.random() < 0.2 else [],
            "summary": "Synthetic event: " + _text(rng, 8, 40) + ".",
            "sources": srcs,
            "tags": rng.sample(["synthetic", "benchmark", "border"], rng.randint(0, 2)),
            "contributors": ["synthetic"],
        }
        if at_sea or named is not None or rng.random() < 0.5:  # a 1.1 record
            event["schema_version"] = "1.1.0"
            event["water_body"] = event["place"] = None
        if at_sea:
            water, sea_lat, sea_lon = sea[slot % len(sea)]
            event.update(
                country=None,
                water_body=water,
                admin1=None,
                admin2=None,
                location=rng.choice([None, "about 60 nautical miles west of Hodeidah", "off the coast"]),
                latitude=sea_lat if located else None,
                longitude=sea_lon if located else None,
                geo_precision=rng.choice(["exact", "near", "offset", "water_body"])
                if located
                else "water_body",
                timezone=rng.choice([None, "Asia/Aden"]),
            )
            event["targets"] = [
                {
                    "actor": None,
                    "target_type": "vessel",
                    "description": rng.choice([None, "merchant ship"]),
                    "vessel": vessel(slot_of_day),
                }
            ]
        if named is not None:
            event.update({k: named[k] for k in PLACE_KEYS}, place=named["slug"], location=named["name"])
            if named["country"] is None:
                event["timezone"] = None
            elif event["timezone"] is not None:
                event["timezone"] = COUNTRIES[named["country"]]
            event["targets"] = (
                [t for t in event["targets"] if t.get("target_type") != "vessel"]
                if named["country"]
                else event["targets"]
            )
        if rng.random() < 0.05:  # some records leave optional keys out altogether
            for key in rng.sample(
                ["datetime_utc", "timezone", "platforms", "munitions", "tags", "operation"], 2
            ):
                del event[key]
        yield event


def write_dataset(root: Path, n: int, seed: int = 0, version: str = "0.1.0", *, spread: bool = False) -> Path:
    """Write a repository-shaped synthetic dataset under root; return root/dataset."""
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "schema").exists():
        shutil.copytree(repo_root() / "schema", root / "schema")
    dataset = root / "dataset"
    (dataset / "actors").mkdir(parents=True, exist_ok=True)
    for actor in actors():
        (dataset / "actors" / f"{actor['id']}.json").write_text(canonical(actor, "actor"), encoding="utf-8")
    (dataset / "places").mkdir(parents=True, exist_ok=True)
    for place in registry():
        (dataset / "places" / f"{place['slug']}.json").write_text(canonical(place, "place"), encoding="utf-8")
    made: set[Path] = set()
    for event in generate_events(n, seed, spread=spread):
        folder = dataset / "events" / event["date_start"][:4]
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        (folder / f"{event['id']}.json").write_text(canonical(event, "event"), encoding="utf-8")
    (dataset / "events").mkdir(parents=True, exist_ok=True)
    meta = {
        "name": "openstrikes-synthetic",
        "title": "OpenStrikes synthetic test data",
        "version": version,
        "description": "Synthetic events for tests and benchmarks; not real data.",
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "contributors": [{"title": "OpenStrikes test suite", "roles": ["creator"]}],
        "sources": [{"title": "Generated by benchmarks/synthetic.py"}],
    }
    (dataset / "datapackage.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return dataset


def warm_page_cache(root: Path) -> float:
    """Read every file under root once, untimed by the callers, so that each measured job starts
    from the same warm page cache (else whichever job runs first pays for the disk); seconds taken."""
    start = time.perf_counter()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as fh:
                while fh.read(1 << 20):
                    pass
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("root", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    dataset = write_dataset(args.root, args.n, args.seed)
    print(f"wrote {args.n} events under {dataset}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
