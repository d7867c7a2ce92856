"""File-drop source systems: what the treasury, the SIPAS survey team, the PAR appraisal
council and the PAPI team send to the province as files.

    <drop_dir>/treasury/KBNN_<province>_<yyyy>_<mm>.xlsx   monthly disbursement report
    <drop_dir>/sipas/SIPAS_<province>_<yyyy>.csv            survey export, one per year
    <drop_dir>/par/PAR_<province>_<yyyy>.xlsx               PAR INDEX appraisal workbook
    <drop_dir>/papi/agg_province_year.csv                   real PAPI scores, copied

Layouts are documented in docs/sources/file-layouts.md. Same configuration -> the same
bytes. Faults (config.faults) are injected here and each one is returned as a manifest
entry; existing files of the same name are overwritten, others are left alone.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from ..config import SimulationConfig
from ..units import SimUnit, rng_for

SURVEY_CLOSES = (11, 1)  # month, day: the yearly SIPAS survey and PAR appraisal data are complete


@dataclass
class FileDropContext:
    """What every file generator needs: the configuration, the units, their latent
    quality and a few reference relations read once."""

    config: SimulationConfig
    units: tuple[SimUnit, ...]
    quality: dict[tuple[str, int], float]
    drop_dir: Path
    reference_dir: Path
    province_names: dict[str, str] = field(default_factory=dict)     # '42' -> 'Hà Tĩnh'
    parent: dict[str, str] = field(default_factory=dict)             # legacy commune -> district
    default_successor: dict[str, str] = field(default_factory=dict)  # predecessor -> its default successor
    successors: dict[str, list[str]] = field(default_factory=dict)   # any unit -> its successors
    by_key: dict[str, SimUnit] = field(default_factory=dict)

    @property
    def sources_dir(self) -> Path:
        """seeds/sources/, next to seeds/reference/: the PAR methodology and the PAPI copy."""
        return self.reference_dir.parent / "sources"

    def quality_of(self, unit_key: str, year: int) -> float:
        try:
            return self.quality[(unit_key, year)]
        except KeyError:
            raise KeyError(f"no latent quality for unit {unit_key} in {year}: compute latent_quality() "
                           f"over every simulated year") from None

    def current_successor(self, unit_key: str) -> str:
        """The unit a predecessor's records end up with after every reorganisation (an
        earlier merger, then 2025): its default successors followed to the last."""
        while unit_key in self.default_successor:
            unit_key = self.default_successor[unit_key]
        return unit_key

    def rng(self, *parts: object) -> np.random.Generator:
        return rng_for(self.config.seed, "files", *parts)

    def scored_units(self, province: str, year: int) -> list[SimUnit]:
        """Units assessed for a year: those in existence at its end (2025: the 2025
        departments and communes; no districts)."""
        year_end = date(year, 12, 31)
        return [u for u in self.units if u.province_code == province and u.active_on(year_end)]


def survey_years(config: SimulationConfig) -> list[int]:
    """Years whose SIPAS survey and PAR appraisal are over by config.end."""
    return [y for y in range(config.start.year, config.end.year + 1)
            if y < config.end.year or config.end >= date(y, *SURVEY_CLOSES)]


def unit_label(unit: SimUnit) -> str:
    """How reports name a unit: departments by name, territorial units by their People's
    Committee ('UBND huyện Kỳ Anh', 'UBND phường Thành Sen')."""
    return unit.name if unit.peer_group == "department" else f"UBND {in_text(unit)}"


def in_text(unit: SimUnit) -> str:
    """A territorial unit's name inside a sentence: 'xã Kỳ Lợi', 'thị xã Kỳ Anh'."""
    return f"{unit.name[:1].lower()}{unit.name[1:]}"


def place_name(unit: SimUnit) -> str:
    """A unit's name without its type: 'Xã Thạch Hà' -> 'Thạch Hà'."""
    for prefix in ("Thị trấn ", "Thành phố ", "Thị xã ", "Đặc khu ", "Phường ", "Huyện ", "Quận ", "Xã "):
        if unit.name.startswith(prefix):
            return unit.name[len(prefix):]
    return unit.name


def fault_entry(fault: str, source: str, file: str | None = None, *, row: int | None = None,
                sheet: str | None = None, field: str | None = None, unit_key: str | None = None,
                detail: str) -> dict:
    """One manifest entry; ``row`` is 1-based in the file (CSV: the header is row 1)."""
    return {"fault": fault, "source": source, "file": file, "row": row, "sheet": sheet,
            "field": field, "unit_key": unit_key, "detail": detail}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build_context(config: SimulationConfig, units: tuple[SimUnit, ...], quality: dict, drop_dir: Path,
                  reference_dir: Path) -> FileDropContext:
    context = FileDropContext(config, tuple(units), quality, drop_dir, reference_dir)
    context.by_key = {u.unit_key: u for u in context.units}
    for row in read_csv(reference_dir / "admin_units.csv"):
        if row["level"] == "province" and row["province_code"] in config.provinces:
            context.province_names.setdefault(row["province_code"], row["short_name"])
        if row["parent_unit_key"] and row["province_code"] in config.provinces:
            context.parent[row["unit_key"]] = row["parent_unit_key"]
    for row in read_csv(reference_dir / "admin_unit_lineage.csv"):
        context.successors.setdefault(row["predecessor_unit_key"], []).append(row["successor_unit_key"])
        if row["is_default_successor"] == "true":
            context.default_successor[row["predecessor_unit_key"]] = row["successor_unit_key"]
    for row in read_csv(reference_dir / "department_lineage.csv"):
        context.successors.setdefault(row["predecessor_department_key"], []).append(
            row["successor_department_key"])
    for values in context.successors.values():
        values.sort()
    return context


def generate_file_drops(config: SimulationConfig, units, quality, drop_dir: Path,
                        reference_dir: Path | None = None) -> list[dict]:
    """Write treasury/, sipas/, par/ and papi/ under ``drop_dir``; return a manifest entry
    for every injected fault (see ``fault_entry``)."""
    from ...settings import load_settings
    from . import papi, par, sipas, treasury

    reference_dir = reference_dir or load_settings().reference_dir
    context = build_context(config, units, quality, Path(drop_dir), Path(reference_dir))
    manifest: list[dict] = []
    for module in (treasury, sipas, par, papi):
        manifest.extend(module.generate(context))
    return manifest


__all__ = ["FileDropContext", "build_context", "fault_entry", "generate_file_drops", "in_text", "place_name",
           "read_csv", "survey_years", "unit_label"]
