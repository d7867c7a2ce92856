"""The dashboards as code: datasets, charts and dashboards described once here and written
in Superset's import format (``metadata.yaml``, ``databases/``, ``datasets/``, ``charts/``,
``dashboards/``), which ``superset/bundle/`` keeps under version control.

Why a generator rather than hand-written YAML: a chart's ``params`` and ``query_context``
repeat the same columns and metrics, and the dashboards' layout and filters refer to
charts and datasets by UUID; writing them from one description keeps them consistent.
UUIDs are derived from names (uuid5), so a re-import overwrites the same objects instead of
adding copies.

Conventions every dataset follows so the dashboard filters apply across charts: columns
``year``, ``month``, ``peer_group`` (Vietnamese label), ``unit_name`` and ``unit_key``
(the column row-level security filters on). Percent values stored as 0-100 in the marts
are divided by 100 in metrics and shown with ``.2%`` (two decimals).

Only the standard library and PyYAML are used: the module runs in both environments.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import yaml

from .lockdown import DUCKDB_LOCK

NAMESPACE = uuid.UUID("6f1c2f0e-8a4b-4c5e-9d3a-42c0c0a1b001")
VERSION = "1.0.0"
DATABASE_NAME = "Kho dữ liệu CCHC (chỉ đọc)"
# Written into the committed bundle; the start-up replaces it with settings.serving_path.
SERVING_PLACEHOLDER = "data/serving/cchc.duckdb"
DEMO_PROVINCE = "42"
DATE_FORMAT = "%d/%m/%Y"
PCT = ".2%"


def stable_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def database_uri(serving_path: Path | str) -> str:
    # duckdb-engine passes the query to duckdb.connect's config: read-only, no file access
    # beyond the snapshot, configuration locked (see cchc.bi.lockdown). Superset's metadata
    # shows the lock; the connection mutator enforces it whatever the metadata says.
    return f"duckdb:///{serving_path}?{urlencode(DUCKDB_LOCK)}"


# --- SQL building blocks ------------------------------------------------------------------

PEER_GROUP_VI = """CASE {col} WHEN 'commune' THEN 'Cấp xã' WHEN 'district' THEN 'Cấp huyện'
  WHEN 'department' THEN 'Sở, ban, ngành' WHEN 'province' THEN 'Cấp tỉnh' ELSE {col} END"""

INDICATOR_VI = """CASE {col} WHEN 'par_index' THEN 'Chỉ số CCHC (PAR INDEX)'
  WHEN 'service_index_766' THEN 'Chỉ số phục vụ (QĐ 766)'
  WHEN 'on_time_rate' THEN 'Tỷ lệ đúng hạn' WHEN 'online_share' THEN 'Tỷ lệ trực tuyến'
  WHEN 'output_digitisation_rate' THEN 'Tỷ lệ số hóa kết quả' ELSE {col} END"""


def _peer(col: str) -> str:
    return PEER_GROUP_VI.format(col=col)


# --- datasets ---------------------------------------------------------------------------

@dataclass
class Dataset:
    name: str
    description: str
    sql: str
    columns: list[tuple[str, str, str]]  # (name, DuckDB type, Vietnamese label)
    metrics: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # name: (expr, label, d3format)
    main_dttm_col: str | None = None
    unit_scoped: bool = True  # has unit_key: row-level security applies

    @property
    def uuid(self) -> str:
        return stable_uuid("dataset", self.name)

    def column_names(self) -> list[str]:
        return [c for c, _, _ in self.columns]


def _ratio(num: str, den: str) -> str:
    return f"SUM({num}) * 1.0 / NULLIF(SUM({den}), 0)"


DOSSIER_METRICS = {
    "received": ("SUM(received_total)", "Hồ sơ tiếp nhận", ",d"),
    "finished": ("SUM(finished_total)", "Hồ sơ đã giải quyết", ",d"),
    "finished_on_time": ("SUM(finished_early + finished_on_time)", "Giải quyết đúng hạn", ",d"),
    "finished_late": ("SUM(finished_late)", "Giải quyết trễ hạn", ",d"),
    "overdue_at_end": ("SUM(in_progress_overdue_at_end)", "Đang xử lý quá hạn", ",d"),
    "on_time_rate": (_ratio("finished_early + finished_on_time", "finished_total"), "Tỷ lệ đúng hạn", PCT),
    "online_share": (_ratio("received_toan_trinh + received_mot_phan", "received_total"), "Tỷ lệ trực tuyến", PCT),
    "input_digitisation_rate": (_ratio("input_digitised", "received_total"), "Tỷ lệ số hóa hồ sơ", PCT),
    "output_digitisation_rate": (_ratio("output_digitised", "finished_total"), "Tỷ lệ số hóa kết quả", PCT),
}
DOSSIER_COLUMNS = [
    ("period_start", "DATE", "Tháng"), ("year", "INTEGER", "Năm"), ("month", "INTEGER", "Tháng (số)"),
    ("unit_key", "VARCHAR", "Mã đơn vị"), ("unit_name", "VARCHAR", "Đơn vị"), ("peer_group", "VARCHAR", "Nhóm đơn vị"),
    ("received_total", "BIGINT", "Tiếp nhận"), ("received_toan_trinh", "BIGINT", "Trực tuyến toàn trình"),
    ("received_mot_phan", "BIGINT", "Trực tuyến một phần"), ("input_digitised", "BIGINT", "Số hóa hồ sơ"),
    ("finished_total", "BIGINT", "Đã giải quyết"), ("finished_early", "BIGINT", "Trước hạn"),
    ("finished_on_time", "BIGINT", "Đúng hạn"), ("finished_late", "BIGINT", "Trễ hạn"),
    ("output_digitised", "BIGINT", "Số hóa kết quả"), ("in_progress_overdue_at_end", "BIGINT", "Quá hạn cuối kỳ"),
]
_DOSSIER_SUMS = ", ".join(
    f"CAST(k.{c} AS BIGINT) AS {c}" for c, t, _ in DOSSIER_COLUMNS[6:])

DATASETS = [
    Dataset(
        "cchc_dossier_kpis_unit", "Hồ sơ TTHC theo đơn vị và tháng",
        f"""SELECT k.period_start, year(k.period_start) AS year, month(k.period_start) AS month,
  k.unit_key, u.unit_name, {_peer('u.peer_group')} AS peer_group, {_DOSSIER_SUMS}
FROM marts.mart_dossier_kpis_unit k JOIN marts.dim_unit u USING (unit_key)
WHERE k.period_type = 'month'""",
        DOSSIER_COLUMNS, DOSSIER_METRICS, main_dttm_col="period_start"),
    Dataset(
        "cchc_dossier_kpis_field", "Hồ sơ TTHC theo lĩnh vực, đơn vị và tháng",
        f"""WITH fields AS (SELECT DISTINCT field_code, field_name FROM marts.dim_procedure)
SELECT k.period_start, year(k.period_start) AS year, month(k.period_start) AS month,
  k.unit_key, u.unit_name, {_peer('u.peer_group')} AS peer_group,
  coalesce(f.field_name, k.field_code) AS field_name, {_DOSSIER_SUMS}
FROM marts.mart_dossier_kpis k JOIN marts.dim_unit u USING (unit_key)
LEFT JOIN fields f USING (field_code)
WHERE k.period_type = 'month'""",
        DOSSIER_COLUMNS[:6] + [("field_name", "VARCHAR", "Lĩnh vực")] + DOSSIER_COLUMNS[6:],
        DOSSIER_METRICS, main_dttm_col="period_start"),
    Dataset(
        "cchc_overdue_dossiers", "Hồ sơ quá hạn: đang xử lý quá hạn và đã giải quyết trễ hạn",
        f"""SELECT d.dossier_id, d.unit_key, u.unit_name, {_peer('u.peer_group')} AS peer_group,
  year(d.received_date) AS year, month(d.received_date) AS month,
  coalesce(p.procedure_name, d.procedure_code) AS procedure_name, p.field_name,
  CAST(d.received_at AS DATE) AS received_date, CAST(d.due_at AS DATE) AS due_date,
  d.finished_date,
  CASE WHEN d.timeliness = 'late' THEN 'Đã giải quyết trễ hạn' ELSE 'Đang xử lý quá hạn' END AS overdue_status,
  CASE WHEN d.timeliness = 'late' THEN d.processing_working_days - d.deadline_working_days
       ELSE NULL END AS days_late
FROM marts.fct_dossier d JOIN marts.dim_unit u USING (unit_key)
LEFT JOIN marts.dim_procedure p USING (procedure_code)
WHERE d.timeliness = 'late'
   OR (d.status NOT IN ('finished', 'rejected', 'withdrawn') AND d.due_at < current_timestamp)""",
        [("dossier_id", "VARCHAR", "Mã hồ sơ"), ("unit_key", "VARCHAR", "Mã đơn vị"), ("unit_name", "VARCHAR", "Đơn vị"),
         ("peer_group", "VARCHAR", "Nhóm đơn vị"), ("year", "BIGINT", "Năm"), ("month", "BIGINT", "Tháng (số)"),
         ("procedure_name", "VARCHAR", "Thủ tục"), ("field_name", "VARCHAR", "Lĩnh vực"),
         ("received_date", "DATE", "Ngày tiếp nhận"), ("due_date", "DATE", "Hạn giải quyết"),
         ("finished_date", "DATE", "Ngày giải quyết"), ("overdue_status", "VARCHAR", "Tình trạng"),
         ("days_late", "INTEGER", "Số ngày làm việc trễ")],
        {"dossiers": ("COUNT(*)", "Số hồ sơ", ",d")}, main_dttm_col="received_date"),
    Dataset(
        "cchc_unit_rankings", "Xếp hạng đơn vị theo từng chỉ số, năm và tháng",
        f"""SELECT r.indicator_code, {INDICATOR_VI.format(col='r.indicator_code')} AS indicator_name,
  r.period_type, r.period_start, year(r.period_start) AS year,
  CASE WHEN r.period_type = 'month' THEN month(r.period_start) END AS month,
  r.unit_key, u.unit_name, {_peer('r.peer_group')} AS peer_group,
  r.indicator_value, r.unit_rank, r.units_ranked, r.previous_rank, r.rank_change,
  coalesce(r.rank_change_label, CASE WHEN r.previous_rank IS NULL THEN 'mới xếp hạng' END) AS rank_change_label
FROM marts.mart_unit_rankings r JOIN marts.dim_unit u USING (unit_key)""",
        [("indicator_code", "VARCHAR", "Mã chỉ số"), ("indicator_name", "VARCHAR", "Chỉ số"),
         ("period_type", "VARCHAR", "Kỳ"), ("period_start", "DATE", "Kỳ bắt đầu"), ("year", "BIGINT", "Năm"),
         ("month", "BIGINT", "Tháng (số)"), ("unit_key", "VARCHAR", "Mã đơn vị"), ("unit_name", "VARCHAR", "Đơn vị"),
         ("peer_group", "VARCHAR", "Nhóm đơn vị"), ("indicator_value", "DOUBLE", "Giá trị"),
         ("unit_rank", "BIGINT", "Hạng"), ("units_ranked", "BIGINT", "Số đơn vị xếp hạng"),
         ("previous_rank", "BIGINT", "Hạng kỳ trước"), ("rank_change", "BIGINT", "Thay đổi (bậc)"),
         ("rank_change_label", "VARCHAR", "Thay đổi thứ hạng")],
        main_dttm_col="period_start"),
    Dataset(
        "cchc_par_index", "Chỉ số CCHC (PAR INDEX) và xếp loại theo đơn vị, năm",
        f"""SELECT p.unit_key, coalesce(u.unit_name, p.unit_name) AS unit_name, {_peer('p.peer_group')} AS peer_group,
  p.score_year AS year, p.index_pct / 100 AS index_share, p.classification_name, p.rank_in_peer_group,
  p.weakest_field_name, p.is_downgraded
FROM marts.mart_par_index p LEFT JOIN marts.dim_unit u USING (unit_key)""",
        [("unit_key", "VARCHAR", "Mã đơn vị"), ("unit_name", "VARCHAR", "Đơn vị"), ("peer_group", "VARCHAR", "Nhóm đơn vị"),
         ("year", "INTEGER", "Năm"), ("index_share", "DOUBLE", "PAR INDEX"), ("classification_name", "VARCHAR", "Xếp loại"),
         ("rank_in_peer_group", "BIGINT", "Hạng trong nhóm"), ("weakest_field_name", "VARCHAR", "Lĩnh vực yếu nhất"),
         ("is_downgraded", "BOOLEAN", "Bị hạ loại")],
        {"par_index": ("AVG(index_share)", "PAR INDEX bình quân", PCT), "units": ("COUNT(DISTINCT unit_key)", "Số đơn vị", ",d")}),
    Dataset(
        "cchc_commune_map", "Xã, phường theo tọa độ và tỷ lệ đúng hạn",
        f"""SELECT u.unit_key, u.unit_name, {_peer('u.peer_group')} AS peer_group, u.latitude, u.longitude,
  year(k.period_start) AS year, k.on_time_rate / 100 AS on_time_share,
  CASE WHEN k.on_time_rate >= 98 THEN '≥ 98%' WHEN k.on_time_rate >= 95 THEN '95% - dưới 98%'
       WHEN k.on_time_rate IS NULL THEN 'Chưa có hồ sơ' ELSE 'Dưới 95%' END AS on_time_band
FROM marts.dim_unit u JOIN marts.mart_dossier_kpis_unit k USING (unit_key)
WHERE u.unit_level = 'commune' AND k.period_type = 'year' AND u.latitude IS NOT NULL""",
        [("unit_key", "VARCHAR", "Mã đơn vị"), ("unit_name", "VARCHAR", "Đơn vị"), ("peer_group", "VARCHAR", "Nhóm đơn vị"),
         ("latitude", "DOUBLE", "Vĩ độ"), ("longitude", "DOUBLE", "Kinh độ"), ("year", "BIGINT", "Năm"),
         ("on_time_share", "DOUBLE", "Tỷ lệ đúng hạn"), ("on_time_band", "VARCHAR", "Mức đúng hạn")]),
    Dataset(
        "cchc_disbursement_province", "Giải ngân vốn đầu tư công toàn tỉnh theo tháng (lũy kế)",
        """SELECT make_date(report_year, report_month, 1) AS period_start, report_year AS year, report_month AS month,
  disbursement_rate_pct / 100 AS disbursed_share, expected_rate_pct / 100 AS expected_share,
  target_pct / 100 AS target_share, CAST(disbursed_ytd_mvnd AS DOUBLE) AS disbursed_ytd_mvnd,
  CAST(plan_total_mvnd AS DOUBLE) AS plan_total_mvnd
FROM marts.mart_disbursement_province_monthly""",
        [("period_start", "DATE", "Tháng"), ("year", "INTEGER", "Năm"), ("month", "INTEGER", "Tháng (số)"),
         ("disbursed_share", "DOUBLE", "Tỷ lệ giải ngân lũy kế"), ("expected_share", "DOUBLE", "Kế hoạch theo tiến độ"),
         ("target_share", "DOUBLE", "Mục tiêu 100%"), ("disbursed_ytd_mvnd", "DOUBLE", "Lũy kế giải ngân (triệu đồng)"),
         ("plan_total_mvnd", "DOUBLE", "Kế hoạch vốn (triệu đồng)")],
        {"disbursed": ("MAX(disbursed_share)", "Tỷ lệ giải ngân lũy kế", PCT),
         "expected": ("MAX(expected_share)", "Kế hoạch theo tiến độ", PCT),
         "target": ("MAX(target_share)", "Mục tiêu 100%", PCT)},
        main_dttm_col="period_start", unit_scoped=False),
    Dataset(
        "cchc_disbursement_units", "Giải ngân theo chủ đầu tư (đơn vị) và tháng",
        f"""SELECT make_date(m.report_year, m.report_month, 1) AS period_start, m.report_year AS year,
  m.report_month AS month, m.current_investor_unit_key AS unit_key, coalesce(u.unit_name, m.current_investor_unit_key) AS unit_name,
  {_peer('m.peer_group')} AS peer_group, m.disbursement_rate_pct / 100 AS disbursed_share,
  m.expected_rate_pct / 100 AS expected_share, m.gap_to_target_pct / 100 AS gap_share,
  m.projects_count, CAST(m.projects_below_curve_count AS BIGINT) AS projects_below_curve_count
FROM marts.mart_disbursement_investor_monthly m LEFT JOIN marts.dim_unit u ON u.unit_key = m.current_investor_unit_key""",
        [("period_start", "DATE", "Tháng"), ("year", "INTEGER", "Năm"), ("month", "INTEGER", "Tháng (số)"),
         ("unit_key", "VARCHAR", "Mã đơn vị"), ("unit_name", "VARCHAR", "Chủ đầu tư"), ("peer_group", "VARCHAR", "Nhóm đơn vị"),
         ("disbursed_share", "DOUBLE", "Tỷ lệ giải ngân lũy kế"), ("expected_share", "DOUBLE", "Kế hoạch theo tiến độ"),
         ("gap_share", "DOUBLE", "Chênh lệch với mục tiêu"), ("projects_count", "BIGINT", "Số dự án"),
         ("projects_below_curve_count", "BIGINT", "Dự án chậm tiến độ")],
        main_dttm_col="period_start"),
    Dataset(
        "cchc_disbursement_projects", "Dự án đầu tư công: tỷ lệ giải ngân ở tháng báo cáo gần nhất của năm",
        f"""SELECT f.report_year AS year, f.report_month AS month, f.project_code, f.project_name,
  f.current_investor_unit_key AS unit_key, coalesce(u.unit_name, f.investor_name) AS unit_name,
  {_peer('u.peer_group')} AS peer_group, CAST(f.plan_total_mvnd AS DOUBLE) AS plan_total_mvnd,
  CAST(f.disbursed_ytd_mvnd AS DOUBLE) AS disbursed_ytd_mvnd, f.disbursement_rate_pct / 100 AS disbursed_share
FROM marts.fct_disbursement_monthly f LEFT JOIN marts.dim_unit u ON u.unit_key = f.current_investor_unit_key
WHERE f.is_last_report_month""",
        [("year", "INTEGER", "Năm"), ("month", "INTEGER", "Tháng (số)"), ("project_code", "VARCHAR", "Mã dự án"),
         ("project_name", "VARCHAR", "Dự án"), ("unit_key", "VARCHAR", "Mã đơn vị"), ("unit_name", "VARCHAR", "Chủ đầu tư"),
         ("peer_group", "VARCHAR", "Nhóm đơn vị"), ("plan_total_mvnd", "DOUBLE", "Kế hoạch vốn (triệu đồng)"),
         ("disbursed_ytd_mvnd", "DOUBLE", "Lũy kế giải ngân (triệu đồng)"), ("disbursed_share", "DOUBLE", "Tỷ lệ giải ngân")]),
    Dataset(
        "cchc_papi", "PAPI: các tỉnh, tám lĩnh vực, xếp hạng toàn quốc",
        f"""SELECT score_year AS year, province_name, region_name, gso_province_code = '{DEMO_PROVINCE}' AS is_demo_province,
  aggregate_score, national_rank, ranked_province_count, quartile_tier, rank_change_label,
  d1_participation, d2_transparency, d3_vertical_accountability, d4_control_of_corruption,
  d5_public_administrative_procedures, d6_public_service_delivery, d7_environmental_governance, d8_e_governance
FROM marts.mart_papi_province_year""",
        [("year", "INTEGER", "Năm"), ("province_name", "VARCHAR", "Tỉnh, thành phố"), ("region_name", "VARCHAR", "Vùng"),
         ("is_demo_province", "BOOLEAN", "Tỉnh mình"), ("aggregate_score", "DOUBLE", "Điểm PAPI"),
         ("national_rank", "BIGINT", "Hạng toàn quốc"), ("ranked_province_count", "BIGINT", "Số tỉnh xếp hạng"),
         ("quartile_tier", "VARCHAR", "Nhóm"), ("rank_change_label", "VARCHAR", "Thay đổi thứ hạng"),
         ("d1_participation", "DOUBLE", "1. Tham gia của người dân"), ("d2_transparency", "DOUBLE", "2. Công khai, minh bạch"),
         ("d3_vertical_accountability", "DOUBLE", "3. Trách nhiệm giải trình"),
         ("d4_control_of_corruption", "DOUBLE", "4. Kiểm soát tham nhũng"),
         ("d5_public_administrative_procedures", "DOUBLE", "5. Thủ tục hành chính công"),
         ("d6_public_service_delivery", "DOUBLE", "6. Cung ứng dịch vụ công"),
         ("d7_environmental_governance", "DOUBLE", "7. Quản trị môi trường"), ("d8_e_governance", "DOUBLE", "8. Quản trị điện tử")],
        {"province_score": (f"MAX(CASE WHEN is_demo_province THEN aggregate_score END)", "Điểm của tỉnh", ",.2f"),
         "national_median": ("MEDIAN(aggregate_score)", "Trung vị toàn quốc", ",.2f"),
         "province_rank": ("MAX(CASE WHEN is_demo_province THEN national_rank END)", "Hạng của tỉnh", ",d")},
        unit_scoped=False),
    Dataset(
        "cchc_quality_results", "Kết quả kiểm tra chất lượng dữ liệu (Great Expectations)",
        """SELECT run_id, validated_at, CAST(validated_at AS DATE) AS validated_date, year(validated_at) AS year,
  month(validated_at) AS month, suite, expectation, r.unit_key, coalesce(u.unit_name, r.unit_name) AS unit_name,
  CAST(observed_value AS VARCHAR) AS observed_value,
  CASE severity WHEN 'critical' THEN 'Nghiêm trọng' WHEN 'warning' THEN 'Cảnh báo' ELSE severity END AS severity,
  success, message_vi
FROM quality.validation_results r LEFT JOIN marts.dim_unit u ON u.unit_key = r.unit_key""",
        [("run_id", "VARCHAR", "Lần chạy"), ("validated_at", "TIMESTAMP", "Thời điểm kiểm tra"),
         ("validated_date", "DATE", "Ngày kiểm tra"), ("year", "BIGINT", "Năm"), ("month", "BIGINT", "Tháng (số)"),
         ("suite", "VARCHAR", "Bộ kiểm tra"), ("expectation", "VARCHAR", "Điều kiện"), ("unit_key", "VARCHAR", "Mã đơn vị"),
         ("unit_name", "VARCHAR", "Đơn vị"), ("observed_value", "VARCHAR", "Giá trị quan sát"),
         ("severity", "VARCHAR", "Mức độ"), ("success", "BOOLEAN", "Đạt"),
         ("message_vi", "VARCHAR", "Mô tả")],
        {"failed_checks": ("SUM(CASE WHEN NOT success THEN 1 ELSE 0 END)", "Số kiểm tra không đạt", ",d"),
         "checks": ("COUNT(*)", "Số kiểm tra", ",d")},
        main_dttm_col="validated_date"),
]
DATASETS_BY_NAME = {d.name: d for d in DATASETS}


# --- charts ----------------------------------------------------------------------------

@dataclass
class Chart:
    key: str
    title: str
    dataset: str
    viz: str  # table, table_agg, big_number_total, line, bar, pie, deck_scatter
    columns: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    where: str = ""
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (column or metric, ascending)
    row_limit: int = 1000
    extra: dict = field(default_factory=dict)  # viz-specific form data
    width: int = 6
    height: int = 50

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
                   "units_ranked", "rank_change", "rank_change_label"]

CHARTS = [
    # 1 Tổng quan
    Chart("overview_on_time", "Tỷ lệ hồ sơ giải quyết đúng hạn", "cchc_dossier_kpis_unit", "big_number_total",
          metrics=["on_time_rate"], width=3, height=30),
    Chart("overview_online", "Tỷ lệ hồ sơ trực tuyến", "cchc_dossier_kpis_unit", "big_number_total",
          metrics=["online_share"], width=3, height=30),
    Chart("overview_trend", "Xu hướng: đúng hạn, trực tuyến, số hóa theo tháng", "cchc_dossier_kpis_unit", "line",
          columns=["period_start"], metrics=["on_time_rate", "online_share", "output_digitisation_rate"], width=6, height=60),
    Chart("overview_papi", "Vị trí của tỉnh trên toàn quốc (PAPI)", "cchc_papi", "table_agg",
          columns=["year"], metrics=["province_score", "national_median", "province_rank"],
          order_by=[("year", False)], width=6, height=60),
    Chart("overview_map", "Bản đồ xã, phường theo tỷ lệ đúng hạn", "cchc_commune_map", "deck_scatter",
          columns=["latitude", "longitude", "on_time_band", "unit_name"], width=6, height=60),
    # 2 Xếp hạng đơn vị
    Chart("ranking_year", "Xếp hạng năm theo chỉ số", "cchc_unit_rankings", "table", columns=RANKING_COLUMNS,
          where="period_type = 'year'",
          order_by=[("year", False), ("indicator_name", True), ("peer_group", True), ("unit_rank", True)],
          row_limit=50000, extra=RANKING_TABLE, width=12, height=70),
    Chart("ranking_month", "Xếp hạng tháng theo chỉ số", "cchc_unit_rankings", "table",
          columns=["month"] + RANKING_COLUMNS, where="period_type = 'month'",
          order_by=[("year", False), ("month", False), ("indicator_name", True), ("peer_group", True),
                    ("unit_rank", True)],
          row_limit=50000, extra=RANKING_TABLE, width=12, height=70),
    Chart("ranking_par", "PAR INDEX và xếp loại", "cchc_par_index", "table",
          columns=["year", "unit_name", "peer_group", "index_share", "classification_name", "rank_in_peer_group",
                   "weakest_field_name"], order_by=[("year", False), ("index_share", False)], width=8),
    Chart("ranking_classes", "Số đơn vị theo xếp loại", "cchc_par_index", "pie",
          columns=["classification_name"], metrics=["units"], width=4),
    # 3 Giải quyết hồ sơ TTHC
    Chart("dossier_monthly", "Hồ sơ theo tháng: đúng hạn và trễ hạn", "cchc_dossier_kpis_unit", "bar",
          columns=["period_start"], metrics=["finished_on_time", "finished_late"], extra={"stack": "Stack"},
          width=12, height=50),
    Chart("dossier_units", "Kết quả giải quyết theo đơn vị", "cchc_dossier_kpis_unit", "table_agg",
          columns=["unit_name", "peer_group"], metrics=["received", "finished", "finished_late", "on_time_rate",
                                                        "online_share", "input_digitisation_rate", "output_digitisation_rate"],
          order_by=[("on_time_rate", True)], width=12, height=60),
    Chart("dossier_fields", "Kết quả giải quyết theo lĩnh vực", "cchc_dossier_kpis_field", "table_agg",
          columns=["field_name"], metrics=["received", "finished_late", "on_time_rate", "online_share"],
          order_by=[("finished_late", False)], row_limit=100, width=6, height=60),
    Chart("dossier_overdue", "Danh sách hồ sơ quá hạn", "cchc_overdue_dossiers", "table",
          columns=["unit_name", "dossier_id", "procedure_name", "received_date", "due_date", "finished_date",
                   "overdue_status", "days_late"], order_by=[("due_date", False)], width=6, height=60),
    # 4 Giải ngân vốn đầu tư công
    Chart("disbursement_curve", "Giải ngân lũy kế so với kế hoạch và mục tiêu 100%", "cchc_disbursement_province", "line",
          columns=["period_start"], metrics=["disbursed", "expected", "target"], width=12, height=60),
    Chart("disbursement_units", "Chủ đầu tư giải ngân chậm", "cchc_disbursement_units", "table",
          columns=["year", "month", "unit_name", "peer_group", "disbursed_share", "expected_share", "gap_share",
                   "projects_count", "projects_below_curve_count"],
          order_by=[("year", False), ("month", False), ("gap_share", False)], row_limit=5000, width=6, height=60),
    Chart("disbursement_projects", "Dự án giải ngân chậm", "cchc_disbursement_projects", "table",
          columns=["year", "project_name", "unit_name", "plan_total_mvnd", "disbursed_ytd_mvnd", "disbursed_share"],
          order_by=[("year", False), ("disbursed_share", True)], width=6, height=60),
    # 5 PAPI toàn quốc
    Chart("papi_ranking", "PAPI: xếp hạng các tỉnh và tám lĩnh vực", "cchc_papi", "table",
          columns=["year", "national_rank", "province_name", "aggregate_score", "quartile_tier", "rank_change_label",
                   "d1_participation", "d2_transparency", "d3_vertical_accountability", "d4_control_of_corruption",
                   "d5_public_administrative_procedures", "d6_public_service_delivery",
                   "d7_environmental_governance", "d8_e_governance"],
          order_by=[("year", False), ("national_rank", True)], row_limit=2000, width=12, height=70),
    Chart("papi_vs_median", "Điểm PAPI của tỉnh so với trung vị toàn quốc", "cchc_papi", "bar",
          columns=["year"], metrics=["province_score", "national_median"], width=12, height=50),
    # 6 Chất lượng dữ liệu
    Chart("quality_failures", "Kiểm tra không đạt theo thời gian", "cchc_quality_results", "bar",
          columns=["validated_date"], metrics=["failed_checks"], extra={"groupby": ["severity"], "stack": "Stack"},
          width=12, height=50),
    Chart("quality_units", "Đơn vị có kiểm tra không đạt (thiếu hoặc sai dữ liệu)", "cchc_quality_results", "table",
          columns=["validated_at", "unit_name", "suite", "expectation", "observed_value", "severity",
                   "message_vi"], where="NOT success AND unit_key IS NOT NULL", order_by=[("validated_at", False)], width=12, height=60),
]
CHARTS_BY_KEY = {c.key: c for c in CHARTS}


@dataclass
class Dashboard:
    slug: str
    title: str
    rows: list[list[str]]  # chart keys, row by row
    filters: list[str] = field(default_factory=lambda: ["year", "month", "peer_group", "unit_name"])
    filter_dataset: str | None = None  # where the filters list their values (default: FILTERS)

    @property
    def uuid(self) -> str:
        return stable_uuid("dashboard", self.slug)


DASHBOARDS = [
    Dashboard("cchc-tong-quan", "1. Tổng quan CCHC",
              [["overview_on_time", "overview_online", "overview_papi"], ["overview_trend", "overview_map"]]),
    Dashboard("cchc-xep-hang", "2. Xếp hạng đơn vị",
              [["ranking_year"], ["ranking_month"], ["ranking_par", "ranking_classes"]]),
    Dashboard("cchc-ho-so", "3. Giải quyết hồ sơ TTHC",
              [["dossier_monthly"], ["dossier_units"], ["dossier_fields", "dossier_overdue"]]),
    Dashboard("cchc-giai-ngan", "4. Giải ngân vốn đầu tư công",
              [["disbursement_curve"], ["disbursement_units", "disbursement_projects"]]),
    Dashboard("cchc-papi", "5. PAPI toàn quốc", [["papi_vs_median"], ["papi_ranking"]], filters=["year"],
              filter_dataset="cchc_papi"),
    Dashboard("cchc-chat-luong", "6. Chất lượng dữ liệu", [["quality_failures"], ["quality_units"]],
              filters=["year", "month", "unit_name"], filter_dataset="cchc_quality_results"),
]

FILTERS = {  # column: (label, dataset whose values the filter lists)
    "year": ("Năm", "cchc_unit_rankings"),
    "month": ("Tháng", "cchc_dossier_kpis_unit"),
    "peer_group": ("Nhóm đơn vị", "cchc_unit_rankings"),
    "unit_name": ("Đơn vị", "cchc_unit_rankings"),
}


# --- writing -----------------------------------------------------------------------------

def _x_axis(chart: Chart) -> dict:
    col = chart.columns[0]
    return {"columnType": "BASE_AXIS", "sqlExpression": col, "label": col, "expressionType": "SQL",
            "timeGrain": "P1M" if DATASETS_BY_NAME[chart.dataset].main_dttm_col == col else None}


def chart_params(chart: Chart) -> dict:
    """The chart's form data: what the browser renders from."""
    dataset = DATASETS_BY_NAME[chart.dataset]
    params: dict = {"viz_type": chart.viz, "datasource": "__table", "row_limit": chart.row_limit,
                    "adhoc_filters": ([{"expressionType": "SQL", "sqlExpression": chart.where, "clause": "WHERE",
                                        "subject": None, "operator": None, "comparator": None,
                                        "filterOptionName": f"filter_{chart.key}"}] if chart.where else []),
                    "extra_form_data": {}, "dashboards": []}
    pct_columns = [c for c in chart.columns if c.endswith("_share")]
    column_config = {c: {"d3NumberFormat": PCT} for c in pct_columns}
    column_config.update({c: {"d3NumberFormat": ",.2f"} for c in chart.columns
                          if c in ("indicator_value", "aggregate_score", "plan_total_mvnd", "disbursed_ytd_mvnd")
                          or c.startswith("d") and c[1:2].isdigit()})
    if chart.viz == "table":
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
        params.update(metric=chart.metrics[0], y_axis_format=PCT, subheader="Toàn kỳ đã chọn (theo bộ lọc)",
                      header_font_size=0.4, subheader_font_size=0.15)
    elif chart.viz in ("line", "bar"):
        temporal = dataset.main_dttm_col == chart.columns[0]
        params.update(viz_type="echarts_timeseries_line" if chart.viz == "line" else "echarts_timeseries_bar",
                      x_axis=chart.columns[0], time_grain_sqla="P1M" if temporal else None,
                      metrics=chart.metrics, groupby=chart.extra.get("groupby", []),
                      x_axis_time_format="%m/%Y" if temporal else "SMART_NUMBER",
                      y_axis_format=DATASETS_BY_NAME[chart.dataset].metrics[chart.metrics[0]][2] or ",.2f",
                      tooltipTimeFormat=DATE_FORMAT, rich_tooltip=True, show_legend=True, legendType="scroll",
                      legendOrientation="top", x_axis_sort_asc=True, order_desc=True, truncateYAxis=False,
                      stack=chart.extra.get("stack"), markerEnabled=True, only_total=True,
                      comparison_type="values", annotation_layers=[], forecastEnabled=False)
    elif chart.viz == "pie":
        params.update(viz_type="pie", groupby=chart.columns, metric=chart.metrics[0], show_labels=True,
                      labels_outside=True, label_type="key_percent", number_format=",d", show_legend=True,
                      legendOrientation="right", donut=True)
    elif chart.viz == "deck_scatter":
        lat, lon, dimension, _ = chart.columns
        params.update(spatial={"type": "latlong", "latCol": lat, "lonCol": lon}, dimension=dimension,
                      point_radius_fixed={"type": "fix", "value": "1500"}, point_unit="meters",
                      min_radius=2, max_radius=30, multiplier=1, js_columns=[],
                      color_picker={"r": 0, "g": 122, "b": 135, "a": 1}, color_scheme="supersetColors",
                      mapbox_style="", autozoom=True,
                      viewport={"longitude": 105.7, "latitude": 18.3, "zoom": 8, "bearing": 0, "pitch": 0})
    params.update({k: v for k, v in chart.extra.items() if k not in ("groupby", "stack")})
    return params


def query_context(chart: Chart) -> dict:
    """What the chart data API runs for this chart (tests, reports, caches)."""
    where = chart.where
    # capped: a server-paginated table asks for one page at a time, never the whole limit
    query: dict = {"filters": [], "extras": {"where": where, "having": ""}, "row_limit": min(chart.row_limit, 10000),
                   "time_range": "No filter", "annotation_layers": [], "applied_time_extras": {},
                   "url_params": {}, "custom_params": {}, "custom_form_data": {}}
    if chart.viz in ("line", "bar"):
        query.update(columns=[_x_axis(chart), *chart.extra.get("groupby", [])], metrics=chart.metrics,
                     orderby=[[chart.metrics[0], False]], series_columns=chart.extra.get("groupby", []))
    elif chart.viz == "deck_scatter":
        query.update(columns=chart.columns, metrics=[], orderby=[])
    elif chart.viz == "table":
        query.update(columns=chart.columns, metrics=[], orderby=[[c, asc] for c, asc in chart.order_by])
    else:
        query.update(columns=chart.columns, metrics=chart.metrics,
                     orderby=[[c, asc] for c, asc in chart.order_by] or ([[chart.metrics[0], False]] if chart.columns else []))
    return {"datasource": {"id": 0, "type": "table"}, "force": False, "queries": [query],
            "form_data": chart_params(chart), "result_format": "json", "result_type": "full"}


def _database_yaml(uri: str) -> dict:
    return {"database_name": DATABASE_NAME, "sqlalchemy_uri": uri, "cache_timeout": None,
            "expose_in_sqllab": True, "allow_run_async": False, "allow_ctas": False, "allow_cvas": False,
            "allow_dml": False, "allow_file_upload": False, "impersonate_user": False,
            "extra": {"allows_virtual_table_explore": True, "disable_data_preview": False,
                      "metadata_params": {}, "engine_params": {}, "schemas_allowed_for_file_upload": []},
            "uuid": stable_uuid("database", DATABASE_NAME), "version": VERSION}


def _dataset_yaml(ds: Dataset) -> dict:
    dttm_types = ("DATE", "TIMESTAMP")
    return {
        "table_name": ds.name, "main_dttm_col": ds.main_dttm_col, "description": ds.description,
        "default_endpoint": None, "offset": 0, "cache_timeout": None, "schema": "marts", "catalog": None,
        "sql": ds.sql, "params": None, "template_params": None, "filter_select_enabled": True,
        "fetch_values_predicate": None, "extra": None, "normalize_columns": False, "always_filter_main_dttm": False,
        "uuid": ds.uuid,
        "metrics": [{"metric_name": name, "verbose_name": label, "metric_type": None, "expression": expr,
                     "description": None, "d3format": fmt, "currency": None, "extra": {}, "warning_text": None}
                    for name, (expr, label, fmt) in ds.metrics.items()],
        "columns": [{"column_name": name, "verbose_name": label, "is_dttm": typ in dttm_types, "is_active": True,
                     "type": typ, "advanced_data_type": None, "groupby": True, "filterable": True,
                     "expression": None, "description": None, "python_date_format": None, "extra": {}}
                    for name, typ, label in ds.columns],
        "version": VERSION, "database_uuid": stable_uuid("database", DATABASE_NAME),
    }


def _chart_yaml(chart: Chart) -> dict:
    return {"slice_name": chart.title, "description": None, "certified_by": None, "certification_details": None,
            "viz_type": chart_params(chart)["viz_type"], "params": chart_params(chart),
            "query_context": json.dumps(query_context(chart), ensure_ascii=False),
            "cache_timeout": None, "uuid": chart.uuid, "version": VERSION,
            "dataset_uuid": DATASETS_BY_NAME[chart.dataset].uuid}


def _dashboard_yaml(dash: Dashboard, chart_ids: dict[str, int]) -> dict:
    position: dict = {"DASHBOARD_VERSION_KEY": "v2",
                      "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
                      "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
                      "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dash.title}}}
    for r, row in enumerate(dash.rows):
        row_id = f"ROW-{dash.slug}-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for key in row:
            chart = CHARTS_BY_KEY[key]
            chart_id = f"CHART-{key}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {"type": "CHART", "id": chart_id, "children": [],
                                  "parents": ["ROOT_ID", "GRID_ID", row_id],
                                  "meta": {"width": chart.width, "height": chart.height, "chartId": chart_ids[key],
                                           "uuid": chart.uuid, "sliceName": chart.title}}
    filters = []
    for column in dash.filters:
        label, dataset = FILTERS[column]
        dataset = dash.filter_dataset or dataset
        filters.append({
            "id": f"NATIVE_FILTER-{dash.slug}-{column}", "name": label, "filterType": "filter_select",
            "type": "NATIVE_FILTER", "description": "",
            "targets": [{"column": {"name": column}, "datasetUuid": DATASETS_BY_NAME[dataset].uuid}],
            "controlValues": {"enableEmptyFilter": False, "defaultToFirstItem": False, "multiSelect": True,
                              "searchAllOptions": False, "inverseSelection": False, "sortAscending": column != "year"},
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
            "cascadeParentIds": [], "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
        })
    metadata = {"native_filter_configuration": filters, "color_scheme": "supersetColors", "refresh_frequency": 0,
                "expanded_slices": {}, "label_colors": {}, "shared_label_colors": [], "color_scheme_domain": [],
                "timed_refresh_immune_slices": [], "cross_filters_enabled": False, "default_filters": "{}",
                "chart_configuration": {},
                "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []}}
    return {"dashboard_title": dash.title, "description": None, "css": "", "slug": dash.slug,
            "certified_by": None, "certification_details": None, "published": True,
            "uuid": dash.uuid, "position": position, "metadata": metadata, "version": VERSION}


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in text).strip("_")


def bundle_files(serving_path: Path | str = SERVING_PLACEHOLDER) -> dict[str, str]:
    """Relative path -> YAML text of every file of the bundle."""
    def dump(data: dict) -> str:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)

    chart_ids = {chart.key: n for n, chart in enumerate(CHARTS, start=1)}
    files = {"metadata.yaml": dump({"version": VERSION, "type": "assets", "timestamp": "2026-11-22T00:00:00+00:00"}),
             f"databases/{_safe_name('cchc_serving')}.yaml": dump(_database_yaml(database_uri(serving_path)))}
    for ds in DATASETS:
        files[f"datasets/cchc_serving/{ds.name}.yaml"] = dump(_dataset_yaml(ds))
    for chart in CHARTS:
        files[f"charts/{chart.key}.yaml"] = dump(_chart_yaml(chart))
    for dash in DASHBOARDS:
        files[f"dashboards/{dash.slug}.yaml"] = dump(_dashboard_yaml(dash, chart_ids))
    return files


def write_bundle(out_dir: Path, serving_path: Path | str = SERVING_PLACEHOLDER) -> list[Path]:
    """Write the bundle as a folder (replacing what was there); returns the files written."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    written = []
    for rel, text in bundle_files(serving_path).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def read_bundle(bundle_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(bundle_dir)): p.read_text(encoding="utf-8")
            for p in sorted(bundle_dir.rglob("*.yaml"))}
