"""Simulation parameters. Presets: ``demo`` (fast, clean), ``full`` (full volume),
``faulty`` (demo volume with every fault injected at its default rate)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..settings import TIME_ZONE


def yesterday() -> date:
    return datetime.now(ZoneInfo(TIME_ZONE)).date() - timedelta(days=1)


@dataclass(frozen=True)
class FaultConfig:
    """Faults injected into the sources, each at a rate (share of records) or a count.
    All off by default; every injected fault is listed in the output's manifest."""

    duplicate_rate: float = 0.0          # records sent twice (API dossiers, file rows)
    late_arrival_rate: float = 0.0       # dossiers that reach the source system days after they were received
    status_correction_rate: float = 0.0  # finished dossiers whose result is corrected later
    silent_units: int = 0                # units that stop reporting for `silent_days` working days
    silent_days: int = 5
    malformed_row_rate: float = 0.0      # file rows with a bad date, unknown unit code or broken number
    missing_disbursement_months: int = 0  # projects with one monthly report row missing
    units_without_par: int = 0           # scored units left out of a year's PAR workbook
    units_with_few_sipas: int = 0        # units with fewer SIPAS responses than the minimum sample

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "silent_days")


DEFAULT_FAULTS = FaultConfig(
    duplicate_rate=0.01, late_arrival_rate=0.01, status_correction_rate=0.005, silent_units=1,
    silent_days=5, malformed_row_rate=0.02, missing_disbursement_months=1, units_without_par=1,
    units_with_few_sipas=1,
)


@dataclass(frozen=True)
class SimulationConfig:
    seed: int = 20250701
    provinces: tuple[str, ...] = ("42",)
    start: date = date(2022, 1, 1)
    end: date = field(default_factory=yesterday)
    # Share of the real dossier volume generated: 1.0 is a province's full volume.
    scale: float = 0.02
    faults: FaultConfig = FaultConfig()

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"simulation end {self.end} is before its start {self.start}")
        if not 0 < self.scale <= 10:
            raise ValueError(f"scale must be in (0, 10], got {self.scale}")


PRESETS = {
    "demo": {},
    "full": {"scale": 1.0},
    "faulty": {"faults": DEFAULT_FAULTS},
}


def preset(name: str, **overrides) -> SimulationConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset '{name}', expected one of {sorted(PRESETS)}")
    return SimulationConfig(**{**PRESETS[name], **{k: v for k, v in overrides.items() if v is not None}})
