"""The report's period: a year (2022), a quarter (2022-Q4) or a month (2022-12)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_PATTERNS = {
    "year": re.compile(r"(?P<year>\d{4})"),
    "quarter": re.compile(r"(?P<year>\d{4})-[Qq](?P<quarter>[1-4])"),
    "month": re.compile(r"(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])"),
}
_MONTHS = {"year": 12, "quarter": 3, "month": 1}


@dataclass(frozen=True)
class Period:
    period_type: str  # month | quarter | year: the report models' period_type
    start: date
    text: str

    @property
    def end(self) -> date:
        """Last day of the period."""
        months = self.start.month - 1 + _MONTHS[self.period_type]
        return date(self.start.year + months // 12, months % 12 + 1, 1) - timedelta(days=1)

    @property
    def label_vi(self) -> str:
        if self.period_type == "year":
            return f"năm {self.start.year}"
        if self.period_type == "quarter":
            return f"quý {('I', 'II', 'III', 'IV')[(self.start.month - 1) // 3]} năm {self.start.year}"
        return f"tháng {self.start.month:02d}/{self.start.year}"


def parse_period(value: str) -> Period:
    text = value.strip()
    for period_type, pattern in _PATTERNS.items():
        if match := pattern.fullmatch(text):
            parts = match.groupdict()
            month = int(parts.get("month") or 1) if period_type != "quarter" else 3 * int(parts["quarter"]) - 2
            return Period(period_type, date(int(parts["year"]), month, 1), text.upper())
    raise ValueError(f"--period {value!r}: expected a year (2022), a quarter (2022-Q4) or a month (2022-12)")
