"""Run the simulator: fill the one-stop-shop database, the file drop folders and the
manifest of injected faults under one output folder.

    <out>/oss/oss.sqlite      the one-stop-shop system's database
    <out>/drop/<source>/...   treasury, sipas, par, papi files
    <out>/manifest.json       parameters, counts and every injected fault
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..settings import private_dir
from ..sources.oss import store
from .calendar import load_calendar
from .config import SimulationConfig
from .dossiers import (
    DOSSIER_COLUMNS,
    FEEDBACK_COLUMNS,
    Batch,
    generate_unit_year,
    load_department_successors,
    load_procedures,
)
from .faults import apply_dossier_faults, silent_windows
from .files import generate_file_drops
from .units import latent_quality, load_units

log = logging.getLogger(__name__)

TIMESTAMP_COLUMNS = set(store.DOSSIER_TIMESTAMPS) | {"handled_at"}


@dataclass(frozen=True)
class SimulationResult:
    oss_db: Path
    drop_dir: Path
    manifest_path: Path
    dossiers: int
    feedback: int
    faults: int


def _column_values(name: str, values: np.ndarray) -> list:
    """Numpy columns as Python values for SQLite: timestamps as local ISO text, -1 as NULL."""
    if name in TIMESTAMP_COLUMNS:
        text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
        return [None if v < 0 else t for v, t in zip(values.tolist(), text.tolist())]
    if name == "fee_amount":
        return [None if v < 0 else v for v in values.tolist()]
    return values.tolist()


def _rows(batch: Batch, columns: tuple[str, ...]) -> list[tuple]:
    return list(zip(*(_column_values(c, batch.columns[c]) for c in columns)))


def _insert(con, table: str, columns: tuple[str, ...], batch: Batch) -> None:
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", _rows(batch, columns))


def progress_bar(total: int, description: str):
    """A progress bar on a terminal; periodic log lines otherwise (Airflow, CI)."""
    if sys.stderr.isatty():
        return tqdm(total=total, desc=description, unit="unit")
    return _LogProgress(total, description)


class _LogProgress:
    def __init__(self, total: int, description: str, every: float = 0.1):
        self.total, self.description, self.done, self.next_report = total, description, 0, every
        self.every = every

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.total and self.done / self.total >= self.next_report:
            log.info("%s: %d/%d (%.0f%%)", self.description, self.done, self.total, 100 * self.done / self.total)
            self.next_report += self.every

    def close(self) -> None:
        pass


def simulate(config: SimulationConfig, out_dir: Path, reference_dir: Path) -> SimulationResult:
    units = load_units(reference_dir, config.provinces, config.seed)
    years = range(min(config.start.year, 2020), config.end.year + 1)
    quality = latent_quality(units, config.seed, years)
    calendar = load_calendar(reference_dir)
    procedures = load_procedures(reference_dir)
    successors = load_department_successors(reference_dir)
    silent = silent_windows(units, config, calendar)

    private_dir(out_dir)  # the simulated systems hold (invented) personal data, as real ones do
    oss_db = out_dir / "oss" / "oss.sqlite"
    con = store.create(oss_db)
    faults: list[dict] = []
    n_dossiers = n_feedback = 0
    bar = progress_bar(len(units), "simulating one-stop-shop dossiers")
    try:
        with con:
            for unit in units:
                for year in range(config.start.year, config.end.year + 1):
                    generated = generate_unit_year(unit, year, quality[(unit.unit_key, year)], config,
                                                   calendar, procedures, successors)
                    if generated is None:
                        continue
                    dossiers, injected = apply_dossier_faults(generated[0], unit, year, config, silent)
                    faults.extend(injected)
                    _insert(con, "dossiers", DOSSIER_COLUMNS, dossiers)
                    _insert(con, "feedback", FEEDBACK_COLUMNS, generated[1])
                    n_dossiers += len(dossiers)
                    n_feedback += len(generated[1])
                bar.update(1)
            con.executemany("INSERT INTO simulation VALUES (?, ?)", sorted(_parameters(config).items()))
    finally:
        bar.close()
        con.close()

    drop_dir = out_dir / "drop"
    faults.extend(generate_file_drops(config, units, quality, drop_dir))
    manifest_path = out_dir / "manifest.json"
    manifest = {
        "parameters": _parameters(config),
        "counts": {"dossiers": n_dossiers, "feedback": n_feedback},
        "faults": faults,
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                             encoding="utf-8")
    log.info("simulated %d dossiers, %d feedback records, %d injected faults", n_dossiers, n_feedback, len(faults))
    return SimulationResult(oss_db, drop_dir, manifest_path, n_dossiers, n_feedback, len(faults))


def _parameters(config: SimulationConfig) -> dict[str, str]:
    values = dataclasses.asdict(config)
    values["faults"] = json.dumps(values["faults"], sort_keys=True)
    return {k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in values.items()}
