"""Coverage tables by theatre and body of water."""

from __future__ import annotations

from typing import Any

from openstrikes.package.stats import coverage_markdown, theatre


def _event(i: int, country: str | None, water_body: str | None, withdrawn: bool = False) -> dict[str, Any]:
    return {
        "id": f"OS-2024-2222-22{i:02d}",
        "date_start": "2024-01-12",
        "country": country,
        "water_body": water_body,
        "strike_type": "missile",
        "attackers": [],
        "withdrawn": {"at": "2024-02-01T00:00:00Z", "reason": "erroneous"} if withdrawn else None,
    }


def test_theatre_comes_from_the_country_or_the_body_of_water() -> None:
    assert theatre(_event(1, "IQ", None)) == "Iraq and Syria"
    assert theatre(_event(2, "SY", None)) == "Iraq and Syria"
    assert theatre(_event(3, "YE", None)) == "Red Sea and Yemen"
    assert theatre(_event(4, None, "persian_gulf")) == "Red Sea and Yemen"
    assert theatre(_event(5, "JO", None)) == "Other"


def test_the_tables_count_theatres_with_withdrawn_events_and_bodies_of_water() -> None:
    events = [
        _event(1, "IQ", None),
        _event(2, "SY", None, withdrawn=True),
        _event(3, "YE", None),
        _event(4, None, "red_sea"),
        _event(5, None, "red_sea"),
        _event(6, None, "gulf_of_aden", withdrawn=True),
        _event(7, "JO", None),
    ]
    text = coverage_markdown(events, {})
    assert "| Iraq and Syria | 1 | 1 |" in text
    assert "| Red Sea and Yemen | 3 | 1 |" in text
    assert "| Other | 1 | 0 |" in text
    section = text.split("### By body of water (events at sea)", 1)[1].split("###", 1)[0]
    assert "| Red Sea | 2 |" in section
    assert "Gulf of Aden" not in section  # withdrawn events are not coverage
