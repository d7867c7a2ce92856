"""Run the suites of expectations/ with Great Expectations 1.x on small DataFrames read
through DuckDB from the build warehouse, keep every result in
`quality.validation_results`, rebuild Data Docs (self-contained, local time: data_docs.py), and say whether publishing may go on.

Why DataFrames: GX over SQLAlchemy on DuckDB fails upstream (IndexError in
resolve_metric_bundle, great-expectations issue #11579), and the datasets (dbt views
`quality.qa_<dataset>`) aggregate per unit × day / year in DuckDB, so no dossier row is
ever loaded into Python. The views compute as of the DuckDB variable `cchc_as_of` (dbt
macro as_of_date), which this module sets to the validation day.
"""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from ..settings import TIME_ZONE, Settings
from .data_docs import publish, site_config
from .report import CheckFailure, ValidationReport
from .results import ResultRow, write_results
from .suites import DatasetSpec, ExpectationSpec, SuiteSpec, load_config, load_suites

log = logging.getLogger(__name__)


def _quiet_gx() -> None:
    """GX logs its own set-up at INFO (200+ "Skipping registering function …" lines a run, and
    some of its modules set INFO on their own loggers), which buried the validation summary
    in the task log. Its warnings and errors still come through."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        # children left unset inherit WARNING; those set lower are raised
        if name.startswith("great_expectations.") and logging.NOTSET < logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


_quiet_gx()  # before GX is imported: its import-time chatter

MAX_UNITS_IN_MESSAGE = 15


@dataclass
class _Dataset:
    suite: SuiteSpec
    spec: DatasetSpec
    frame: pd.DataFrame | None
    error: str | None = None


def run_validations(settings: Settings, warehouse: Path | None = None, run_id: str = "manual",
                    as_of: date | None = None, *, suites: tuple[str, ...] | None = None,
                    expectations_dir: Path | None = None) -> ValidationReport:
    """Validate the build warehouse as of `as_of` (default: today, local time). Must run
    as the warehouse's only writer (after `dbt build`, before publishing)."""
    warehouse = Path(warehouse or settings.warehouse_path)
    expectations_dir = expectations_dir or settings.project_root / "expectations"
    now = datetime.now(ZoneInfo(TIME_ZONE)).replace(tzinfo=None, microsecond=0)
    as_of = as_of or now.date()
    config = load_config(expectations_dir)
    specs = load_suites(expectations_dir, suites)

    con = duckdb.connect(str(warehouse))
    try:
        con.execute("SET VARIABLE cchc_as_of = ?", [as_of])
        datasets = [_read(con, suite, spec) for suite in specs for spec in suite.datasets]
        docs_dir = settings.quality_dir / "data_docs"
        rows, failures = _validate(datasets, config, run_id, now, docs_dir)
        written = write_results(con, rows, run_id=run_id, validated_at=now, as_of=as_of)
    finally:
        con.close()
    report = ValidationReport(run_id=run_id, failures=failures, results_written=written,
                              data_docs_path=str(docs_dir / "index.html"))
    log.info("validation %s: %d critical, %d warnings", run_id, len(report.critical_failures), len(report.warnings))
    return report


def _read(con: duckdb.DuckDBPyConnection, suite: SuiteSpec, spec: DatasetSpec) -> _Dataset:
    try:
        return _Dataset(suite, spec, con.execute(f"SELECT * FROM {spec.relation}").df())
    except duckdb.CatalogException as error:
        # e.g. dbt has not built the dataset's model: reported, never skipped silently.
        return _Dataset(suite, spec, None, f"{error}".splitlines()[0])


def _gx_context(build_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _quiet_gx()  # after: the loggers its modules configured on import
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    context.add_data_docs_site(site_name="cchc", site_config=site_config(build_dir))
    return context


def _validate(datasets: list[_Dataset], config: dict, run_id: str, now: datetime,
              docs_dir: Path) -> tuple[list[ResultRow], list[CheckFailure]]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    # GX reads a naive run_time as the machine's zone: give it the zone of `now`.
    run_time = now.replace(tzinfo=ZoneInfo(TIME_ZONE))
    build_dir = docs_dir.with_name(docs_dir.name + ".build")
    context = _gx_context(build_dir)
    source = context.data_sources.add_pandas("cchc_warehouse")
    parameters = {k: v for k, v in config.items() if isinstance(v, (int, float, str))}
    rows: list[ResultRow] = []
    failures: list[CheckFailure] = []
    for dataset in datasets:
        specs = {e.name: e for e in dataset.spec.expectations}
        if dataset.frame is None:
            for spec in specs.values():
                message = f"{spec.title_vi}: không đọc được dữ liệu kiểm tra ({dataset.error})"
                rows.append(ResultRow(spec, False, None, None, dataset.error, message, 0, 0))
                failures.append(CheckFailure(spec.suite, spec.name, spec.severity, [], message))
            continue
        name = f"{dataset.suite.name}.{dataset.spec.name}"
        batch = source.add_dataframe_asset(dataset.spec.name).add_batch_definition_whole_dataframe(name)
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=[
            ExpectationConfiguration(type=s.type, kwargs=s.kwargs, meta={**s.meta, "name": s.name}).to_domain_obj()
            for s in specs.values()]))
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
        result = definition.run(batch_parameters={"dataframe": dataset.frame}, expectation_parameters=parameters,
                                result_format={"result_format": "COMPLETE"},
                                run_id=RunIdentifier(run_name=run_id, run_time=run_time))
        for outcome in result.results:
            spec = specs[outcome.expectation_config.meta["name"]]
            new_rows, failure = _outcome(spec, dataset, outcome)
            rows.extend(new_rows)
            if failure:
                failures.append(failure)
    context.build_data_docs()
    publish(build_dir, docs_dir, run_time)
    return rows, failures


def _outcome(spec: ExpectationSpec, dataset: _Dataset, outcome) -> tuple[list[ResultRow], CheckFailure | None]:
    frame = dataset.frame
    checked = int(outcome.result.get("element_count", len(frame)) or 0)
    if outcome.exception_info and outcome.exception_info.get("raised_exception"):
        message = f"{spec.title_vi}: lỗi khi kiểm tra ({outcome.exception_info.get('exception_message')})"
        return ([ResultRow(spec, False, None, None, None, message, checked, 0)],
                CheckFailure(spec.suite, spec.name, spec.severity, [], message))
    bad = [frame.loc[i] for i in outcome.result.get("unexpected_index_list") or []]
    unit_column = "unit_key" if "unit_key" in dataset.spec.unit_columns else dataset.spec.unit_columns[0]
    details = []
    rows = [ResultRow(spec, bool(outcome.success), None, None,
                      f"{len(bad)}/{checked} dòng không đạt", spec.title_vi if outcome.success else None,
                      checked, len(bad))]
    for row in bad:
        values = {k: _display(v) for k, v in row.items()}
        observed = spec.meta.get("observed", "").format(**values) if spec.meta.get("observed") else ""
        unit_key, unit_name = values.get(unit_column) or None, values.get("unit_name") or None
        label = unit_name or unit_key or "?"
        details.append((unit_key, f"{label}{f' ({unit_key})' if unit_name and unit_key else ''}: {observed}"))
        rows.append(ResultRow(spec, False, unit_key, unit_name, observed, f"{spec.title_vi}: {details[-1][1]}", 1, 1))
    if outcome.success:
        return rows, None
    units = list(dict.fromkeys(k for k, _ in details if k))
    shown = [text for _, text in details[:MAX_UNITS_IN_MESSAGE]]
    more = f"; và {len(details) - len(shown)} trường hợp khác" if len(details) > len(shown) else ""
    message = f"{spec.title_vi}: " + "; ".join(shown) + more
    return rows, CheckFailure(spec.suite, spec.name, spec.severity, units, message)


def _display(value) -> str:
    """Values as people read them: dates dd/mm/yyyy, numbers without trailing zeros."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
