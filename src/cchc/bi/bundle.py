"""The dashboards as code: datasets, charts and dashboards described once here and written
in Superset's import format (``metadata.yaml``, ``databases/``, ``datasets/``, ``charts/``,
``dashboards/``), which ``superset/bundle/`` keeps under version control.

Why a generator rather than hand-written YAML: a chart's ``params`` and ``query_context``
repeat the same columns and metrics, and the dashboards' layout and filters refer to
charts and datasets by UUID; writing them from one description keeps them consistent.
UUIDs are derived from names (uuid5), so a re-import overwrites the same objects instead of
adding copies.

The datasets are physical: one per dbt reporting model (``schema: reporting``, table
``rpt_…``), with the columns, Vietnamese labels and metrics that model's YAML declares
(``cchc.bi.semantic`` reads them from dbt's manifest). This module holds no SQL and no
business formula: charts name columns and metrics, and filter with Superset's simple
filters. Conventions every dataset follows so the dashboard filters apply across charts:
columns ``year``, ``month``, ``peer_group`` (Vietnamese label), ``unit_name`` and
``unit_key`` (the column row-level security filters on); fractions in ``*_share`` columns
are shown with ``.2%`` (two decimals).

Only the standard library and PyYAML are imported at module level: the Superset environment
imports it (``read_bundle``, ``bundle_datasets``) without dbt.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import yaml

from .lockdown import DUCKDB_LOCK

if TYPE_CHECKING:  # the Superset environment imports this module without dbt's manifest
    from .semantic import DatasetModel

NAMESPACE = uuid.UUID("6f1c2f0e-8a4b-4c5e-9d3a-42c0c0a1b001")
VERSION = "1.0.0"
DATABASE_NAME = "Kho dữ liệu CCHC (chỉ đọc)"
# Written into the committed bundle; the start-up replaces it with settings.serving_path.
SERVING_PLACEHOLDER = "data/serving/cchc.duckdb"
DATE_FORMAT = "%d/%m/%Y"
PCT = ".2%"


def stable_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def database_uri(serving_path: Path | str) -> str:
    # duckdb-engine passes the query to duckdb.connect's config: read-only, no file access
    # beyond the snapshot, configuration locked (see cchc.bi.lockdown). Superset's metadata
    # shows the lock; the connection mutator enforces it whatever the metadata says.
    return f"duckdb:///{serving_path}?{urlencode(DUCKDB_LOCK)}"


def bundle_datasets(contents: dict[str, str]) -> list[dict]:
    """The datasets of a bundle (relative path -> YAML, as `read_bundle` returns): table name
    and whether row-level security applies (it has a unit_key column). For the Superset
    environment, which has no dbt manifest."""
    datasets = [yaml.safe_load(text) for rel, text in sorted(contents.items()) if rel.startswith("datasets/")]
    return [{"name": d["table_name"], "unit_scoped": any(c["column_name"] == "unit_key" for c in d["columns"])}
            for d in datasets]


def bundle_dashboards(contents: dict[str, str]) -> dict[str, set[str]]:
    """Each dashboard of a bundle (by UUID) -> the datasets it reads: its charts' and its
    native filters'. A role may open a dashboard only if it can read all of them."""
    loaded = {rel: yaml.safe_load(text) for rel, text in contents.items()}
    names = {d["uuid"]: d["table_name"] for rel, d in loaded.items() if rel.startswith("datasets/")}
    chart_datasets = {c["uuid"]: names[c["dataset_uuid"]] for rel, c in loaded.items() if rel.startswith("charts/")}
    read: dict[str, set[str]] = {}
    for rel, dash in loaded.items():
        if rel.startswith("dashboards/"):
            charts = {chart_datasets[item["meta"]["uuid"]] for item in dash["position"].values()
                      if isinstance(item, dict) and item.get("type") == "CHART"}
            filters = {names[target["datasetUuid"]] for f in dash["metadata"]["native_filter_configuration"]
                       for target in f["targets"]}
            read[dash["uuid"]] = charts | filters
    return read


# --- charts ----------------------------------------------------------------------------

@dataclass
class Chart:
    key: str
    title: str
    dataset: str
    viz: str  # table, table_agg, big_number_total, line, bar, mixed, pie, deck_scatter, country_map, handlebars
    columns: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    filters: list[tuple] = field(default_factory=list)  # (column, operator, value): Superset's simple filters
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (column or metric, ascending)
    row_limit: int = 1000
    extra: dict = field(default_factory=dict)  # viz-specific form data
    width: int = 6
    height: int = 50
    # Which period filters apply (see chart_grain); None: derived from the chart and its dataset.
    grain: str | None = None

    @property
    def uuid(self) -> str:
        return stable_uuid("chart", self.key)


RANK_COLOURS = [  # green when the unit climbed, red when it fell
    {"column": "rank_change", "operator": ">", "targetValue": 0, "colorScheme": "#1FA8A0"},
    {"column": "rank_change", "operator": "<", "targetValue": 0, "colorScheme": "#E04355"},
]
# Server-side pagination: the monthly rankings are tens of thousands of rows; the browser
# gets one page at a time. Cell bars off so the only colour is the rank change's.
RANKING_TABLE = {"conditional_formatting": RANK_COLOURS, "server_pagination": True, "show_cell_bars": False,
                 "server_page_length": 20}
RANKING_COLUMNS = ["year", "unit_name", "peer_group", "indicator_name", "indicator_value", "unit_rank",
                   "rank_label", "units_ranked", "rank_change", "rank_change_label"]

LATEST_HEADLINE_MONTH = [("is_headline_indicator", "IS TRUE", None), ("is_latest_period", "IS TRUE", None),
                         ("period_type", "==", "month")]

IS_UNIT_FAILURE = ("is_unit_failure", "IS TRUE", None)
# One line, no indentation: the handlebars chart renders its output as Markdown.
QUALITY_FIGURE = ('{{#each data}}<table><tr><td><h1>{{checks_label}}</h1></td></tr>'
                  '<tr><td>{{run_label}}</td></tr></table>'
                  '{{else}}<table><tr><td>Chưa có lượt kiểm tra nào trong kỳ đã chọn</td></tr></table>{{/each}}')
ACTIVE_UNITS = ("is_active_unit", "IS TRUE", None)  # one point per unit in force at the year's end
LATEST_DBT_RUN = ("is_latest_run", "IS TRUE", None)

CHARTS = [
    # 1 Tổng quan
    Chart("overview_on_time", "Tỷ lệ hồ sơ giải quyết đúng hạn", "rpt_dossier_kpis_unit", "big_number_total",
          metrics=["on_time_rate"], width=3, height=30),
    Chart("overview_online", "Tỷ lệ hồ sơ trực tuyến", "rpt_dossier_kpis_unit", "big_number_total",
          metrics=["online_share"], width=3, height=30),
    Chart("overview_input_digitisation", "Tỷ lệ số hóa hồ sơ", "rpt_dossier_kpis_unit", "big_number_total",
          metrics=["input_digitisation_rate"], width=3, height=30),
    Chart("overview_output_digitisation", "Tỷ lệ số hóa kết quả", "rpt_dossier_kpis_unit", "big_number_total",
          metrics=["output_digitisation_rate"], width=3, height=30),
    Chart("overview_trend", "Xu hướng: đúng hạn, trực tuyến, số hóa theo tháng", "rpt_dossier_kpis_unit", "line",
          columns=["period_start"], metrics=["on_time_rate", "online_share", "output_digitisation_rate"], width=6, height=60),
    Chart("overview_papi", "Vị trí của tỉnh trên toàn quốc (PAPI)", "rpt_papi", "table_agg",
          columns=["year"], metrics=["province_score", "national_median", "province_rank"],
          order_by=[("year", False)], width=6, height=60),
    Chart("overview_map", "Bản đồ xã, phường theo tỷ lệ đúng hạn", "rpt_commune_map", "deck_scatter",
          columns=["latitude", "longitude", "on_time_band", "unit_name"], filters=[ACTIVE_UNITS], width=12, height=60),
    # 2 Xếp hạng đơn vị: first screen, the headline indicator's best and worst current units
    # of each peer group in the latest complete month (flags computed in dbt), bars coloured
    # by classification (seed reporting_classification_colours), the province median as a line
    *[Chart(f"ranking_{group}_{end}", f"{group_title}: {end_title} tháng gần nhất (chỉ số phục vụ QĐ 766)",
            "rpt_unit_ranking_extremes", "mixed", columns=["chart_label"], metrics=["unit_value"],
            filters=[*LATEST_HEADLINE_MONTH, ("peer_group_code", "==", group), ("ranking_end", "==", end)],
            extra={"groupby": ["classification_name"], "metrics_b": ["province_median"]}, width=6, height=55,
            grain="latest")
      for group, group_title in (("commune", "Cấp xã, phường"), ("department", "Sở, ban, ngành"))
      for end, end_title in (("bottom", "thấp nhất"), ("top", "cao nhất"))],
    Chart("ranking_year", "Xếp hạng năm theo chỉ số", "rpt_unit_rankings", "table", columns=RANKING_COLUMNS,
          filters=[("period_type", "==", "year")],
          order_by=[("year", False), ("indicator_name", True), ("peer_group", True), ("unit_rank", True)],
          row_limit=50000, extra=RANKING_TABLE, width=12, height=70),
    Chart("ranking_month", "Xếp hạng tháng theo chỉ số", "rpt_unit_rankings", "table",
          columns=["month"] + RANKING_COLUMNS, filters=[("period_type", "==", "month")],
          order_by=[("year", False), ("month", False), ("indicator_name", True), ("peer_group", True),
                    ("unit_rank", True)],
          row_limit=50000, extra=RANKING_TABLE, width=12, height=70),
    Chart("ranking_par", "PAR INDEX và xếp loại", "rpt_par_index", "table",
          columns=["year", "unit_name", "peer_group", "index_share", "classification_name", "rank_in_peer_group",
                   "weakest_field_name"], order_by=[("year", False), ("index_share", False)], width=7),
    # one year's distinct units (the latest scored year), counts shown, labels inside the box
    Chart("ranking_classes", "Số đơn vị theo xếp loại PAR INDEX năm gần nhất", "rpt_par_index", "pie",
          columns=["classification_name"], metrics=["units"], filters=[("is_latest_year", "IS TRUE", None)],
          extra={"label_type": "key_value", "outerRadius": 45, "innerRadius": 25, "show_legend": False},
          width=5, grain="latest"),
    # 3 Giải quyết hồ sơ TTHC
    *[Chart(f"dossier_{metric}", title, "rpt_dossier_kpis_unit", "big_number_total", metrics=[metric], width=3, height=30)
      for metric, title in (("received", "Hồ sơ tiếp nhận"), ("finished", "Hồ sơ đã giải quyết"),
                            ("finished_on_time", "Hồ sơ giải quyết đúng hạn"),
                            ("finished_late", "Hồ sơ giải quyết trễ hạn"))],
    Chart("dossier_monthly", "Hồ sơ theo tháng: đúng hạn và trễ hạn", "rpt_dossier_kpis_unit", "bar",
          columns=["period_start"], metrics=["finished_on_time", "finished_late"], extra={"stack": "Stack"},
          width=12, height=50),
    Chart("dossier_units", "Kết quả giải quyết theo đơn vị", "rpt_dossier_kpis_unit", "table_agg",
          columns=["unit_name", "peer_group"], metrics=["received", "finished", "finished_late", "on_time_rate",
                                                        "online_share", "input_digitisation_rate", "output_digitisation_rate"],
          order_by=[("on_time_rate", True)], width=12, height=60),
    Chart("dossier_fields", "Kết quả giải quyết theo lĩnh vực", "rpt_dossier_kpis_field", "table_agg",
          columns=["field_name"], metrics=["received", "finished_late", "on_time_rate", "online_share"],
          order_by=[("finished_late", False)], row_limit=100, width=8, height=60),
    Chart("dossier_overdue_total", "Tổng số hồ sơ quá hạn", "rpt_overdue_dossiers", "big_number_total",
          metrics=["dossiers"], width=4, height=60),
    # Server-paged, so every overdue dossier is reachable (no silent cut at the row limit);
    # the total is the big number beside the field table.
    Chart("dossier_overdue", "Danh sách hồ sơ quá hạn", "rpt_overdue_dossiers", "table",
          columns=["unit_name", "dossier_id", "procedure_name", "received_date", "due_date", "finished_date",
                   "overdue_status", "days_late"], order_by=[("due_date", False)], row_limit=100000,
          extra={"server_pagination": True, "server_page_length": 20}, width=12, height=70),
    # 4 Giải ngân vốn đầu tư công
    # x = month of the year, one curve per series (the year, the year before, plan, target)
    Chart("disbursement_curve", "Giải ngân lũy kế trong năm so với năm trước, kế hoạch và mục tiêu",
          "rpt_disbursement_curve", "line", columns=["month_label"], metrics=["cumulative_share"],
          extra={"groupby": ["series_name"]}, width=12, height=60),
    Chart("disbursement_units", "Chủ đầu tư giải ngân chậm", "rpt_disbursement_units", "table",
          columns=["year", "month", "unit_name", "peer_group", "disbursed_share", "expected_share", "gap_share",
                   "projects_count", "projects_below_curve_count"],
          order_by=[("year", False), ("month", False), ("gap_share", False)], row_limit=5000, width=6, height=60),
    Chart("disbursement_projects", "Dự án giải ngân chậm", "rpt_disbursement_projects", "table",
          columns=["year", "project_name", "unit_name", "plan_total_mvnd", "disbursed_ytd_mvnd", "disbursed_share"],
          order_by=[("year", False), ("disbursed_share", True)], width=6, height=60),
    # 5 PAPI toàn quốc
    Chart("papi_ranking", "PAPI: xếp hạng các tỉnh và tám lĩnh vực", "rpt_papi", "table",
          columns=["year", "national_rank", "province_name", "aggregate_score", "quartile_tier", "rank_change_label",
                   "d1_participation", "d2_transparency", "d3_vertical_accountability", "d4_control_of_corruption",
                   "d5_public_administrative_procedures", "d6_public_service_delivery",
                   "d7_environmental_governance", "d8_e_governance"],
          order_by=[("year", False), ("national_rank", True)], row_limit=2000, width=12, height=70),
    Chart("papi_vs_median", "Điểm PAPI của tỉnh so với trung vị toàn quốc", "rpt_papi", "bar",
          columns=["year"], metrics=["province_score", "national_median"], width=6, height=80),
    # Superset's own map of Vietnam (63 provinces, keyed by ISO 3166-2): no tiles, works offline
    Chart("papi_map", "Bản đồ điểm PAPI theo tỉnh, thành phố", "rpt_papi", "country_map",
          columns=["iso_3166_2_code"], metrics=["papi_score"], width=6, height=80),
    # 6 Chất lượng dữ liệu
    # the latest run within the filters: its "N/N kiểm tra đạt", built in dbt
    Chart("quality_latest_run", "Lượt kiểm tra gần nhất", "rpt_quality__validation_runs", "handlebars",
          columns=["checks_label", "run_label", "validated_at"], order_by=[("validated_at", False)], row_limit=1,
          extra={"handlebarsTemplate": QUALITY_FIGURE}, width=4, height=50),
    # checks (not unit rows) per run, passed and failed stacked: ~20 a run, so whole-number ticks
    Chart("quality_failures", "Kiểm tra đạt và không đạt theo lượt kiểm tra", "rpt_quality__validation_runs", "bar",
          columns=["validated_at"], metrics=["checks_passed", "checks_failed"],
          extra={"stack": "Stack", "time_grain_sqla": None, "x_axis_time_format": DATE_FORMAT}, width=8, height=50),
    Chart("quality_units", "Đơn vị có kiểm tra không đạt (thiếu hoặc sai dữ liệu), lượt mới nhất trước",
          "rpt_quality__validation_results", "table",
          columns=["validated_at", "unit_name", "suite", "expectation", "observed_value", "severity",
                   "message_vi"], filters=[IS_UNIT_FAILURE],
          # severity labels descending happen to run Nghiêm trọng, Lỗi, Cảnh báo: gravest first
          order_by=[("validated_at", False), ("severity", False), ("unit_name", True)], width=12, height=60),
    Chart("quality_dbt_models", "Kiểm thử dbt lượt mới nhất: số đạt trên số đã chạy theo mô hình",
          "rpt_quality__dbt_test_results", "table_agg", columns=["model_name"],
          metrics=["passed_tests", "tests", "pass_rate"], filters=[LATEST_DBT_RUN], order_by=[("pass_rate", True)],
          row_limit=1000, width=6, height=60),
    Chart("quality_dbt_failing", "Kiểm thử dbt không đạt ở lượt mới nhất", "rpt_quality__dbt_test_results", "table",
          columns=["run_started_at", "model_name", "test_name", "column_name", "status_label", "failures"],
          filters=[LATEST_DBT_RUN, ("is_failing", "IS TRUE", None)], order_by=[("model_name", True)],
          width=6, height=60),
    # 7 Kết quả của đơn vị (row-level security leaves a unit's user its own rows)
    Chart("unit_vs_median", "Chỉ số của đơn vị so với trung vị của tỉnh (kỳ gần nhất đã trọn)", "rpt_unit_rankings",
          "bar", columns=["indicator_period_label"], metrics=["unit_value", "province_median"],
          filters=[("is_latest_period", "IS TRUE", None), ("is_current_unit", "IS TRUE", None)],
          extra={"xAxisLabelInterval": 0, "xAxisLabelRotation": 30}, width=12, height=60),
    Chart("unit_rank_trend", "Thứ hạng của đơn vị trong nhóm theo tháng (1 = cao nhất)", "rpt_unit_rankings", "line",
          columns=["period_start"], metrics=["best_rank"], filters=[("period_type", "==", "month")],
          extra={"groupby": ["indicator_name"]}, width=12, height=60),
    Chart("unit_rankings", "Thứ hạng và xếp loại của đơn vị kỳ gần nhất", "rpt_unit_rankings", "table",
          columns=["indicator_name", "year", "month", "unit_name", "indicator_value",
                   "province_median_value", "rank_label", "units_ranked", "rank_change_label", "classification_name"],
          filters=[("is_latest_period", "IS TRUE", None), ("is_current_unit", "IS TRUE", None)],
          order_by=[("indicator_name", True), ("unit_name", True)], width=12, height=50),
]


@dataclass(frozen=True)
class Filter:
    """A native filter (filter_select) of the dashboards. Its values are listed from
    `dataset` (pre-filtered by `prefilter`); with a `sort_metric` (a metric the dbt model
    declares) the dashboard opens on the first value in that order, so the default is what
    dbt says tonight (the last complete month, the units in force), never a value written
    here: Superset writes it from each new snapshot (cchc.bi.filter_defaults). Without one
    the filter opens empty: the whole province.
    `grain` limits a period filter to the charts of that grain (chart_grain)."""
    column: str
    label: str
    dataset: str
    sort_metric: str | None = None
    ascending: bool = True
    prefilter: tuple[tuple, ...] = ()
    grain: str | None = None
    description: str = ""


MONTHS = (("period_type", "==", "month"),)
YEARS = (("period_type", "==", "year"),)
FILTERS = {
    # the month the dashboards open on: the last complete one (rpt_reporting_periods)
    "month": Filter("month_label", "Tháng", "rpt_reporting_periods", "complete_first", prefilter=MONTHS, grain="month",
                    description="Mặc định: tháng trọn vẹn gần nhất đã có số liệu"),
    # the year of the monthly dashboards' trends and maps: that month's year
    "year_of_month": Filter("year", "Năm", "rpt_reporting_periods", "complete_first", prefilter=MONTHS, grain="year",
                            description="Mặc định: năm của tháng trọn vẹn gần nhất"),
    # yearly indicators (yearly rankings, PAR INDEX): the last complete year
    "year": Filter("year", "Năm", "rpt_reporting_periods", "complete_first", prefilter=YEARS, grain="year",
                   description="Mặc định: năm trọn vẹn gần nhất"),
    # data quality is about the latest night: the latest month and year, complete or not
    "month_latest": Filter("month_label", "Tháng", "rpt_reporting_periods", "latest_first", prefilter=MONTHS,
                           grain="month", description="Mặc định: tháng gần nhất"),
    "year_latest": Filter("year", "Năm", "rpt_reporting_periods", "latest_first", prefilter=MONTHS, grain="year",
                          description="Mặc định: năm gần nhất"),
    # PAPI: the latest published year
    # PAPI: the latest published year; later years are listed (last) and say why they are empty
    "papi_year": Filter("year", "Năm", "rpt_data_availability", "data_first", prefilter=(("dataset_code", "==", "papi"),),
                        grain="year", description="Mặc định: năm PAPI gần nhất đã công bố"),
    "unit_status": Filter("unit_status", "Tình trạng đơn vị", "rpt_unit_statuses", "active_first",
                          description="Mặc định: đơn vị hiện hành (sau sắp xếp 2025)"),
    "peer_group": Filter("peer_group", "Nhóm đơn vị", "rpt_unit_rankings", description="Để trống: toàn tỉnh"),
    "unit_name": Filter("unit_name", "Đơn vị", "rpt_unit_rankings", description="Để trống: toàn tỉnh"),
    # the data-quality operator reads no ranking: units listed from the validation results
    "quality_unit_name": Filter("unit_name", "Đơn vị", "rpt_quality__validation_results",
                                description="Để trống: toàn tỉnh"),
}
UNIT_FILTERS = ["unit_status", "peer_group", "unit_name"]


def chart_grain(chart: Chart, dataset: DatasetModel) -> str:
    """The periods a chart shows, which decides the period filters it takes: `month` (one
    month: the month filter), `year` (one year: the year filter), `series_month` (months
    along an axis: the year filter), `series_year` (years along an axis: none), `latest`
    (the latest complete period, chosen by the chart's own dbt flag: none)."""
    if chart.grain:
        return chart.grain
    first = chart.columns[0] if chart.columns else None
    if first == "year" and (chart.viz in ("line", "bar") or chart.viz == "table_agg"):
        return "series_year"
    if chart.viz in ("line", "bar") or (first and first == dataset.main_dttm_col):
        return "series_month"
    for column, op, value in chart.filters:
        if column == "period_type" and op == "==":
            return value
    return "month" if "month_label" in dataset.column_names() else "year"


def filter_applies(spec: Filter, chart: Chart, dataset: DatasetModel) -> bool:
    if spec.column not in dataset.column_names():
        return False
    grain = chart_grain(chart, dataset)
    if spec.grain == "month":
        return grain == "month"
    if spec.grain == "year":
        return grain in ("year", "series_month")
    return True


def colour_scheme(chart_keys) -> str | None:  # type: ignore[no-untyped-def]
    """A dashboard's colour scheme overrides its charts', and the country map then paints
    each province in a categorical colour instead of its red-to-green score scale: a
    dashboard with a map has none (its other charts keep Superset's default colours)."""
    return None if any(CHARTS_BY_KEY[key].viz == "country_map" for key in chart_keys) else "supersetColors"


@dataclass
class Tab:
    title: str
    rows: list[list[str]]  # chart keys, row by row


@dataclass
class Dashboard:
    slug: str
    title: str
    rows: list[list[str]]  # chart keys, row by row (above the tabs, when there are tabs)
    filters: list[str] = field(default_factory=lambda: ["year_of_month", "month", *UNIT_FILTERS])  # FILTERS keys
    # grain -> dataset codes (seed reporting_data_availability) whose state the dashboard
    # explains above its charts: its empty states (availability_charts)
    availability: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Superset draws (and queries) only the open tab's charts: the first tab is what the
    # dashboard opens on, the others load when chosen.
    tabs: list[Tab] = field(default_factory=list)

    @property
    def uuid(self) -> str:
        return stable_uuid("dashboard", self.slug)

    def chart_keys(self) -> list[str]:
        """Every chart of the dashboard, in reading order (all tabs)."""
        return [key for row in self.rows + [r for tab in self.tabs for r in tab.rows] for key in row]

    def first_view(self) -> list[str]:
        """The charts drawn when the dashboard opens: those above the tabs and the first tab's."""
        return [key for row in self.rows + (self.tabs[0].rows if self.tabs else []) for key in row]

    def availability_keys(self) -> list[str]:
        return [f"availability_{self.slug}_{grain}" for grain in self.availability]

    def __post_init__(self) -> None:
        if self.availability:
            self.rows.insert(0, self.availability_keys())


DASHBOARDS = [
    Dashboard("cchc-tong-quan", "1. Tổng quan CCHC", [], availability={"month": ("dossiers",)},
              tabs=[Tab("Chỉ số chính", [["overview_on_time", "overview_online", "overview_input_digitisation",
                                          "overview_output_digitisation"], ["overview_trend", "overview_papi"]]),
                    Tab("Bản đồ xã, phường", [["overview_map"]])]),
    Dashboard("cchc-xep-hang", "2. Xếp hạng đơn vị", [],
              filters=["year", "month", *UNIT_FILTERS],
              availability={"year": ("par_index", "sipas"), "month": ("dossiers",)},
              tabs=[Tab("Đứng đầu và cuối bảng", [["ranking_commune_bottom", "ranking_commune_top"],
                                                   ["ranking_department_bottom", "ranking_department_top"]]),
                    Tab("Bảng xếp hạng tháng", [["ranking_month"]]), Tab("Bảng xếp hạng năm", [["ranking_year"]]),
                    Tab("Xếp loại CCHC", [["ranking_par", "ranking_classes"]])]),
    Dashboard("cchc-ho-so", "3. Giải quyết hồ sơ TTHC", [], availability={"month": ("dossiers",)},
              tabs=[Tab("Toàn tỉnh", [["dossier_received", "dossier_finished", "dossier_finished_on_time",
                                       "dossier_finished_late"], ["dossier_monthly"]]),
                    Tab("Theo đơn vị", [["dossier_units"]]),
                    Tab("Theo lĩnh vực và quá hạn", [["dossier_fields", "dossier_overdue_total"], ["dossier_overdue"]])]),
    Dashboard("cchc-giai-ngan", "4. Giải ngân vốn đầu tư công",
              [["disbursement_curve"], ["disbursement_units", "disbursement_projects"]],
              filters=["year_of_month", "month", "peer_group", "unit_name"], availability={"month": ("disbursement",)}),
    Dashboard("cchc-papi", "5. PAPI toàn quốc", [["papi_map", "papi_vs_median"], ["papi_ranking"]], filters=["papi_year"],
              availability={"year": ("papi",)}),
    Dashboard("cchc-chat-luong", "6. Chất lượng dữ liệu",
              [["quality_latest_run", "quality_failures"], ["quality_units"], ["quality_dbt_models", "quality_dbt_failing"]],
              filters=["year_latest", "month_latest", "quality_unit_name"]),
    Dashboard("cchc-don-vi", "7. Kết quả của đơn vị", [["unit_vs_median"], ["unit_rank_trend"], ["unit_rankings"]]),
]

GRAIN_VI = {"month": "tháng", "year": "năm"}


def availability_charts(dash: Dashboard) -> list[Chart]:
    """The dashboard's empty states: per grain, a small table of what rpt_data_availability
    says of its datasets for the selected period ("Chưa có dữ liệu PAPI năm 2026: …")."""
    return [Chart(key, f"{dash.title}: tình trạng số liệu theo {GRAIN_VI[grain]}", "rpt_data_availability", "table",
                  columns=["message_vi"], filters=[("dataset_code", "IN", list(codes)), ("period_type", "==", grain)],
                  width=12 // len(dash.availability), height=22)
            for key, (grain, codes) in zip(dash.availability_keys(), dash.availability.items())]


CHARTS += [chart for dash in DASHBOARDS for chart in availability_charts(dash)]
CHARTS_BY_KEY = {c.key: c for c in CHARTS}


def label_colours(seeds_dir: Path | None = None) -> dict[str, str]:
    """Fixed colours, from dbt seeds: the map's on-time bands (reporting_on_time_bands, green
    best, red worst), grey for a commune without finished dossiers, and the four classes
    (reporting_classification_colours, named as par_classification_bands names them)."""
    import csv

    seeds_dir = seeds_dir or Path(__file__).resolve().parents[3] / "dbt_project" / "seeds"

    def rows(seed: str) -> list[dict]:
        with open(seeds_dir / f"{seed}.csv", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    colours = {row["band_label"]: f"#{row['colour_hex']}" for row in rows("reporting_on_time_bands")}
    class_names = {row["classification_code"]: row["classification_name"] for row in rows("par_classification_bands")}
    colours.update({class_names[row["classification_code"]]: f"#{row['colour_hex']}"
                    for row in rows("reporting_classification_colours")})
    colours.update({row["label_vi"]: NO_DATA_COLOUR for row in rows("reporting_labels")
                    if (row["label_set"], row["code"]) == ("on_time_band", "no_dossiers")})
    return colours


NO_DATA_COLOUR = "#BDBDBD"


# --- writing -----------------------------------------------------------------------------

def _x_axis(chart: Chart, dataset: DatasetModel) -> dict:
    col = chart.columns[0]
    return {"columnType": "BASE_AXIS", "sqlExpression": col, "label": col, "expressionType": "SQL",
            "timeGrain": chart.extra.get("time_grain_sqla", "P1M") if dataset.main_dttm_col == col else None}


def _simple_filters(filters, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [{"expressionType": "SIMPLE", "subject": column, "operator": op, "comparator": value, "clause": "WHERE",
             "sqlExpression": None, "filterOptionName": f"filter_{name}_{n}"}
            for n, (column, op, value) in enumerate(filters)]


def _adhoc_filters(chart: Chart) -> list[dict]:
    return _simple_filters(chart.filters, chart.key)


def _query_filters(chart: Chart) -> list[dict]:
    return [{"col": column, "op": op, **({} if value is None else {"val": value})}
            for column, op, value in chart.filters]


def chart_params(chart: Chart, dataset: DatasetModel) -> dict:
    """The chart's form data: what the browser renders from."""
    params: dict = {"viz_type": chart.viz, "datasource": "__table", "row_limit": chart.row_limit,
                    "adhoc_filters": _adhoc_filters(chart), "extra_form_data": {}, "dashboards": []}
    pct_columns = [c for c in chart.columns if c.endswith("_share")]
    column_config = {c: {"d3NumberFormat": PCT} for c in pct_columns}
    column_config.update({c: {"d3NumberFormat": ",.2f"} for c in chart.columns
                          if c in ("indicator_value", "province_median_value", "aggregate_score", "plan_total_mvnd",
                                   "disbursed_ytd_mvnd")
                          or c.startswith("d") and c[1:2].isdigit()})
    if chart.viz in ("table", "handlebars"):
        params.update(query_mode="raw", all_columns=chart.columns,
                      order_by_cols=[json.dumps([c, asc]) for c, asc in chart.order_by],
                      table_timestamp_format=DATE_FORMAT, column_config=column_config,
                      include_search=True, page_length=20, server_pagination=False)
    elif chart.viz == "table_agg":
        params.update(viz_type="table", query_mode="aggregate", groupby=chart.columns, metrics=chart.metrics,
                      timeseries_limit_metric=chart.order_by[0][0] if chart.order_by and chart.order_by[0][0] in chart.metrics else None,
                      order_desc=not chart.order_by[0][1] if chart.order_by else True,
                      table_timestamp_format=DATE_FORMAT, include_search=True, page_length=20, column_config=column_config)
    elif chart.viz == "big_number_total":
        params.update(metric=chart.metrics[0], y_axis_format=dataset.metrics[chart.metrics[0]].d3format, subheader="Toàn kỳ đã chọn (theo bộ lọc)",
                      header_font_size=0.4, subheader_font_size=0.15)
    elif chart.viz in ("line", "bar"):
        temporal = dataset.main_dttm_col == chart.columns[0]
        params.update(viz_type="echarts_timeseries_line" if chart.viz == "line" else "echarts_timeseries_bar",
                      x_axis=chart.columns[0], time_grain_sqla="P1M" if temporal else None,
                      metrics=chart.metrics, groupby=chart.extra.get("groupby", []),
                      x_axis_time_format="%m/%Y" if temporal else "SMART_NUMBER",
                      y_axis_format=dataset.metrics[chart.metrics[0]].d3format or ",.2f",
                      tooltipTimeFormat=DATE_FORMAT, rich_tooltip=True, show_legend=True, legendType="scroll",
                      legendOrientation="top", x_axis_sort_asc=True, order_desc=True, truncateYAxis=False,
                      stack=chart.extra.get("stack"), markerEnabled=True, only_total=True,
                      comparison_type="values", annotation_layers=[], forecastEnabled=False)
    elif chart.viz == "mixed":  # bars of query A (one series per groupby value), a line of query B
        params.update(viz_type="mixed_timeseries", x_axis=chart.columns[0], time_grain_sqla=None,
                      metrics=chart.metrics, groupby=chart.extra["groupby"], metrics_b=chart.extra["metrics_b"],
                      groupby_b=[], adhoc_filters_b=_adhoc_filters(chart), row_limit_b=chart.row_limit,
                      seriesType="bar", seriesTypeB="line", stack=True, stackB=False, show_value=True,
                      only_total=True, show_valueB=False, markerEnabledB=True, yAxisIndex=0, yAxisIndexB=0,
                      y_axis_format=dataset.metrics[chart.metrics[0]].d3format or ",.2f",
                      x_axis_time_format="SMART_NUMBER", xAxisLabelInterval=0, xAxisLabelRotation=0,
                      truncateYAxis=False, rich_tooltip=True, show_legend=True, legendType="scroll",
                      legendOrientation="top", annotation_layers=[])
    elif chart.viz == "pie":
        params.update(viz_type="pie", groupby=chart.columns, metric=chart.metrics[0], show_labels=True,
                      labels_outside=True, label_type="key_percent", number_format=",d", show_legend=True,
                      legendOrientation="right", donut=True)
    elif chart.viz == "country_map":  # red (lowest score) to green (highest)
        params.update(entity=chart.columns[0], metric=chart.metrics[0], select_country="vietnam",
                      linear_color_scheme="schemeRdYlGn", number_format=dataset.metrics[chart.metrics[0]].d3format)
    elif chart.viz == "deck_scatter":
        lat, lon, dimension, _ = chart.columns
        params.update(spatial={"type": "latlong", "latCol": lat, "lonCol": lon}, dimension=dimension,
                      point_radius_fixed={"type": "fix", "value": "1500"}, point_unit="meters",
                      min_radius=2, max_radius=30, multiplier=1, js_columns=[],
                      color_picker={"r": 0, "g": 122, "b": 135, "a": 1}, color_scheme="supersetColors",
                      # colours by band (the dashboards' label_colors: green best), with a legend
                      color_scheme_type="categorical_palette", legend_position="tr", legend_format=None,
                      mapbox_style="", autozoom=True,
                      viewport={"longitude": 105.7, "latitude": 18.3, "zoom": 8, "bearing": 0, "pitch": 0})
    params.update({k: v for k, v in chart.extra.items() if k not in ("groupby", "stack", "metrics_b")})
    return params


def query_context(chart: Chart, dataset: DatasetModel) -> dict:
    """What the chart data API runs for this chart (tests, reports, caches)."""
    # capped: a server-paginated table asks for one page at a time, never the whole limit
    query: dict = {"filters": _query_filters(chart), "extras": {"where": "", "having": ""}, "row_limit": min(chart.row_limit, 10000),
                   "time_range": "No filter", "annotation_layers": [], "applied_time_extras": {},
                   "url_params": {}, "custom_params": {}, "custom_form_data": {}}
    queries = [query]  # a mixed chart adds its line's query
    if chart.viz in ("line", "bar", "mixed"):
        query.update(columns=[_x_axis(chart, dataset), *chart.extra.get("groupby", [])], metrics=chart.metrics,
                     orderby=[[chart.metrics[0], False]], series_columns=chart.extra.get("groupby", []))
    elif chart.viz == "deck_scatter":
        query.update(columns=chart.columns, metrics=[], orderby=[])
    elif chart.viz in ("table", "handlebars"):
        query.update(columns=chart.columns, metrics=[], orderby=[[c, asc] for c, asc in chart.order_by])
    else:
        query.update(columns=chart.columns, metrics=chart.metrics,
                     orderby=[[c, asc] for c, asc in chart.order_by] or ([[chart.metrics[0], False]] if chart.columns else []))
    if chart.viz == "mixed":
        queries.append({**query, "columns": [_x_axis(chart, dataset)], "metrics": chart.extra["metrics_b"],
                        "orderby": [[chart.extra["metrics_b"][0], False]], "series_columns": []})
    return {"datasource": {"id": 0, "type": "table"}, "force": False, "queries": queries,
            "form_data": chart_params(chart, dataset), "result_format": "json", "result_type": "full"}


def _database_yaml(uri: str) -> dict:
    return {"database_name": DATABASE_NAME, "sqlalchemy_uri": uri, "cache_timeout": None,
            "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False, "allow_cvas": False,
            "allow_dml": False, "allow_file_upload": False, "impersonate_user": False,
            "extra": {"allows_virtual_table_explore": True, "disable_data_preview": False,
                      "metadata_params": {}, "engine_params": {}, "schemas_allowed_for_file_upload": []},
            "uuid": stable_uuid("database", DATABASE_NAME), "version": VERSION}


def dataset_uuid(name: str) -> str:
    return stable_uuid("dataset", name)


def _dataset_yaml(ds: DatasetModel) -> dict:
    dttm_types = ("DATE", "TIMESTAMP")
    return {
        "table_name": ds.name, "main_dttm_col": ds.main_dttm_col, "description": ds.description,
        "default_endpoint": None, "offset": 0, "cache_timeout": None, "schema": ds.schema, "catalog": None,
        "sql": None, "params": None, "template_params": None, "filter_select_enabled": True,
        "fetch_values_predicate": None, "extra": None, "normalize_columns": False, "always_filter_main_dttm": False,
        "uuid": dataset_uuid(ds.name),
        "metrics": [{"metric_name": m.name, "verbose_name": m.label, "metric_type": None, "expression": m.expression,
                     "description": None, "d3format": m.d3format, "currency": None, "extra": {}, "warning_text": None}
                    for m in ds.metrics.values()],
        "columns": [{"column_name": c.name, "verbose_name": c.label, "is_dttm": c.type in dttm_types, "is_active": True,
                     "type": c.type, "advanced_data_type": None, "groupby": True, "filterable": True,
                     "expression": None, "description": c.description or None, "python_date_format": None,
                     "extra": {}}
                    for c in ds.columns],
        "version": VERSION, "database_uuid": stable_uuid("database", DATABASE_NAME),
    }


def _chart_yaml(chart: Chart, dataset: DatasetModel) -> dict:
    params = chart_params(chart, dataset)
    return {"slice_name": chart.title, "description": None, "certified_by": None, "certification_details": None,
            "viz_type": params["viz_type"], "params": params,
            "query_context": json.dumps(query_context(chart, dataset), ensure_ascii=False),
            "cache_timeout": None, "uuid": chart.uuid, "version": VERSION,
            "dataset_uuid": dataset_uuid(chart.dataset)}


def _dashboard_yaml(dash: Dashboard, chart_ids: dict[str, int], models: dict[str, DatasetModel]) -> dict:
    position: dict = {"DASHBOARD_VERSION_KEY": "v2",
                      "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
                      "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
                      "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dash.title}}}

    def add_rows(parent: str, parents: list[str], rows: list[list[str]], prefix: str) -> None:
        for r, row in enumerate(rows):
            row_id = f"ROW-{prefix}-{r}"
            position[parent]["children"].append(row_id)
            position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": list(parents),
                                "meta": {"background": "BACKGROUND_TRANSPARENT"}}
            for key in row:
                chart = CHARTS_BY_KEY[key]
                chart_id = f"CHART-{key}"
                position[row_id]["children"].append(chart_id)
                position[chart_id] = {"type": "CHART", "id": chart_id, "children": [], "parents": [*parents, row_id],
                                      "meta": {"width": chart.width, "height": chart.height, "chartId": chart_ids[key],
                                               "uuid": chart.uuid, "sliceName": chart.title}}

    add_rows("GRID_ID", ["ROOT_ID", "GRID_ID"], dash.rows, dash.slug)
    if dash.tabs:  # one row of tabs under the rows above them
        tabs_id = f"TABS-{dash.slug}"
        position["GRID_ID"]["children"].append(tabs_id)
        position[tabs_id] = {"type": "TABS", "id": tabs_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                             "meta": {}}
        for t, tab in enumerate(dash.tabs):
            tab_id = f"TAB-{dash.slug}-{t}"
            position[tabs_id]["children"].append(tab_id)
            position[tab_id] = {"type": "TAB", "id": tab_id, "children": [], "parents": ["ROOT_ID", "GRID_ID", tabs_id],
                                "meta": {"text": tab.title, "defaultText": tab.title, "placeholder": tab.title}}
            add_rows(tab_id, ["ROOT_ID", "GRID_ID", tabs_id, tab_id], tab.rows, f"{dash.slug}-{t}")
    filters = [_native_filter(dash, FILTERS[key], chart_ids, models) for key in dash.filters]
    metadata = {"native_filter_configuration": filters, "color_scheme": colour_scheme(dash.chart_keys()), "refresh_frequency": 0,
                "expanded_slices": {}, "label_colors": label_colours(), "shared_label_colors": [],
                "color_scheme_domain": [],
                "timed_refresh_immune_slices": [], "cross_filters_enabled": False, "default_filters": "{}",
                "chart_configuration": {},
                "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []}}
    return {"dashboard_title": dash.title, "description": None, "css": "", "slug": dash.slug,
            "certified_by": None, "certification_details": None, "published": True,
            "uuid": dash.uuid, "position": position, "metadata": metadata, "version": VERSION}


def _native_filter(dash: Dashboard, spec: Filter, chart_ids: dict[str, int],
                   models: dict[str, DatasetModel]) -> dict:
    """One native filter. Not required (enableEmptyFilter off): cleared, it filters nothing,
    so clearing never empties a page. Its default, the first value of its list ordered by
    the dbt metric `sort_metric`, is left empty here and written by Superset from the serving
    snapshot (cchc.bi.filter_defaults), not chosen in the browser (`defaultToFirstItem`), which
    would hold every chart back until the filter's own query answered. No cascading: Superset
    re-selects the default of a cascaded filter whenever it is cleared."""
    charts = [CHARTS_BY_KEY[key] for key in dash.chart_keys()]
    # A filter leaves out the charts whose dataset lacks its column (e.g. dbt tests have no
    # unit) and, for a period filter, those of another grain (chart_grain).
    excluded = [chart_ids[c.key] for c in charts if not filter_applies(spec, c, models[c.dataset])]
    return {
        "id": f"NATIVE_FILTER-{dash.slug}-{spec.column}", "name": spec.label, "filterType": "filter_select",
        "type": "NATIVE_FILTER", "description": spec.description,
        "targets": [{"column": {"name": spec.column}, "datasetUuid": dataset_uuid(spec.dataset)}],
        "controlValues": {"enableEmptyFilter": False, "defaultToFirstItem": False, "multiSelect": True,
                          "searchAllOptions": False, "inverseSelection": False, "sortAscending": spec.ascending,
                          "sortMetric": spec.sort_metric},
        "sortMetric": spec.sort_metric, "adhoc_filters": _simple_filters(spec.prefilter, f"{dash.slug}_{spec.column}"),
        "time_range": "No filter", "requiredFirst": False,
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [], "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded},
    }


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in text).strip("_")


def bundle_files(serving_path: Path | str = SERVING_PLACEHOLDER,
                 models: dict[str, DatasetModel] | None = None) -> dict[str, str]:
    """Relative path -> YAML text of every file of the bundle; the datasets are the dbt
    reporting models of `models` (default: those of the project, from `dbt parse`)."""
    from .semantic import load_models

    models = models if models is not None else load_models()

    def dump(data: dict) -> str:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)

    chart_ids = {chart.key: n for n, chart in enumerate(CHARTS, start=1)}
    files = {"metadata.yaml": dump({"version": VERSION, "type": "assets", "timestamp": "2026-11-22T00:00:00+00:00"}),
             f"databases/{_safe_name('cchc_serving')}.yaml": dump(_database_yaml(database_uri(serving_path)))}
    for ds in models.values():
        files[f"datasets/cchc_serving/{ds.name}.yaml"] = dump(_dataset_yaml(ds))
    for chart in CHARTS:
        files[f"charts/{chart.key}.yaml"] = dump(_chart_yaml(chart, models[chart.dataset]))
    for dash in DASHBOARDS:
        files[f"dashboards/{dash.slug}.yaml"] = dump(_dashboard_yaml(dash, chart_ids, models))
    return files


def write_bundle(out_dir: Path, serving_path: Path | str = SERVING_PLACEHOLDER,
                 models: dict[str, DatasetModel] | None = None) -> list[Path]:
    """Write the bundle as a folder (replacing what was there); returns the files written."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    written = []
    for rel, text in bundle_files(serving_path, models).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def read_bundle(bundle_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(bundle_dir)): p.read_text(encoding="utf-8")
            for p in sorted(bundle_dir.rglob("*.yaml"))}
