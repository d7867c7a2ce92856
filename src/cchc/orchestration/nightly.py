"""The nightly pipeline's steps, as plain functions (the DAG's tasks call them; the tests
call them directly): extract one source, dbt build, validate, publish, and the run report
that decides on the one alert of a run. The extraction's reconciliation with the source's
daily counts is the validation's `reconciliation` suite (dbt model
qa_unit_day_reconciliation): one definition, checked after dbt build.

Every step that writes the build warehouse (or reads it: DuckDB allows one writer *or*
many readers, never both) runs in the Airflow pool ``WRITER_POOL`` of one slot, so the
steps of one run, and of a backfill's runs, take turns on the file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ..settings import TIME_ZONE, Settings

log = logging.getLogger(__name__)

DAG_ID = "cchc_nightly"
SOURCES = ("oss", "treasury", "sipas", "par", "papi")
WRITER_POOL = "cchc_warehouse_writer"

# Task ids, in pipeline order, with the Vietnamese name the alerts use.
STEP_NAMES_VI = {
    **{f"extract_{s}": f"Trích xuất nguồn {s}" for s in SOURCES},
    "dbt_build": "Biến đổi dữ liệu (dbt build)",
    "validate": "Kiểm tra chất lượng dữ liệu",
    "publish": "Công bố kho phục vụ",
    "dbt_docs": "Tạo từ điển dữ liệu (dbt docs)",
}
# Steps after publication: the night's snapshot is already served, so their failure is a
# warning of the run, not a failed run (the previous page stays until the next night).
AFTER_PUBLISH = ("dbt_docs",)
FAILED_STATES = ("failed", "upstream_failed")


class CriticalValidationError(RuntimeError):
    """A critical expectation failed: the run must not publish. ``lines``: the log's
    summary, one line per suite."""

    def __init__(self, text: str, lines: list[str]):
        super().__init__(text)
        self.lines = lines


def run_day(moment: datetime) -> date:
    """The day a run is for: its logical date in the province's time zone (a run at
    01:00 on the 16th extracts what the source shows on the 16th)."""
    return moment.astimezone(ZoneInfo(TIME_ZONE)).date()


@dataclass
class StepResult:
    """What a step tells the run report: lines for its log, a few words for the run's
    one-line summary, warnings for the alert."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    summary: str = ""

    def as_dict(self) -> dict:
        return {"lines": self.lines, "warnings": self.warnings, "units": self.units, "summary": self.summary}


def extract_source(settings: Settings, source: str, today: date) -> StepResult:
    """Extract-load one source into the raw layer. A source that cannot be reached raises
    (the task retries, then fails the run); rejected files, held files (a new version
    that would remove loaded rows, not applied) and quarantined rows are warnings (the
    good rows load, the run publishes, the alert names the files)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    result = StepResult()
    if source == "oss":
        from ..extract.oss import extract_oss

        summary = extract_oss(settings.warehouse_path, settings.dlt_dir, today=today)
        result.lines.append("oss: " + summary.report("lần tải", "hoàn tất lần tải bị gián đoạn", "không có gì mới"))
        rows = sum(summary.rows.values()) + sum(sum(r.values()) for r in summary.resumed.values())
        result.summary = f"oss {rows:,} dòng"
        return result
    from ..extract.files import load_file_drops

    summary = load_file_drops(settings.warehouse_path, settings.drop_dir, [source])[source]
    held = f", {summary.files_held} tệp bị giữ lại" if summary.files_held else ""
    result.lines.append(f"{source}: {summary.files_loaded} tệp tải mới, {summary.files_skipped} không đổi, "
                        f"{summary.files_rejected} bị từ chối{held}; {summary.rows_loaded:,} dòng, "
                        f"{summary.rows_quarantined:,} dòng cách ly")
    result.summary = f"{source} {summary.rows_loaded:,} dòng"
    if summary.files_rejected or summary.rows_quarantined or summary.files_held:
        held = (f", {summary.files_held} tệp bị giữ lại chưa áp dụng (bản mới sẽ xóa dòng đã nạp: kiểm tra với "
                "nơi gửi rồi chạy `cchc files confirm <tệp>`)") if summary.files_held else ""
        result.warnings.append(
            f"Nguồn {source}: {summary.files_rejected} tệp bị từ chối{held}, {summary.rows_quarantined:,} dòng bị "
            "cách ly (xem raw_meta.file_registry và raw_meta.quarantine)"
            + "".join(f"\n  - {m}" for m in summary.messages[:10]))
    return result


def build(settings: Settings) -> StepResult:
    """`dbt build` of what changed since the last successful build (see
    cchc.transform.dbt_build_changed); everything on the first night."""
    from ..transform import dbt_build_changed

    line = dbt_build_changed(settings).summary()
    return StepResult(lines=[line], summary=line)


def validate(settings: Settings, run_id: str, today: date) -> StepResult:
    """Great Expectations suites (cchc.quality). Critical failures raise
    CriticalValidationError (no publish); warnings go to the run's alert."""
    from ..quality import run_validations
    from ..quality.suites import load_suites

    report = run_validations(settings, run_id=run_id, as_of=today)
    suites = load_suites(settings.project_root / "expectations")
    lines = validation_lines(report.failures, suites)
    text = report.alert_text_vi()
    if not report.ok_to_publish:
        raise CriticalValidationError(text, lines)
    result = StepResult(lines=lines, summary=lines[0])
    if report.warnings:
        result.warnings.append(text)
        result.units = sorted({u for w in report.warnings for u in w.units})
    return result


def validation_lines(failures: list, suites: list) -> list[str]:
    """The validation's log: the checks passed in all, then one line per suite with its
    counts and its failing checks by title (no unit, no value: those go to the alert)."""
    severity_vi = {"critical": "nghiêm trọng", "warning": "cảnh báo"}
    failed = {(f.suite, f.expectation): f for f in failures}
    lines = []
    for suite in suites:
        specs = [e for d in suite.datasets for e in d.expectations]
        bad = [(spec, failed[suite.name, spec.name]) for spec in specs if (suite.name, spec.name) in failed]
        line = f"Bộ kiểm tra {suite.name} ({suite.title_vi}): {len(specs) - len(bad)}/{len(specs)} đạt"
        if bad:
            line += "; không đạt: " + "; ".join(
                f"{spec.title_vi} ({severity_vi.get(f.severity, f.severity)}"
                + (f", {len(f.units)} đơn vị)" if f.units else ")") for spec, f in bad)
        lines.append(line)
    total = sum(len(d.expectations) for s in suites for d in s.datasets)
    return [f"Kiểm tra chất lượng: {total - len(failed)}/{total} kiểm tra đạt", *lines]


def publish(settings: Settings, run_id: str) -> StepResult:
    from ..publish import publish as publish_snapshot

    snapshot = publish_snapshot(settings.warehouse_path, settings.serving_dir, label=run_id)
    return StepResult(lines=[f"đã công bố {snapshot}"], summary=f"công bố {snapshot.name}")


def dbt_docs(settings: Settings) -> StepResult:
    """The data dictionary (the static dbt docs page the deployment's docs service serves)
    from the build warehouse the night just published: its catalogue has every layer. dbt
    opens that file read-write, so the step takes its turn in the writer pool; never the
    serving snapshot, which Superset holds open (a writer there would lock readers out)."""
    from ..dbt_docs import generate_docs

    page = generate_docs(settings, warehouse=settings.warehouse_path)
    return StepResult(lines=[f"đã tạo từ điển dữ liệu {page}"])


@dataclass
class RunReport:
    """The one alert of a run (None when there is nothing to say), whether it failed, and
    the one line the report task logs on a green run."""

    failed: bool
    subject: str | None
    body: str | None
    summary: str | None = None


def run_report(dag_id: str, run_id: str, run_day_: date, states: dict[str, str | None],
               errors: dict[str, str], warnings: dict[str, list[str]], units: list[str],
               summaries: dict[str, str] | None = None) -> RunReport:
    """Compose the run's single alert from the final states of its steps, the errors they
    recorded and the warnings of the steps that succeeded; on a green run, also the line
    summing it up from the steps' `summaries`."""
    late = {t: errors.get(t) or "" for t, s in states.items() if s == "failed" and t in AFTER_PUBLISH}
    if late:
        warnings = {**warnings, **{t: [f"lỗi sau khi công bố, bản công bố mới vẫn được dùng: {e}".strip()]
                                   for t, e in late.items()}}
    failed = [t for t, s in states.items() if s == "failed" and t not in AFTER_PUBLISH]
    not_run = [t for t, s in states.items() if s == "upstream_failed"]
    header = f"Lượt chạy {run_id} của {dag_id} (dữ liệu ngày {run_day_:%d/%m/%Y})"
    if failed or not_run:
        lines = [f"{header} THẤT BẠI. Kho phục vụ giữ nguyên bản công bố trước."]
        for task in failed:
            lines.append(f"- Bước lỗi: {STEP_NAMES_VI.get(task, task)} ({task})")
            if errors.get(task):
                lines.append("  " + errors[task].strip().replace("\n", "\n  "))
        if not_run:
            lines.append("- Không chạy do bước trước lỗi: " + ", ".join(STEP_NAMES_VI.get(t, t) for t in not_run))
        lines += _warning_lines(warnings, units)
        steps = ", ".join(STEP_NAMES_VI.get(t, t) for t in failed) or "không rõ"
        return RunReport(True, f"[CCHC] Lỗi pipeline hằng đêm ngày {run_day_:%d/%m/%Y}: {steps}", "\n".join(lines))
    count = sum(len(texts) for texts in warnings.values())
    summary = _run_summary(header, summaries or {}, count)
    if count:
        lines = [f"{header} hoàn tất và đã công bố, có cảnh báo:"] + _warning_lines(warnings, units)
        return RunReport(False, f"[CCHC] Cảnh báo dữ liệu ngày {run_day_:%d/%m/%Y}", "\n".join(lines), summary)
    return RunReport(False, None, None, summary)


def _run_summary(header: str, summaries: dict[str, str], warning_count: int) -> str:
    extracted = [summaries[f"extract_{s}"] for s in SOURCES if summaries.get(f"extract_{s}")]
    parts = [f"trích xuất {', '.join(extracted)}"] if extracted else []
    parts += [summaries[t] for t in ("dbt_build", "validate", "publish") if summaries.get(t)]
    warned = f", {warning_count} cảnh báo" if warning_count else ""
    return f"{header} thành công{warned}: " + "; ".join(parts)


def _warning_lines(warnings: dict[str, list[str]], units: list[str]) -> list[str]:
    lines = []
    for task, texts in warnings.items():
        for text in texts:
            lines.append(f"- {STEP_NAMES_VI.get(task, task)}: " + text.strip().replace("\n", "\n  "))
    if units:
        lines.append("- Đơn vị liên quan: " + ", ".join(units[:50]) + (" …" if len(units) > 50 else ""))
    return lines


def run_url(base_url: str, dag_id: str, run_id: str) -> str:
    from urllib.parse import quote

    return f"{base_url.rstrip('/')}/dags/{dag_id}/runs/{quote(run_id, safe='')}"
