"""Faults injected into the one-stop-shop data, each on its own random stream so a faulty
run shares its base data with the clean one. Every injected fault becomes a manifest entry
that later tests check was caught."""

from __future__ import annotations

import numpy as np

from .calendar import WorkCalendar, day_number
from .config import SimulationConfig
from .dossiers import SECONDS_PER_DAY, Batch
from .units import SimUnit, rng_for


def silent_windows(units: tuple[SimUnit, ...], config: SimulationConfig,
                   calendar: WorkCalendar) -> dict[str, tuple[int, int]]:
    """Units that stop reporting: unit_key -> (first day, last day) of the silence, the
    last `silent_days` working days up to the simulation's end."""
    if not config.faults.silent_units:
        return {}
    candidates = [u for u in units if u.peer_group == "commune" and u.active_on(config.end)]
    rng = rng_for(config.seed, "fault", "silent")
    chosen = rng.choice(len(candidates), size=min(config.faults.silent_units, len(candidates)), replace=False)
    working = calendar.working_days[calendar.working_days <= day_number(config.end)]
    window = (int(working[-config.faults.silent_days]), int(working[-1]))
    return {candidates[i].unit_key: window for i in sorted(chosen)}


def apply_dossier_faults(batch: Batch, unit: SimUnit, year: int, config: SimulationConfig,
                         silent: dict[str, tuple[int, int]]) -> tuple[Batch, list[dict]]:
    faults = config.faults
    columns = batch.columns
    manifest: list[dict] = []
    n = len(batch)
    if not faults.any or n == 0:
        return batch, manifest

    if unit.unit_key in silent:
        first, last = silent[unit.unit_key]
        day = columns["received_at"] // SECONDS_PER_DAY
        quiet = (day >= first) & (day <= last)
        if quiet.any():
            manifest.append({"fault": "silent_unit", "source": "oss", "unit_key": unit.unit_key,
                             "first_day": str(np.datetime64(first, "D")), "last_day": str(np.datetime64(last, "D")),
                             "dossiers_withheld": int(quiet.sum()),
                             "detail": "the unit entered no dossiers on these working days"})
            columns = {k: v[~quiet] for k, v in columns.items()}
            n = len(columns["dossier_id"])

    rng = rng_for(config.seed, "fault", "dossiers", unit.unit_key, year)
    late = rng.random(n) < faults.late_arrival_rate
    delay = (2 + rng.integers(0, 5, n)) * SECONDS_PER_DAY
    columns["visible_from"] = np.where(late, columns["received_at"] + delay, columns["visible_from"])
    duplicate = rng.random(n) < faults.duplicate_rate
    columns["duplicate"] = np.where(duplicate, 1, columns["duplicate"])
    due = np.where(columns["due_at_after_supplement"] >= 0, columns["due_at_after_supplement"], columns["due_at"])
    # A share of all dossiers, taken from the late ones: reported on time, corrected later.
    finished_late = columns["finished_at"] > due
    late_share = finished_late.mean()
    p_correct = min(1.0, faults.status_correction_rate / late_share) if late_share else 0.0
    corrected = finished_late & (rng.random(n) < p_correct)
    correction_delay = (3 + rng.integers(0, 13, n)) * SECONDS_PER_DAY
    columns["reported_finished_at"] = np.where(corrected, due - 3_600, columns["reported_finished_at"])
    columns["corrected_at"] = np.where(corrected, columns["finished_at"] + correction_delay, columns["corrected_at"])

    ids = columns["dossier_id"]
    for i in np.flatnonzero(late):
        manifest.append({"fault": "late_arrival", "source": "oss", "unit_key": unit.unit_key,
                         "dossier_id": ids[i], "delay_days": int(delay[i] // SECONDS_PER_DAY),
                         "detail": "record reaches the system days after it was received, with a back-dated update time"})
    for i in np.flatnonzero(duplicate):
        manifest.append({"fault": "duplicate", "source": "oss", "unit_key": unit.unit_key, "dossier_id": ids[i],
                         "detail": "the API returns the record twice"})
    for i in np.flatnonzero(corrected):
        manifest.append({"fault": "status_correction", "source": "oss", "unit_key": unit.unit_key,
                         "dossier_id": ids[i], "detail": "first reported finished on time, corrected to late later"})
    return Batch(columns), manifest
