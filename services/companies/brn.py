"""사업자등록번호 (business registration number): 10 digits whose last one is a checksum."""

from __future__ import annotations

import re

from services.kit.messages import Msg

_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
# What ``problem`` reads as 10 digits (spaces and dashes anywhere); the check digit is verified after.
BRN_PATTERN = r"^[\s-]*(\d[\s-]*){10}$"


def check_digit(first9: str) -> int:
    digits = [int(c) for c in first9]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True)) + (digits[8] * 5) // 10
    return (10 - total % 10) % 10


def problem(number: str) -> tuple[str, Msg | None]:
    """``(digits, reason)``: the number without separators, and why it is invalid (None when valid)."""
    digits = re.sub(r"[\s-]", "", number)
    if not re.fullmatch(r"\d{10}", digits):
        return digits, Msg("must be 10 digits (e.g. 123-45-67890)")
    if check_digit(digits[:9]) != int(digits[9]):
        return digits, Msg("check digit does not match")
    return digits, None
