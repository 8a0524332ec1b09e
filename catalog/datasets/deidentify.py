"""De-identification of a dataset: pseudonyms, time shift and the disclosure rule.

- A factory or equipment id becomes ``HMAC-SHA256(dataset secret, kind + id)``, cut to 16 hex digits: the same
  id has the same pseudonym in every version of one dataset (versions can be compared) and an unrelated one
  in another dataset (two datasets cannot be joined on it). The secret never leaves the datasets' database.
  An equipment's pseudonym includes its factory: ``eq-1`` of two factories are two equipment.
- The optional time shift moves every timestamp (readings and label windows) by the same whole days, so
  weekday and time-of-day patterns stay while the calendar dates do not.
- The disclosure rule is the platform's (``min_group_size``, ``catalog.peers.MAX_SHARE``) applied to the unit
  a dataset row is identified by, the equipment: at least ``min_group_size`` equipment, none contributing more
  than ``MAX_SHARE`` of the readings; otherwise one equipment's series could be told apart as "most of it".
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc

from catalog.peers import MAX_SHARE
from services.kit.errors import ValidationFailed, field_error
from services.kit.messages import Msg

PSEUDONYM_HEX = 16


def pseudonym(secret: bytes, kind: str, *parts: str) -> str:
    """``f-…`` for a factory, ``e-…`` for an equipment."""
    message = "\x1f".join((kind, *parts)).encode()
    return f"{kind[0]}-{hmac.new(secret, message, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]}"


def equipment_pseudonyms(secret: bytes, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Pseudonyms of (factory id, equipment id) pairs."""
    return {(f, e): pseudonym(secret, "equipment", f, e) for f, e in keys}


def shifted(values: pa.Array | pa.ChunkedArray, days: int) -> pa.Array | pa.ChunkedArray:
    return pc.add(values, pa.scalar(timedelta(days=days))) if days else values


def check_groups(counts: Mapping[str, int], min_group_size: int) -> None:
    """Refuse (422) a dataset whose readings come from too few equipment, or mostly from one."""
    total = sum(counts.values())
    if len(counts) < min_group_size:
        raise ValidationFailed(
            Msg(
                "the dataset holds readings of {count} equipment; the disclosure rule asks for at least "
                "{minimum}",
                count=len(counts),
                minimum=min_group_size,
            ),
            fields=[field_error("body.factory_ids", Msg("too few equipment with readings in the selection"))],
        )
    if total and max(counts.values()) > MAX_SHARE * total:
        raise ValidationFailed(
            Msg(
                "one equipment holds more than {share}% of the dataset's readings; the disclosure rule "
                "refuses it",
                share=int(MAX_SHARE * 100),
            ),
            fields=[field_error("body.equipment_ids", Msg("one equipment dominates the selection"))],
        )
