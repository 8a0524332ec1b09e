"""The after-care obligation period: from go-live (the end of the completion inspection) for the record's
``after_service_months``, calendar months as the contract counts them.

The period ends on the same day of the month ``after_service_months`` later, or on that month's last day when
it has no such day (go-live 31 August + 6 months: 28 February, or 29 in a leap year); the end day still
belongs to the period. Never a fixed number of days per month, and never a day cut to the 28th of every
month (a go-live on the 29th to 31st would lose one to three days of after-care).
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from services.deployments.models import DeploymentRecord


def months_after(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, on the last day of the month when it is shorter."""
    return day + relativedelta(months=months)


def go_live(record: DeploymentRecord) -> date | None:
    """End of the completion inspection: after-care runs from there."""
    for stage in record.stages:
        if stage["code"] == "INSPECT" and stage.get("actual_end"):
            return date.fromisoformat(stage["actual_end"])
    return None


def after_service_end(record: DeploymentRecord) -> date | None:
    """The last day on which the SME may open an after-care ticket."""
    live = go_live(record)
    return months_after(live, record.after_service_months) if live else None
