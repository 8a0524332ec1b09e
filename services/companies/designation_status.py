"""Was a company a designated specialist company on a given day? Asked by the deployments service, whose
project process (standard 12 stages or simplified 8) and after-care duty follow from it at contract date.

A day is a Korean business day: what holds at its last moment in KST holds on that day, so a designation
decided during the day counts and one suspended or revoked during it does not. A designation stands at a
moment when ``valid_from <= t < min(valid_until, ended_at)`` and its last suspension event before ``t``
(``co_designation_events``) was lifted; a renewal or a revocation sets ``ended_at``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from services.companies.models import Company, Designation

KST = ZoneInfo("Asia/Seoul")
Standing = Literal["designated", "suspended", "revoked", "renewed", "expired"]


class DesignationStatus(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "company_id": "org-vendor-3",
                    "on": "2025-03-01",
                    "designated": True,
                    "designation_id": "5f0c2d4e9a7b4c1d8e6f3a2b1c0d9e8f",
                    "valid_from": "2024-12-01T00:00:00Z",
                    "valid_until": "2027-12-01T00:00:00Z",
                    "status": "designated",
                }
            ]
        }
    )

    company_id: str
    on: date
    designated: bool
    designation_id: str | None = Field(description="the latest designation started by that day, if any")
    valid_from: datetime | None
    valid_until: datetime | None
    status: Standing | Literal["none"] = Field(description="that designation's standing on the day")


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=KST)


def standing_at(row: Designation, when: datetime) -> Standing | None:
    """The designation's standing at ``when``; None for an application or before its period began."""
    if row.valid_from is None or when < row.valid_from:
        return None
    if row.ended_at is not None and when >= row.ended_at:
        return "revoked" if row.status == "revoked" else "renewed"
    if row.valid_until is not None and when >= row.valid_until:
        return "expired"
    standing: Standing = "designated"
    for event in row.events:
        if event.at > when:
            break
        if event.action == "suspended":
            standing = "suspended"
        elif event.action == "reinstated":
            standing = "designated"
    return standing


def in_force(company: Company, when: datetime) -> Designation | None:
    return next((d for d in company.designations if standing_at(d, when) == "designated"), None)


def in_force_on(company: Company, on: date) -> Designation | None:
    return in_force(company, end_of_day(on))


def status_on(company: Company, on: date) -> DesignationStatus:
    when = end_of_day(on)
    started = [d for d in company.designations if standing_at(d, when) is not None]
    latest = max(started, key=lambda d: d.valid_from or when, default=None)
    standing = standing_at(latest, when) if latest else None
    return DesignationStatus(
        company_id=company.id,
        on=on,
        designated=standing == "designated",
        designation_id=latest.id if latest else None,
        valid_from=latest.valid_from if latest else None,
        valid_until=latest.valid_until if latest else None,
        status=standing or "none",
    )
