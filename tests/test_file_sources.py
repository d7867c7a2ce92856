"""File-drop source systems (treasury, SIPAS, PAR, PAPI): deterministic, in the documented
layout (docs/sources/file-layouts.md), realistic within stated bands, and every injected
fault present in the files and listed in the manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from cchc.settings import load_settings
from cchc.simulator.config import FaultConfig, preset
from cchc.simulator.files import build_context, generate_file_drops, par, sipas, treasury
from cchc.simulator.units import latent_quality, load_units

START, END = date(2024, 1, 1), date(2025, 12, 31)
FAULTS = preset("faulty").faults


def _simulate(config, drop_dir: Path):
    reference_dir = load_settings().reference_dir
    units = load_units(reference_dir, config.provinces, config.seed)
    quality = latent_quality(units, config.seed, range(min(config.start.year, 2020), config.end.year + 1))
    manifest = generate_file_drops(config, units, quality, drop_dir)
    return build_context(config, units, quality, drop_dir, reference_dir), manifest


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """Two years of files with every fault on: (context, manifest)."""
    return _simulate(preset("faulty", start=START, end=END), tmp_path_factory.mktemp("faulty"))


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    small = dict(start=date(2025, 10, 1), end=date(2025, 12, 31))
    _, first = _simulate(preset("faulty", **small), tmp_path / "a")
    _, second = _simulate(preset("faulty", **small), tmp_path / "b")
    _, other = _simulate(preset("faulty", seed=7, **small), tmp_path / "c")
    a, b, c = (_digests(tmp_path / name) for name in "abc")
    assert len(a) == 6 and a == b and first == second
    assert set(a) == set(c)
    changed = {name for name in a if a[name] != c[name]}
    assert changed == set(a) - {"papi/agg_province_year.csv"}


def test_clean_preset_injects_nothing(tmp_path):
    context, manifest = _simulate(preset("demo", start=date(2025, 11, 1), end=date(2025, 12, 31)), tmp_path)
    assert manifest == []
    assert sorted(p.name for p in (tmp_path / "treasury").iterdir()) == ["KBNN_42_2025_11.xlsx",
                                                                         "KBNN_42_2025_12.xlsx"]
    content = (tmp_path / "sipas" / "SIPAS_42_2025.csv").read_bytes()
    content.decode("utf-8")  # no line in another encoding


# ---------------------------------------------------------------- layouts

def test_files_per_period(faulty):
    context, _ = faulty
    drop = context.drop_dir
    months = [f"KBNN_42_{y}_{m:02d}.xlsx" for y in (2024, 2025) for m in range(1, 13)]
    assert sorted(p.name for p in (drop / "treasury").iterdir()) == months
    assert sorted(p.name for p in (drop / "sipas").iterdir()) == ["SIPAS_42_2024.csv", "SIPAS_42_2025.csv"]
    assert sorted(p.name for p in (drop / "par").iterdir()) == ["PAR_42_2024.xlsx", "PAR_42_2025.xlsx"]


def test_survey_years_end_with_the_survey():
    from cchc.simulator.files import survey_years

    assert survey_years(preset("demo", start=date(2022, 1, 1), end=date(2025, 10, 31))) == [2022, 2023, 2024]
    assert survey_years(preset("demo", start=date(2022, 1, 1), end=date(2025, 11, 1))) == [2022, 2023, 2024, 2025]


def test_treasury_report_layout(faulty):
    context, _ = faulty
    sheet = load_workbook(context.drop_dir / "treasury" / "KBNN_42_2024_03.xlsx").active
    assert sheet["A1"].value == "KHO BẠC NHÀ NƯỚC HÀ TĨNH"
    assert sheet["A4"].value == "BÁO CÁO TÌNH HÌNH GIẢI NGÂN VỐN ĐẦU TƯ CÔNG"
    assert sheet["A5"].value == "Tháng 03 năm 2024"
    assert "Đơn vị tính: triệu đồng" in [c.value for c in sheet[6]]
    assert [c.value for c in sheet[7]] == ["STT", "Mã dự án", "Tên dự án", "Mã chủ đầu tư", "Chủ đầu tư",
                                           "Kế hoạch vốn năm 2024", None, "Giải ngân", None, "Tỷ lệ giải ngân (%)"]
    assert [c.value for c in sheet[8]][5:9] == ["Tổng số", "Trong đó: Thủ tướng Chính phủ giao", "Trong tháng",
                                                "Lũy kế từ đầu năm"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A7:A8", "B7:B8", "F7:G7", "H7:I7", "J7:J8"} <= merged
    assert sheet["C10"].value == "TỔNG CỘNG" and sheet["A11"].value == "I"
    rows = list(sheet.iter_rows(min_row=11, values_only=True))
    projects = [r for r in rows if isinstance(r[0], int)]
    assert 100 <= len({r[1] for r in projects}) <= 200
    text_numbers = [r[5] for r in projects if isinstance(r[5], str)]
    assert text_numbers and all(re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{3}", v) for v in text_numbers)
    assert sheet.cell(row=12, column=8).number_format == "#,##0.000"
    assert any(r[7] == "GIÁM ĐỐC" for r in rows)
    assert load_workbook(context.drop_dir / "treasury" / "KBNN_42_2024_03.xlsx").properties.creator \
        == "Kho bạc Nhà nước Hà Tĩnh"


def test_sipas_export_layout(faulty):
    context, _ = faulty
    data = (context.drop_dir / "sipas" / "SIPAS_42_2024.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    header = next(csv.reader(io.StringIO(data[3:data.index(b"\r\n")].decode("utf-8"))))
    assert header[:10] == ["Mã phiếu", "Năm", "Ngày khảo sát", "Mã đơn vị", "Tên đơn vị", "Lĩnh vực", "Họ và tên",
                           "Số điện thoại", "Giới tính", "Nhóm tuổi"]
    questions = header[10:]
    assert questions[0] == "TC1.1 Nơi ngồi chờ tại Bộ phận Một cửa có đủ chỗ ngồi"
    assert Counter(q[:2] for q in questions) == {"TC": 4, "TT": 5, "CC": 5, "KQ": 3, "GY": 4, "CS": 3}
    assert all(re.match(r"^[A-Z]{2}\d\.\d+ \S", q) for q in questions)
    assert [q for q, _ in sipas.questions(2021)][-1] == "GY5.4"  # policy questions from 2022 only
    first = next(csv.reader(io.StringIO(data[data.index(b"\r\n") + 2:].decode("utf-8", "replace"))))
    assert re.fullmatch(r"42-2024-\d{6}", first[0]) and re.fullmatch(r"\d{2}/\d{2}/2024", first[2])
    assert re.fullmatch(r"0\d{9}", first[7])


def test_par_workbook_layout(faulty):
    context, _ = faulty
    old = load_workbook(context.drop_dir / "par" / "PAR_42_2024.xlsx", read_only=True)
    new = load_workbook(context.drop_dir / "par" / "PAR_42_2025.xlsx", read_only=True)
    assert old.sheetnames == ["Sở, ban, ngành", "UBND cấp huyện", "UBND cấp xã"]
    assert new.sheetnames == ["Sở, ban, ngành", "UBND cấp xã"]
    rows = list(new["UBND cấp xã"].iter_rows(values_only=True))
    assert rows[0][0] == "ỦY BAN NHÂN DÂN TỈNH HÀ TĨNH"
    assert rows[3][0] == "KẾT QUẢ THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2025"
    assert list(rows[6]) == ["STT", "Mã đơn vị", "Tên đơn vị", "Lĩnh vực", "Mã tiêu chí", "Tiêu chí", "Điểm tối đa",
                             "Điểm tự đánh giá", "Điểm thẩm định"]
    units = {r[1] for r in rows[7:] if r[1]}
    assert units and all(u.startswith("2025:") for u in units)
    departments = {r[1] for r in new["Sở, ban, ngành"].iter_rows(min_row=8, values_only=True) if r[1]}
    assert departments and all(u.startswith("dept_2025:") for u in departments)


def test_papi_dropped_unchanged(faulty):
    context, _ = faulty
    seed = load_settings().sources_dir / "papi" / "agg_province_year.csv"
    assert (context.drop_dir / "papi" / "agg_province_year.csv").read_bytes() == seed.read_bytes()
    assert (seed.parent / "README.md").exists() and (seed.parent / "dim_indicator.csv").exists()


def test_par_methodology_schemes_add_up():
    path = load_settings().sources_dir / "par_methodology.yaml"
    header = path.read_text(encoding="utf-8").split("\nfields:")[0]
    assert "DEMO methodology" in header and "2948/QĐ-BNV" in header
    schemes = par.load_methodology(path)
    assert {(s.peer_group, s.version) for s in schemes} == {
        (g, v) for g in ("department", "district", "commune") for v in ("2017", "2024")}
    for scheme in schemes:
        assert len(scheme.fields) == 7 and sum(scheme.fields.values()) == 100
        for code, maximum in scheme.fields.items():
            criteria = [c.max_points for c in scheme.criteria if c.field_code == code]
            assert 2 <= len(criteria) <= 6 and sum(criteria) == maximum
    assert par.scheme_for(schemes, "commune", 2025).version == "2024"
    assert par.scheme_for(schemes, "commune", 2023).version == "2017"


# ---------------------------------------------------------------- realism

def test_treasury_disbursement_is_realistic(faulty):
    context, _ = faulty
    reports = treasury.plan_reports(context, "42")
    rows = [(report, row) for report in reports for row in report.rows if not row.is_copy]
    assert all(row.plan_pm <= row.plan_total for _, row in rows)
    assert any(row.plan_pm < row.plan_total for _, row in rows)
    # Year-end rate per investor: most between 80% and 100%, good ones at 100%, weak ones lower.
    year_end = defaultdict(lambda: [0, 0])
    for report, row in rows:
        if report.month == 12:
            year_end[(report.year, row.investor.unit_key)][0] += row.disbursed_ytd
            year_end[(report.year, row.investor.unit_key)][1] += row.plan_total
    rates = np.array([done / plan for done, plan in year_end.values()])
    assert 0.85 <= np.median(rates) <= 0.95 and rates.max() <= 1.0
    assert (rates >= 0.98).mean() >= 0.05 and ((rates > 0.6) & (rates < 0.85)).mean() >= 0.1
    # Year-end surge: about 75-80% by November, most of the rest in December.
    by_month = defaultdict(lambda: [0, 0])
    for report, row in rows:
        if report.year == 2024:
            by_month[report.month][0] += row.disbursed_ytd
            by_month[report.month][1] += row.plan_total
    share = {m: done / plan for m, (done, plan) in by_month.items()}
    assert share[6] < 0.35 and 0.6 < share[11] < 0.8 and share[12] - share[11] > 0.15
    assert all(share[m] < share[m + 1] for m in range(1, 12))
    # Investors by era: departments and districts, then successor departments and 2025 communes.
    kinds = defaultdict(set)
    for report, row in rows:
        kinds[(report.year, report.month)].add(row.investor.unit_key.split(":")[0])
    assert kinds[(2025, 2)] == {"dept_legacy", "legacy"}
    assert kinds[(2025, 3)] == {"dept_2025", "legacy"}
    assert kinds[(2025, 7)] == {"dept_2025", "2025"}


def test_sipas_satisfaction_follows_quality(faulty):
    context, _ = faulty
    export = sipas.plan_exports(context, "42")[0]
    satisfied: dict[str, list[float]] = defaultdict(list)
    for row in export.rows:
        answers = [int(a) for a in row[10:] if a in ("1", "2", "3", "4", "5")]
        satisfied[row[3]].append(np.mean([a >= 4 for a in answers]))
    units = [u for u in satisfied if u in context.by_key]
    share = np.array([np.mean(satisfied[u]) for u in units])
    quality = np.array([context.quality_of(u, export.year) for u in units])
    assert 0.8 <= share.mean() <= 0.92
    assert np.corrcoef(share, quality)[0, 1] > 0.5
    top, bottom = quality >= np.quantile(quality, 0.75), quality <= np.quantile(quality, 0.25)
    assert share[top].mean() > share[bottom].mean() + 0.05
    # Sample floor, counting rows whose unit code was garbled back to their unit.
    sizes = Counter(row[3] for row in export.rows) + Counter(
        e["unit_key"] for _, e in export.row_faults if e["field"] == "Mã đơn vị")
    few = {e["unit_key"] for e in export.faults if e["fault"] == "few_sipas_responses"}
    assert all(n >= sipas.SAMPLE_FLOOR for u, n in sizes.items() if u not in few and u in context.by_key)
    assert all(sizes[u] == sipas.FEW_RESPONSES for u in few)


def test_par_scores_exercise_the_classification(faulty):
    context, _ = faulty
    for book in par.plan_workbooks(context, "42"):
        rows = [r for rows in book.sheets.values() for r in rows]
        assert np.mean([r.self_score >= r.appraised_score for r in rows]) >= 0.8
        assert all(0 <= r.appraised_score <= r.criterion.max_points for r in rows)
        fields: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
        for r in rows:
            fields[r.unit.unit_key][r.criterion.field_code][0] += r.appraised_score
            fields[r.unit.unit_key][r.criterion.field_code][1] += r.criterion.max_points
        index = {u: sum(a for a, _ in f.values()) for u, f in fields.items()}
        weakest = {u: min(a / m for a, m in f.values()) for u, f in fields.items()}
        assert 70 <= np.mean(list(index.values())) <= 90
        assert sum(w < 0.5 for w in weakest.values()) >= 3                      # không hoàn thành by a field
        assert sum(index[u] >= 80 and weakest[u] < 0.8 for u in index) >= 3    # class capped by a field
        assert any(i >= 90 for i in index.values())
        expected = {u.unit_key for u in context.scored_units("42", book.year)}
        left_out = {e["unit_key"] for e in book.faults}
        assert set(index) == expected - left_out


# ---------------------------------------------------------------- faults

def _within_rate(count: int, total: int, rate: float) -> bool:
    spread = 4 * (total * rate * (1 - rate)) ** 0.5 + 2
    return abs(count - total * rate) <= spread


def test_faults_at_their_rates_and_in_the_manifest(faulty):
    context, manifest = faulty
    kinds = Counter((e["source"], e["fault"]) for e in manifest)
    treasury_rows = sum(len(r.rows) for r in treasury.plan_reports(context, "42"))
    sipas_rows = sum(len(e.rows) for e in sipas.plan_exports(context, "42"))
    for source, rows in (("treasury", treasury_rows), ("sipas", sipas_rows)):
        assert _within_rate(kinds[(source, "malformed_row")], rows, FAULTS.malformed_row_rate)
        assert _within_rate(kinds[(source, "duplicate_row")], rows, FAULTS.duplicate_rate)
    assert kinds[("treasury", "missing_disbursement_month")] == FAULTS.missing_disbursement_months
    assert kinds[("par", "unit_without_par")] == 2 * FAULTS.units_without_par
    assert kinds[("sipas", "few_sipas_responses")] == 2 * FAULTS.units_with_few_sipas
    assert kinds[("sipas", "wrong_encoding")] >= sipas.SAMPLE_FLOOR
    assert all(set(e) == {"fault", "source", "file", "row", "sheet", "field", "unit_key", "detail"} for e in manifest)
    assert not FaultConfig().any


def test_sipas_faults_are_in_the_file(faulty):
    context, manifest = faulty
    for name in ("SIPAS_42_2024.csv", "SIPAS_42_2025.csv"):
        file = f"sipas/{name}"
        lines = (context.drop_dir / file).read_bytes()[3:].split(b"\r\n")
        entries = [e for e in manifest if e["file"] == file]
        cp1258 = {e["row"] for e in entries if e["fault"] == "wrong_encoding"}
        rows: dict[int, list[str]] = {}
        for number, line in enumerate(lines, start=1):
            try:
                rows[number] = next(csv.reader([line.decode("utf-8")])) if line else []
            except UnicodeDecodeError:
                assert number in cp1258
                assert sipas.encode_cp1258(line.decode("cp1258")) == line
        assert cp1258.isdisjoint(rows)
        header = rows[1]
        for entry in entries:
            if entry["fault"] == "malformed_row":
                value = rows[entry["row"]][header.index(entry["field"])]
                assert value in ("legacy:99999", "7", "abc") or not re.fullmatch(r"\d{2}/\d{2}/\d{4}", value) \
                    or value.startswith("31/02/"), entry
            elif entry["fault"] == "duplicate_row":
                copy = rows[entry["row"]]
                assert [n for n, r in rows.items() if r and r[0] == copy[0]][-1] == entry["row"]
                assert sum(1 for r in rows.values() if r == copy) == 2
            elif entry["fault"] == "few_sipas_responses":
                assert sum(1 for r in rows.values() if len(r) > 3 and r[3] == entry["unit_key"]) \
                    == sipas.FEW_RESPONSES


def test_treasury_and_par_faults_are_in_the_files(faulty):
    context, manifest = faulty
    by_file = defaultdict(list)
    for entry in manifest:
        by_file[entry["file"]].append(entry)
    for file, entries in by_file.items():
        if not file.startswith("treasury/"):
            continue
        year, month = map(int, re.search(r"_(\d{4})_(\d{2})\.", file).groups())
        labels = [column.full_label(year) for column in treasury.COLUMNS.values()]
        rows = list(load_workbook(context.drop_dir / file, read_only=True).active.iter_rows(values_only=True))
        for entry in entries:
            if entry["fault"] == "missing_disbursement_month":
                project = re.search(r"project (\d+)", entry["detail"])[1]
                assert all(r[1] != project for r in rows)
                continue
            row = rows[entry["row"] - 1]
            if entry["fault"] == "duplicate_row":
                assert rows[entry["row"] - 2] == row
                continue
            value = row[labels.index(entry["field"])]
            assert value in treasury.BROKEN_NUMBERS or value == "legacy:99999" or \
                context.by_key[value].valid_to < treasury.month_end(year, month), entry
    for entry in (e for e in manifest if e["fault"] == "unit_without_par"):
        book = load_workbook(context.drop_dir / entry["file"], read_only=True)
        assert all(r[1] != entry["unit_key"] for r in book[entry["sheet"]].iter_rows(values_only=True))
