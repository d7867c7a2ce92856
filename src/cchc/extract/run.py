"""One entry point for every source: ``cchc extract <source>``. The nightly DAG runs one
task per source, so a slow or failing source does not hide the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..settings import Settings

FILE_SOURCES = ("treasury", "sipas", "par", "papi")


@dataclass
class ExtractResults:
    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def report_lines(self) -> list[str]:
        return self.lines


def extract(settings: Settings, source: str, warehouse: Path | None = None) -> ExtractResults:
    warehouse = warehouse or settings.warehouse_path
    results = ExtractResults()
    if source in ("oss", "all"):
        from .oss import extract_oss

        summary = extract_oss(warehouse, settings.dlt_dir)
        results.lines.append(f"oss: {summary.report()} (rows received, merged on id and update time)")
    files = FILE_SOURCES if source in ("files", "all") else ((source,) if source in FILE_SOURCES else ())
    if files:
        from .files import load_file_drops

        for name, summary in load_file_drops(warehouse, settings.drop_dir, list(files)).items():
            held = f"; {summary.files_held} held (not applied: `cchc files confirm`)" if summary.files_held else ""
            results.lines.append(
                f"{name}: {summary.files_loaded} files loaded, {summary.files_skipped} unchanged, "
                f"{summary.files_rejected} rejected; {summary.rows_loaded:,} rows loaded, "
                f"{summary.rows_quarantined:,} quarantined{held}")
            results.lines.extend(f"  {message}" for message in summary.messages)
            results.ok = results.ok and summary.files_rejected == 0 and summary.files_held == 0
    return results
