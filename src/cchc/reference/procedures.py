"""Procedure catalogue (danh mục thủ tục hành chính, TTHC).

Source: ``seeds/sources/procedure_catalogue.yaml``, a curated demo catalogue compiled from
the structure and published procedure names of the national database of administrative
procedures (by sector and field; see the file's header). Procedure codes are assigned here,
not official national codes: ``<FIELD>-<level letter>-<6 hex digits of a hash of level and
name>``, so a code stays the same when procedures are added or reordered.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .sources import field, load_yaml
from .tables import Column, ReferenceDataError, ReferenceTable, nfc

LEVELS = ("province", "district", "commune")
LEVELS_2025 = ("province", "commune")
ONLINE_FORMS = ("toan_trinh", "mot_phan", "none")
LEVEL_LETTER = {"province": "T", "district": "H", "commune": "X"}  # tỉnh, huyện, xã

FIELD_COLUMNS = [
    Column("field_code", "VARCHAR", "Field (lĩnh vực) code"),
    Column("field_name", "VARCHAR", "Field name, e.g. 'Đất đai'"),
    Column("sector_code", "VARCHAR", "Sector (ngành) grouping used in reports, e.g. TNMT"),
    Column("sector_name", "VARCHAR", "Sector name, e.g. 'Tài nguyên và Môi trường'"),
    Column("department_key", "VARCHAR", "Managing department (scheme dept_2025)"),
]

PROCEDURE_COLUMNS = [
    Column("procedure_code", "VARCHAR", "Project-assigned code '<FIELD>-<T|H|X>-<hash>'"),
    Column("procedure_name", "VARCHAR", "Procedure name as published"),
    Column("field_code", "VARCHAR", "Field (lĩnh vực)"),
    Column("level", "VARCHAR", "Competent level until 2025-06-30: province | district | commune"),
    Column("level_2025", "VARCHAR", "Competent level from 2025-07-01: province | commune"),
    Column("deadline_working_days", "INTEGER", "Legal deadline in working days (0: answered the same day)"),
    Column("is_fee_bearing", "BOOLEAN", "A fee or charge (phí, lệ phí) applies"),
    Column("online_form", "VARCHAR", "toan_trinh (fully online) | mot_phan (partly online) | none"),
    Column("note", "VARCHAR", "Remarks from the catalogue"),
]


def procedure_code(field_code: str, level: str, name: str) -> str:
    digest = hashlib.sha1(f"{level}|{name}".encode()).hexdigest()[:6].upper()
    return f"{field_code}-{LEVEL_LETTER[level]}-{digest}"


def build_procedure_tables(path: Path, department_codes: set[str]) -> list[ReferenceTable]:
    data = load_yaml(path)
    fields, procedures = [], []
    for s, sector in enumerate(data.get("sectors") or [], start=1):
        where_sector = f"{path}: sectors[{s}]"
        sector_code = field(sector, "code", where_sector)
        sector_name = nfc(field(sector, "name", where_sector))
        for f, fld in enumerate(sector.get("fields") or [], start=1):
            where_field = f"{where_sector}.fields[{f}]"
            field_code = field(fld, "code", where_field)
            department = field(fld, "department", where_field)
            if department not in department_codes:
                raise ReferenceDataError(f"{where_field} ({field_code}): unknown department '{department}'")
            fields.append({
                "field_code": field_code,
                "field_name": nfc(field(fld, "name", where_field)),
                "sector_code": sector_code,
                "sector_name": sector_name,
                "department_key": f"dept_2025:{department}",
            })
            for p, proc in enumerate(fld.get("procedures") or [], start=1):
                where = f"{where_field}.procedures[{p}]"
                name = nfc(field(proc, "name", where))
                level = field(proc, "level", where, choices=LEVELS)
                deadline = field(proc, "deadline_days", where, kind=int)
                if deadline < 0:
                    raise ReferenceDataError(f"{where}: deadline_days must be >= 0, got {deadline}")
                procedures.append({
                    "procedure_code": procedure_code(field_code, level, name),
                    "procedure_name": name,
                    "field_code": field_code,
                    "level": level,
                    "level_2025": field(proc, "level_2025", where, choices=LEVELS_2025),
                    "deadline_working_days": deadline,
                    "is_fee_bearing": field(proc, "fee", where, kind=bool),
                    "online_form": field(proc, "online", where, choices=ONLINE_FORMS),
                    "note": nfc(proc.get("note")),
                })
    if not procedures:
        raise ReferenceDataError(f"{path}: no procedures")
    return [
        ReferenceTable("procedure_fields", "Fields (lĩnh vực) of the procedure catalogue, grouped in sectors.",
                       FIELD_COLUMNS, ("field_code",), fields),
        ReferenceTable("procedures", "Procedure catalogue (TTHC) of the demo province.",
                       PROCEDURE_COLUMNS, ("procedure_code",), procedures),
    ]
