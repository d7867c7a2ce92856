"""The units that receive dossiers and are scored, with a latent quality that drifts
slowly from year to year, so rankings mean something and change over time.

Read from the committed reference tables (seeds/reference/), so the simulator and the
warehouse agree on every code. Randomness is keyed by (seed, unit, purpose) with a stable
hash: a unit's numbers do not change when other units are added or generated in another
order.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

REFORM_DATE = date(2025, 7, 1)
DEPARTMENT_REFORM_DATE = date(2025, 3, 1)


def stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng([seed, stable_seed(*parts)])


@dataclass(frozen=True)
class SimUnit:
    unit_key: str       # scheme-qualified: 'legacy:18073', '2025:18073', 'dept_2025:SNV'
    code: str
    name: str
    peer_group: str     # department | district | commune
    province_code: str
    valid_from: date | None
    valid_to: date | None
    size: float         # relative dossier volume (1.0 = a typical unit of its peer group)
    predecessors: tuple[str, ...] = ()

    def active_on(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (self.valid_to is None or day <= self.valid_to)


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _read(reference_dir: Path, name: str) -> list[dict[str, str]]:
    with open(reference_dir / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# Volume weights by unit type: wards and towns receive more dossiers than rural communes.
TYPE_WEIGHT = {"Phường": 1.6, "Thị trấn": 1.4, "Xã": 1.0, "Đặc khu": 1.2,
               "Thành phố": 1.8, "Thị xã": 1.3, "Quận": 1.5, "Huyện": 1.0}


@lru_cache(maxsize=8)
def load_units(reference_dir: Path, provinces: tuple[str, ...], seed: int) -> tuple[SimUnit, ...]:
    """Every unit of the given provinces that receives dossiers: departments (both
    department schemes), legacy districts and communes, 2025 communes."""
    lineage: dict[str, list[str]] = {}
    for row in _read(reference_dir, "admin_unit_lineage"):
        lineage.setdefault(row["successor_unit_key"], []).append(row["predecessor_unit_key"])
    for row in _read(reference_dir, "department_lineage"):
        lineage.setdefault(row["successor_department_key"], []).append(row["predecessor_department_key"])

    successor_count: dict[str, int] = {}
    for successors_of in lineage.values():
        for predecessor in successors_of:
            successor_count[predecessor] = successor_count.get(predecessor, 0) + 1

    # A source sends a unit code, whoever held it: the earlier holders of a code still in
    # use ('legacy:<code>@<last day>', cchc.reference.unit_history) are simulated as the
    # code's present holder over their days too, and the warehouse tells them apart by date.
    territorial = [r for r in _read(reference_dir, "admin_units")
                   if r["province_code"] in provinces and r["level"] != "province"]
    first_day: dict[str, str] = {}
    for r in territorial:
        source_key = r["unit_key"].split("@")[0]
        first_day[source_key] = min(first_day.get(source_key, "9999"), r["valid_from"] or "")
    rows = [dict(r, valid_from=first_day[r["unit_key"]], peer_group=r["level"], key=r["unit_key"],
                 scheme_new=r["scheme"] == "2025", weight=TYPE_WEIGHT.get(r["unit_type"], 1.0), sigma=0.35)
            for r in territorial if "@" not in r["unit_key"]]
    rows += [dict(r, peer_group="department", key=r["department_key"], scheme_new=r["scheme"] == "dept_2025",
                  weight=1.0, sigma=0.8)
             for r in _read(reference_dir, "departments") if r["province_code"] in provinces]

    # Units of the old schemes get a random size; a unit born in a reorganisation inherits
    # its predecessors' volume (shared between successors), communes also the former
    # district-level work (about a quarter more).
    sizes = {r["key"]: float(r["weight"] * rng_for(seed, "size", r["key"]).lognormal(0, r["sigma"]))
             for r in rows if not r["scheme_new"]}
    units: list[SimUnit] = []
    for r in rows:
        predecessors = tuple(sorted(p for p in lineage.get(r["key"], ()) if p in sizes)) if r["scheme_new"] else ()
        if predecessors:
            inherited = sum(sizes[p] / successor_count[p] for p in predecessors)
            size = inherited * (1.25 if r["peer_group"] == "commune" else 1.0)
        else:
            size = sizes.get(r["key"]) or float(r["weight"] * rng_for(seed, "size", r["key"]).lognormal(0, r["sigma"]))
        units.append(SimUnit(
            unit_key=r["key"], code=r["code"], name=r["name"], peer_group=r["peer_group"],
            province_code=r["province_code"], valid_from=_date(r["valid_from"]), valid_to=_date(r["valid_to"]),
            size=size, predecessors=predecessors,
        ))
    return tuple(sorted(units, key=lambda u: u.unit_key))


def latent_quality(units: tuple[SimUnit, ...], seed: int, years: range) -> dict[tuple[str, int], float]:
    """Quality score per (unit, year), standard-normal scale: AR(1) drift from year to
    year; a unit born in a reorganisation starts from the mean of its predecessors."""
    by_key = {u.unit_key: u for u in units}
    quality: dict[tuple[str, int], float] = {}

    def base(unit: SimUnit, year: int) -> float:
        own = rng_for(seed, "quality", unit.unit_key).normal()
        known = [quality_of(p, year) for p in unit.predecessors if p in by_key]
        return float(np.mean(known) * 0.8 + own * 0.4) if known else float(own)

    def quality_of(key: str, year: int) -> float:
        if (key, year) in quality:
            return quality[(key, year)]
        unit = by_key[key]
        first = years.start if unit.valid_from is None else max(years.start, unit.valid_from.year)
        if year <= first:
            value = base(unit, year)
        else:
            shock = rng_for(seed, "drift", key, year).normal()
            value = 0.8 * quality_of(key, year - 1) + 0.6 * shock
        quality[(key, year)] = value
        return value

    for unit in units:
        for year in years:
            quality_of(unit.unit_key, year)
    return quality
