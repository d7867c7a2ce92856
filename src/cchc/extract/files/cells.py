"""Cell values as provincial offices write them: Vietnamese numbers and dates, labels.

Numbers are ``decimal.Decimal`` from the text the file holds, never binary floating
point: a numeric cell read by openpyxl is a float whose ``repr`` is the shortest text that
reads back to it, which is the text Excel stored ('2.695'), so ``Decimal(repr(x))`` keeps
the value as written. A cell parser raises ``ValueError`` with a plain-words reason (the
row is quarantined); the reason quotes the value, so parsers are never run on personal
columns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalize_label(value: Any) -> str:
    """Labels compare on NFC text, case-folded, whitespace collapsed ('Tỷ lệ giải ngân\\n(%)'),
    without a stray byte-order mark."""
    return " ".join(nfc(str(value)).replace("\ufeff", "").split()).casefold() if value is not None else ""


def fold(value: Any) -> str:
    """A label without diacritics ('Cấp xã' -> 'cap xa'), to suggest what a mistyped name meant."""
    decomposed = unicodedata.normalize("NFD", normalize_label(value).replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def text(value: Any) -> str | None:
    """A cell as text: NFC, trimmed; empty -> None; whole floats lose their '.0'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = nfc(str(value)).strip()
    return result or None


_VI_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")   # 1.234.567 / 1.234,5
_VI_PLAIN = re.compile(r"^[+-]?\d+(,\d+)?$")                   # 1234 / 1234,5
_POINT_DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")                # 1234.56 (machine export)
_EN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _numeric_cell(value: Any) -> Decimal | None:
    """A numeric cell as a Decimal (None: not a numeric cell)."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        result = Decimal(repr(value))
        if not result.is_finite():
            raise ValueError(f"'{value}' is not a number")
        return result
    return None


def number(value: Any) -> Decimal | None:
    """A number in Vietnamese notation ('.' groups thousands, ',' marks decimals), or a
    numeric cell. A lone '.' followed by exactly three digits is a thousands separator
    (1.234 = 1234), as Vietnamese readers take it; other single dots are decimal points
    from machine exports (12.5)."""
    numeric = _numeric_cell(value)
    if numeric is not None:
        return numeric
    raw = text(value)
    if raw is None:
        return None
    compact = raw.replace("\u00a0", "").replace(" ", "")
    if _VI_GROUPED.match(compact) or _VI_PLAIN.match(compact):
        return Decimal(compact.replace(".", "").replace(",", "."))
    if _POINT_DECIMAL.match(compact):
        return Decimal(compact)
    raise ValueError(f"'{raw}' is not a number (Vietnamese notation: 1.234.567,89)")


def decimal_point_number(value: Any) -> float | None:
    """A number written with a decimal point (files produced by statistics software), for
    DOUBLE columns: the nearest double to the text, no other rounding."""
    numeric = _numeric_cell(value)
    if numeric is not None:
        return float(numeric)
    raw = text(value)
    if raw is None:
        return None
    if not _EN_NUMBER.match(raw):
        raise ValueError(f"'{raw}' is not a number")
    return float(raw)


def whole_number(value: Any, parse: Callable[[Any], Any] = number) -> int | None:
    result = parse(value)
    if result is None:
        return None
    if result != int(result):
        raise ValueError(f"'{text(value)}' is not a whole number")
    return int(result)


def english_whole_number(value: Any) -> int | None:
    return whole_number(value, decimal_point_number)


def to_scale(value: Decimal, precision: int, scale: int, round_half_up: bool, cell: Any) -> Decimal:
    """``value`` for a DECIMAL(precision, scale) column: rounded half-up to the scale when
    ``round_half_up`` (spreadsheet formulas leave binary noise), else a value with more
    decimals than the scale is a bad value; a value too large for the column is one too."""
    too_large = ValueError(f"'{text(cell)}' is too large for this column")
    if value.is_zero():
        return value.quantize(Decimal(1).scaleb(-scale))
    if value.adjusted() >= precision - scale:
        raise too_large
    try:
        result = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise too_large from None
    if result != value and not round_half_up:
        raise ValueError(f"'{text(cell)}' has more than {scale} decimals")
    if abs(result) >= Decimal(10) ** (precision - scale):
        raise too_large
    return result


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def day_month_year(value: Any) -> date | None:
    """A date cell, or text written dd/mm/yyyy (also with '-' or '.')."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if raw is None:
        return None
    match = _DMY.match(raw)
    if not match:
        raise ValueError(f"'{raw}' is not a date in dd/mm/yyyy form")
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{raw}' is not a calendar date (day {day}, month {month}, year {year})") from None


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
