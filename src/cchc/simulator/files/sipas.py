"""SIPAS survey exports (Chỉ số hài lòng về sự phục vụ hành chính).

One CSV per province and survey year, ``sipas/SIPAS_<province>_<yyyy>.csv``: UTF-8 with a
byte-order mark (what Excel needs to show Vietnamese), comma-separated, CRLF line ends,
one row per respondent with Vietnamese header labels, personal data as the survey team
sends it, and one column per question answered on a 1-5 scale (5 = very satisfied).

Every unit scored that year is surveyed between August and October with a sample that
scales with config.scale above a floor; the unit's latent quality drives satisfaction.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ..dossiers import load_procedures, procedure_pool
from ..units import REFORM_DATE, SimUnit
from . import FileDropContext, fault_entry, read_csv, survey_years
from .xlsx import write_atomic

SOURCE = "sipas"
FOLDER = "sipas"
SAMPLE_FLOOR = 30            # responses per unit and year, above the minimum sample (20) of the checks
FEW_RESPONSES = 5            # what a unit with too few responses gets (fault units_with_few_sipas)
FULL_SAMPLE = {"department": 150, "district": 150, "commune": 60}  # per unit of size 1.0 at scale 1.0
SURVEY_START = (8, 1)        # the survey runs from 1 August to 31 October
SURVEY_DAYS = 92

# Element code, number, name, questions; the policy element is asked from 2022.
ELEMENTS = (
    ("TC", 1, "Tiếp cận dịch vụ", 2017, (
        "Nơi ngồi chờ tại Bộ phận Một cửa có đủ chỗ ngồi",
        "Trang thiết bị phục vụ người dân, tổ chức đầy đủ",
        "Trang thiết bị phục vụ hiện đại, dễ sử dụng",
        "Dễ dàng tìm hiểu thông tin và nộp hồ sơ trực tuyến")),
    ("TT", 2, "Thủ tục hành chính", 2017, (
        "Thủ tục hành chính được niêm yết công khai đầy đủ",
        "Thủ tục hành chính được niêm yết công khai chính xác",
        "Thành phần hồ sơ phải nộp đúng quy định",
        "Phí, lệ phí phải nộp đúng quy định",
        "Thời hạn giải quyết đúng quy định")),
    ("CC", 3, "Công chức trực tiếp giải quyết", 2017, (
        "Công chức có thái độ giao tiếp lịch sự",
        "Công chức chú ý lắng nghe ý kiến của người dân, tổ chức",
        "Công chức trả lời, giải thích đầy đủ các ý kiến",
        "Công chức hướng dẫn kê khai hồ sơ tận tình, chu đáo",
        "Công chức tuân thủ đúng quy định trong giải quyết công việc")),
    ("KQ", 4, "Kết quả giải quyết", 2017, (
        "Kết quả đúng quy định",
        "Kết quả có thông tin đầy đủ, chính xác",
        "Nhận kết quả đúng hạn")),
    ("GY", 5, "Tiếp nhận, xử lý ý kiến góp ý, phản ánh, kiến nghị", 2017, (
        "Cơ quan có bố trí hình thức tiếp nhận góp ý, phản ánh, kiến nghị",
        "Dễ dàng thực hiện góp ý, phản ánh, kiến nghị",
        "Cơ quan tiếp nhận, xử lý tích cực các góp ý, phản ánh, kiến nghị",
        "Cơ quan thông báo kịp thời kết quả xử lý góp ý, phản ánh, kiến nghị")),
    ("CS", 6, "Sự hài lòng về chính sách công", 2022, (
        "Hài lòng về việc xây dựng chính sách công",
        "Hài lòng về việc thực thi chính sách công",
        "Chính sách công đáp ứng nhu cầu của người dân, tổ chức")),
)
RESPONDENT_COLUMNS = ("Mã phiếu", "Năm", "Ngày khảo sát", "Mã đơn vị", "Tên đơn vị", "Lĩnh vực", "Họ và tên",
                      "Số điện thoại", "Giới tính", "Nhóm tuổi")
AGE_GROUPS = ("Dưới 25", "25-34", "35-49", "50-64", "Từ 65 trở lên")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = {"Nam": ("Văn", "Đức", "Minh", "Hữu", "Quang", "Thanh", "Công"),
          "Nữ": ("Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng")}
GIVEN = {"Nam": ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tuấn",
                 "Việt", "Thắng", "Đạt", "Hiếu"),
         "Nữ": ("Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Phương", "Tâm", "Thảo", "Thủy",
                "Trang", "Yến", "Huyền", "Loan")}
# Latent satisfaction -> answer: cut points between 1|2, 2|3, 3|4 and 4|5.
CUTS = np.array([-1.5, -0.5, 0.5, 2.0])


def file_name(province: str, year: int) -> str:
    return f"SIPAS_{province}_{year}.csv"


def questions(year: int) -> list[tuple[str, str]]:
    """(question code, header label) of the year's questionnaire: 'TC1.2', 'TC1.2 Trang thiết bị ...'."""
    return [(f"{code}{number}.{i}", f"{code}{number}.{i} {text}")
            for code, number, _, since, texts in ELEMENTS if year >= since
            for i, text in enumerate(texts, start=1)]


@dataclass
class Export:
    province: str
    year: int
    header: list[str]
    rows: list[list[str]]
    faults: list[dict] = field(default_factory=list)    # entries without a row number
    row_faults: list[tuple[int, dict]] = field(default_factory=list)  # (index in rows, entry)
    cp1258_unit: str | None = None  # this unit's rows arrive in the legacy Windows code page

    @property
    def name(self) -> str:
        return file_name(self.province, self.year)


def _field_names(context: FileDropContext) -> dict[str, str]:
    return {r["field_code"]: r["field_name"] for r in read_csv(context.reference_dir / "procedure_fields.csv")}


def _unit_fields(context: FileDropContext, unit: SimUnit, year: int, procedures, successors,
                 names: dict[str, str]) -> list[str]:
    """The procedure fields (lĩnh vực) of the dossiers a unit handles, to label responses."""
    after = date(year, 12, 31) >= REFORM_DATE
    pool = procedure_pool(unit, after, procedures, successors)
    return sorted({names[p.field_code] for p in pool}) or ["Khác"]


def _respondent(rng: np.random.Generator) -> tuple[str, str, str, str]:
    gender = "Nam" if rng.random() < 0.52 else "Nữ"
    name = " ".join((FAMILY[int(rng.integers(len(FAMILY)))], MIDDLE[gender][int(rng.integers(7))],
                     GIVEN[gender][int(rng.integers(len(GIVEN[gender])))]))
    phone = f"0{rng.choice([3, 5, 7, 8, 9])}{int(rng.integers(10**8)):08d}"
    age = AGE_GROUPS[int(rng.choice(5, p=[0.1, 0.27, 0.33, 0.22, 0.08]))]
    return name, phone, gender, age


def _answers(rng: np.random.Generator, quality: float, codes: list[str], n: int) -> np.ndarray:
    """n x len(codes) answers 1-5: unit quality + respondent mood + question ease + noise.
    About 85% satisfied (4-5) for an average unit."""
    ease = np.array([0.15 if c.startswith(("CC", "KQ")) else -0.15 if c.startswith(("TC", "CS")) else 0.0
                     for c in codes])
    latent = 1.9 + 0.6 * quality + rng.normal(0, 0.5, (n, 1)) + ease + rng.normal(0, 1, (n, len(codes)))
    answers = 1 + np.searchsorted(CUTS, latent)
    # A few respondents leave the feedback questions blank (they never gave feedback).
    blank = np.array([c.startswith("GY") for c in codes]) & (rng.random((n, len(codes))) < 0.03)
    return np.where(blank, 0, answers)


def plan_exports(context: FileDropContext, province: str) -> list[Export]:
    config = context.config
    procedures = load_procedures(context.reference_dir)
    successors = {k: v for k, v in context.successors.items() if k.startswith("dept_")}
    names = _field_names(context)
    exports = []
    years = survey_years(config)
    encoding_fault = _wrong_encoding_choice(context, province, years)
    for year in years:
        units = context.scored_units(province, year)
        if not units:
            continue  # a province merged into another in 2025 is surveyed there
        few = _few_response_units(context, province, year, units)
        qs = questions(year)
        codes = [code for code, _ in qs]
        records: list[tuple[date, list[str]]] = []
        for unit in units:
            rng = context.rng(SOURCE, unit.unit_key, year)
            n = FEW_RESPONSES if unit.unit_key in few else max(
                SAMPLE_FLOOR, round(FULL_SAMPLE[unit.peer_group] * unit.size * config.scale))
            fields = _unit_fields(context, unit, year, procedures, successors, names)
            answers = _answers(rng, context.quality_of(unit.unit_key, year), codes, n)
            start = date(year, *SURVEY_START)
            for i in range(n):
                day = start + timedelta(days=int(rng.integers(SURVEY_DAYS)))
                name, phone, gender, age = _respondent(rng)
                records.append((day, [str(year), day.strftime("%d/%m/%Y"), unit.unit_key, unit.name,
                                      fields[int(rng.integers(len(fields)))], name, phone, gender, age,
                                      *(str(a) if a else "" for a in answers[i])]))
        records.sort(key=lambda r: (r[0], r[1][2]))
        rows = [[f"{province}-{year}-{i:06d}", *values] for i, (_, values) in enumerate(records, start=1)]
        export = Export(province, year, [*RESPONDENT_COLUMNS, *(label for _, label in qs)], rows)
        export.faults = [fault_entry("few_sipas_responses", SOURCE, f"{FOLDER}/{export.name}", unit_key=key,
                                     detail=f"{FEW_RESPONSES} responses, below the minimum sample")
                         for key in sorted(few)]
        if encoding_fault and encoding_fault[0] == year:
            eligible = sorted(u.unit_key for u in units if u.unit_key not in few)
            export.cp1258_unit = eligible[encoding_fault[1] % len(eligible)]
        _inject_row_faults(context, export)
        exports.append(export)
    return exports


def _wrong_encoding_choice(context: FileDropContext, province: str, years: list[int]) -> tuple[int, int] | None:
    """With malformed rows on, one unit's rows in one export of the province arrive in
    Windows-1258, the legacy Vietnamese code page (typed in an old tool and pasted into the
    export): (year, index of the unit)."""
    if not context.config.faults.malformed_row_rate or not years:
        return None
    rng = context.rng(SOURCE, "encoding", province)
    return years[int(rng.integers(len(years)))], int(rng.integers(10**6))


def _few_response_units(context: FileDropContext, province: str, year: int, units: list[SimUnit]) -> set[str]:
    count = context.config.faults.units_with_few_sipas
    if not count:
        return set()
    rng = context.rng(SOURCE, "few", province, year)
    return {units[i].unit_key for i in rng.choice(len(units), size=min(count, len(units)), replace=False)}


def _inject_row_faults(context: FileDropContext, export: Export) -> None:
    """Malformed rows (bad date, unknown unit, answer off the scale or not a number) and
    rows sent twice (a copy inserted further down)."""
    faults = context.config.faults
    if not (faults.malformed_row_rate or faults.duplicate_rate):
        return
    rng = context.rng(SOURCE, "faults", export.province, export.year)
    file = f"{FOLDER}/{export.name}"
    header = export.header
    first_question = len(RESPONDENT_COLUMNS)
    copies: list[tuple[int, list[str], dict]] = []
    for index, row in enumerate(export.rows):
        unit_key = row[3]
        if unit_key == export.cp1258_unit:
            continue  # those rows already fail as a whole
        if rng.random() < faults.malformed_row_rate:
            kind = int(rng.integers(4))
            if kind == 0:
                column, value = 2, (f"31/02/{export.year}", f"{export.year}-13-01")[int(rng.integers(2))]
                detail = f"survey date '{value}' is not a valid dd/mm/yyyy date"
            elif kind == 1:
                column, value = 3, "legacy:99999"
                detail = "unit code 'legacy:99999' does not exist"
            else:
                column = first_question + int(rng.integers(len(header) - first_question))
                value = "7" if kind == 2 else "abc"
                detail = f"answer '{value}' is not on the 1-5 scale"
            row[column] = value
            export.row_faults.append((index, fault_entry("malformed_row", SOURCE, file, field=header[column],
                                                         unit_key=unit_key, detail=detail)))
        elif rng.random() < faults.duplicate_rate:
            later = index + 1 + int(rng.integers(len(export.rows) - index))
            copies.append((later, list(row), fault_entry(
                "duplicate_row", SOURCE, file, field="Mã phiếu", unit_key=unit_key,
                detail=f"response {row[0]} sent twice")))
    # Insert the copies from the bottom up so the recorded positions stay right.
    for later, row, entry in sorted(copies, key=lambda c: c[0], reverse=True):
        export.rows.insert(later, row)
        export.row_faults = [(i + 1 if i >= later else i, e) for i, e in export.row_faults]
        export.row_faults.append((later, entry))


LETTER_MARKS = "\u0302\u0306\u031b"  # circumflex, breve, horn: part of the letter in cp1258 (â, ă, ơ)


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as legacy Vietnamese software writes it: letters with circumflex, breve
    or horn are precomposed, tone marks are combining characters."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        letter = "".join(m for m in marks if m in LETTER_MARKS)
        tones = "".join(m for m in marks if m not in LETTER_MARKS)
        out += (unicodedata.normalize("NFC", base + letter) + tones).encode("cp1258")
    return bytes(out)


def render_export(export: Export) -> tuple[bytes, list[dict]]:
    """The CSV bytes and the fault entries with their row numbers (the header is row 1)."""
    lines = []
    for values in [export.header, *export.rows]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(values)
        text = buffer.getvalue()
        lines.append(encode_cp1258(text) if values[3] == export.cp1258_unit else text.encode("utf-8"))
    faults = export.faults + [{**entry, "row": index + 2} for index, entry in export.row_faults]
    faults += [fault_entry("wrong_encoding", SOURCE, f"{FOLDER}/{export.name}", row=index + 2, unit_key=row[3],
                           detail="row written in Windows-1258 (cp1258), not UTF-8")
               for index, row in enumerate(export.rows) if row[3] == export.cp1258_unit]
    return "\ufeff".encode() + b"".join(lines), faults


def generate(context: FileDropContext) -> list[dict]:
    manifest: list[dict] = []
    for province in context.config.provinces:
        for export in plan_exports(context, province):
            data, faults = render_export(export)
            write_atomic(context.drop_dir / FOLDER / export.name, data)
            manifest.extend(faults)
    return manifest
