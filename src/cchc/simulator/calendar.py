"""Working-day arithmetic for the simulator, vectorised over numpy arrays of day numbers
(days since 1970-01-01), from the committed reference calendar."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


@dataclass(frozen=True)
class WorkCalendar:
    first_day: int                 # day number of the first calendar row
    is_working: np.ndarray         # bool per day from first_day
    working_days: np.ndarray       # sorted day numbers of working days
    tet_days: np.ndarray           # day numbers of Tết holidays

    def working(self, days: np.ndarray) -> np.ndarray:
        return self.is_working[days - self.first_day]

    def add_working_days(self, days: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The working day n working days after each day (n = 0: the day itself, or the
        next working day when it is not one)."""
        start = np.searchsorted(self.working_days, days, side="left")
        return self.working_days[np.minimum(start + n, len(self.working_days) - 1)]


@lru_cache(maxsize=2)
def load_calendar(reference_dir: Path) -> WorkCalendar:
    with open(reference_dir / "calendar_days.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    days = np.array([day_number(date.fromisoformat(r["calendar_date"])) for r in rows])
    if not np.all(np.diff(days) == 1):
        raise ValueError(f"{reference_dir / 'calendar_days.csv'}: calendar has gaps")
    working = np.array([r["is_working_day"] == "true" for r in rows])
    tet = np.array([r["is_tet"] == "true" for r in rows])
    return WorkCalendar(int(days[0]), working, days[working], days[tet])
