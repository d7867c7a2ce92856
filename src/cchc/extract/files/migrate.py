"""Tables written by older versions of the loader, brought to the current rules once,
when they gain their new columns (raw.ensure_table adds them in place).

The registry's ``loaded_sha256`` is the checksum of a file's loaded version: that of the
'loaded' files. Quarantine rows, when the table gains ``unit_code``: values of personal
and non-template columns withheld from ``raw_record`` and ``value``, a row that did not
split into the header's cells (or did not decode) kept as one entry without its cells
or value, and the unit code filled in from the record. Their file's next load replaces
them anyway; this removes the personal data they held meanwhile.
"""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd

from ..raw import FILE_REGISTRY, META_SCHEMA, QUARANTINE, to_json
from .cells import normalize_label
from .csvfile import cell_count_reason
from .personal import WITHHELD_PERSONAL, WITHHELD_UNKNOWN, is_personal_label
from .registry import SOURCES

TABLE = f"{META_SCHEMA}.{QUARANTINE.name}"
_CELL_COUNT = re.compile(r"^row has (\d+) cells, the header (\d+)$")
_UNIT_LABELS = ("Mã đơn vị", "Mã chủ đầu tư")


def migrate(con: duckdb.DuckDBPyConnection, added: dict[str, list[str]]) -> None:
    """Fill in what columns just added to the meta tables (``added``: table -> columns)."""
    if "loaded_sha256" in added[FILE_REGISTRY.name]:
        con.execute(f"UPDATE {META_SCHEMA}.{FILE_REGISTRY.name} SET loaded_sha256 = sha256 WHERE status = 'loaded'")
    if "unit_code" in added[QUARANTINE.name]:
        migrate_quarantine(con)


def _kept(source: str, label: str) -> bool:
    module = SOURCES.get(source)
    if module is None:
        return False
    normalized = normalize_label(label)
    return (any(c.matches(normalized) for c in module.COLUMNS if not c.personal)
            or (hasattr(module, "is_question") and module.is_question(label)))


def migrate_quarantine(con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite the old rows in place; returns how many entries changed or went."""
    rows = con.execute(f"SELECT rowid, source, file_name, sheet, row_number, field, value, reason, raw_record "
                       f"FROM {TABLE}").fetchall()
    whole = {(r[2], r[3], r[4]): _CELL_COUNT.match(r[7] or "") for r in rows if _CELL_COUNT.match(r[7] or "")}
    updates, deletes, done = [], [], set()
    for rowid, source, file_name, sheet, number, field, value, reason, raw in rows:
        record = json.loads(raw) if raw else None
        shifted = whole.get((file_name, sheet, number))
        if shifted or (record is not None and list(record) == ["line"]):
            if (file_name, sheet, number) in done:
                deletes.append(rowid)  # the other entries of a shifted row were read from the wrong cells
                continue
            done.add((file_name, sheet, number))
            if shifted:
                reason = cell_count_reason(int(shifted[1]), int(shifted[2]))
            updates.append((rowid, None, None, reason, None, None))
            continue
        unit = next((record.get(k) for k in _UNIT_LABELS if record and record.get(k)), None)
        kept_record = None if record is None else {
            key: cell if _kept(source, key) or cell in (None, "")
            else WITHHELD_PERSONAL if is_personal_label(key) else WITHHELD_UNKNOWN for key, cell in record.items()}
        keep_value = field is None or _kept(source, field)
        updates.append((rowid, field, value if keep_value else None, reason,
                        None if kept_record is None else to_json(kept_record), None if unit is None else str(unit)))
    if deletes:
        con.execute(f"DELETE FROM {TABLE} WHERE rowid IN (SELECT unnest(?::BIGINT[]))", [deletes])
    if updates:
        frame = pd.DataFrame(updates, columns=["row_id", "field", "value", "reason", "raw_record", "unit_code"],
                             dtype=object)
        con.register("_migrated", frame)
        try:
            con.execute(f"UPDATE {TABLE} q SET field = m.field, value = m.value, reason = m.reason, "
                        "raw_record = CAST(m.raw_record AS JSON), unit_code = m.unit_code "
                        "FROM _migrated m WHERE q.rowid = CAST(m.row_id AS BIGINT)")
        finally:
            con.unregister("_migrated")
    return len(updates) + len(deletes)
