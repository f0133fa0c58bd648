"""What an event page shows, in words: casualty ranges, each source's claim, the related chain
both ways and the operation's other sites (the template only lays it out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openstrikes.schema_files import CASUALTY_FIELDS

# Fields the page shows in their own sections; every other field goes to "All fields".
SHOWN = {
    "id",
    "summary",
    "casualties",
    "casualty_claims",
    "sources",
    "related",
    "withdrawn",
    "attackers",
    "targets",
}
RELATION_BACK = {
    "retaliation_for": "retaliated against by",
    "response_to": "responded to by",
    "same_operation": "same operation as",
    "follow_up": "followed up by",
}


def words(name: str) -> str:
    return name.replace("_", " ")


def figure(r: Any) -> str:
    """A casualty range in words: unknown is unknown, never zero."""
    if not isinstance(r, dict):
        return "unknown"
    lo, hi, best = r.get("min"), r.get("max"), r.get("best")
    text = str(lo) if lo == hi else f"{lo}–{hi}"
    if best is not None and lo != hi:
        text += f" (best {best})"
    return text


def value(v: Any) -> str:
    """Any field's value as text (lists joined, nested records as key: value)."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return "; ".join(value(x) for x in v) if v else "—"
    if isinstance(v, dict):
        return ", ".join(f"{words(k)}: {value(x)}" for k, x in v.items() if x not in (None, [], {}))
    return str(v)


@dataclass
class Link:
    id: str
    date: str
    title: str
    relation: str


@dataclass
class ChainLink:
    """One event of the chain and how it was reached (the API's `links`): `depth` steps from the
    page's event, through `via`, by `relation`, `direction` names who names whom."""

    id: str
    date: str
    title: str
    depth: int
    via: str
    relation: str
    direction: str

    @property
    def sentence(self) -> tuple[str, str, str]:
        """(subject, relation in words, object): whose record names whom, e.g. (E2,
        retaliation for, E1) when E2's record says it retaliates for E1."""
        if self.direction == "names":
            return self.id, words(self.relation), self.via
        return self.via, words(self.relation), self.id


@dataclass
class EventView:
    title: str
    casualties: list[tuple[str, str]]
    claim_fields: list[str]
    claims: list[dict[str, Any]]
    attackers: list[tuple[str, str, str]]
    targets: list[dict[str, str]]
    outgoing: list[Link] = field(default_factory=list)
    incoming: list[Link] = field(default_factory=list)
    chain: list[ChainLink] = field(default_factory=list)
    sites: list[Link] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)


def place_of(e: dict[str, Any]) -> str:
    where = e.get("location") or e.get("admin1") or ""
    region = e.get("country") or (words(e["water_body"]) if e.get("water_body") else "")
    return ", ".join(x for x in (where, region) if x) or "unknown place"


def title_of(e: dict[str, Any]) -> str:
    return f"{words(e.get('strike_type') or 'strike')}, {place_of(e)}, {e.get('date_start')}"


def event_view(
    e: dict[str, Any],
    chain: list[dict[str, Any]],
    sites: list[dict[str, Any]],
    actors: dict[str, Any],
    links: list[dict[str, Any]] | None = None,
) -> EventView:
    """`chain`: the events linked to `e` either way, transitively, by date; `links[i]`: how
    `chain[i]` was reached (Store.related_links)."""

    def actor(aid: str | None) -> str:
        if not aid:
            return "—"
        a = actors.get(aid)
        return f"{a.get('name') or aid} ({aid})" if a else aid

    cas = e.get("casualties") or {}
    claims = e.get("casualty_claims") or []
    claim_fields = [f for f in CASUALTY_FIELDS if any(f in (c.get("figures") or {}) for c in claims)]
    by_id = {x["id"]: x for x in chain}
    view = EventView(
        title=title_of(e),
        casualties=[(words(f), figure(cas.get(f))) for f in CASUALTY_FIELDS],
        claim_fields=claim_fields,
        claims=[
            {
                "claimant": c.get("claimant") or "—",
                "source": c.get("source"),
                "figures": [figure((c.get("figures") or {}).get(f)) for f in claim_fields],
            }
            for c in claims
        ],
        attackers=[
            (actor(a.get("actor")), a.get("attribution") or "—", a.get("actor") or "")
            for a in e.get("attackers") or []
        ],
        targets=[
            {
                "actor": actor(t.get("actor")),
                "type": words(t.get("target_type") or "—"),
                "description": t.get("description") or "",
                "vessel": value(t.get("vessel")) if t.get("vessel") else "",
            }
            for t in e.get("targets") or []
        ],
    )
    for r in e.get("related") or []:
        other = by_id.get(r["id"])
        view.outgoing.append(
            Link(
                r["id"],
                other["date_start"] if other else "",
                title_of(other) if other else "",
                words(r["relation"]),
            )
        )
    for other in chain:
        for r in other.get("related") or []:
            if r["id"] == e["id"]:
                view.incoming.append(
                    Link(
                        other["id"],
                        other["date_start"],
                        title_of(other),
                        RELATION_BACK.get(r["relation"], words(r["relation"])),
                    )
                )
    view.chain = [
        ChainLink(
            x["id"], x["date_start"], title_of(x), int(k["distance"]), k["via"], k["relation"], k["direction"]
        )
        for x, k in zip(chain, links or [], strict=True)
    ]
    view.sites = [Link(x["id"], x["date_start"], title_of(x), "") for x in sites]
    view.fields = [(words(k), value(v)) for k, v in e.items() if k not in SHOWN]
    return view
