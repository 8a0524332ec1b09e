"""After-care runs calendar months from go-live (services.deployments.aftercare.period): a go-live on the 29th
to the 31st ends on the last day of a shorter month, never days early; the last day still takes tickets, the
day after does not. Every expected date is worked out by hand and written out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from services.deployments.aftercare import period
from services.deployments.aftercare import service as aftercare
from tests.services.deployments.conftest import URL, World, signed_today


@pytest.mark.parametrize(
    ("live", "months", "end"),
    [
        (date(2025, 1, 28), 6, date(2025, 7, 28)),
        (date(2025, 1, 29), 1, date(2025, 2, 28)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2025, 3, 31), 6, date(2025, 9, 30)),
        (date(2025, 7, 30), 6, date(2026, 1, 30)),
        (date(2025, 8, 29), 6, date(2026, 2, 28)),
        (date(2025, 8, 30), 6, date(2026, 2, 28)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 10, 31), 6, date(2026, 4, 30)),
        (date(2025, 5, 31), 12, date(2026, 5, 31)),
        (date(2024, 2, 29), 6, date(2024, 8, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2025, 12, 31), 6, date(2026, 6, 30)),
        (date(2025, 12, 15), 12, date(2026, 12, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
    ],
)
def test_the_period_ends_the_same_day_months_later_or_on_that_months_last_day(
    live: date, months: int, end: date
) -> None:
    assert period.months_after(live, months) == end


def _at(moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The after-care service's clock reads ``moment`` (the only thing the test changes of the platform)."""
    monkeypatch.setattr(aftercare, "utcnow", lambda: moment)


# Records of each after-care length: 12 months (a supplier not designated), 6 (a designated one, the
# simplified process), 24 (ADVANCED2).
TWELVE: dict[str, Any] = {}
SIX: dict[str, Any] = {"supplier": "org-vendor-9"}
TWENTY_FOUR: dict[str, Any] = {"programme_code": "ADVANCED2"}


@pytest.mark.parametrize(
    ("kind", "months", "live", "last_day"),
    [
        (TWELVE, 12, date(2025, 1, 31), date(2026, 1, 31)),
        (TWELVE, 12, date(2024, 2, 29), date(2025, 2, 28)),
        (SIX, 6, date(2025, 8, 31), date(2026, 2, 28)),
        (SIX, 6, date(2023, 8, 31), date(2024, 2, 29)),
        (SIX, 6, date(2025, 12, 31), date(2026, 6, 30)),
        (SIX, 6, date(2025, 3, 29), date(2025, 9, 29)),
        (TWENTY_FOUR, 24, date(2024, 2, 29), date(2026, 2, 28)),
        (TWENTY_FOUR, 24, date(2024, 10, 30), date(2026, 10, 30)),
    ],
)
def test_a_ticket_is_taken_on_the_last_day_and_refused_the_day_after(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    kind: dict[str, Any],
    months: int,
    live: date,
    last_day: date,
) -> None:
    created = world.create(**kind, contract=signed_today()) if kind is SIX else world.create(**kind)
    record = world.live_on(created, live)
    assert record["after_service_months"] == months
    assert record["after_service_end"] == last_day.isoformat()
    url = f"{URL}/{record['id']}/tickets"
    ticket = {"title": "설비 정지", "description": "2라인 PLC 통신 끊김", "severity": "major"}
    _at(datetime.combine(last_day, time(23, 59, 59), UTC), monkeypatch)
    taken = world.client.post(url, json=ticket, headers=world.sme)
    assert taken.status_code == 201, taken.text
    assert taken.json()["opened_at"].startswith(last_day.isoformat())
    _at(datetime.combine(last_day + timedelta(days=1), time(0, 0), UTC), monkeypatch)
    refused = world.client.post(url, json=ticket, headers=world.sme)
    assert refused.status_code == 409, refused.text
    assert last_day.isoformat() in refused.json()["detail"]
