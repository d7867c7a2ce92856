"""The one-stop-shop system's database (SQLite).

``dossiers`` and ``feedback`` hold every record with its whole lifecycle, future events
included; the simulator writes them and nothing changes them afterwards. The service shows
them as of its clock: ``open_state`` attaches the database read-only to a separate state
database, where ``materialise(as_of)`` rebuilds ``dossier_state``, ``feedback_state`` and
``daily_counts`` (indexed for keyset paging) from what had happened by then.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

DOSSIER_TIMESTAMPS = (
    "received_at", "due_at", "supplement_requested_at", "supplement_received_at",
    "due_at_after_supplement", "suspended_at", "resumed_at", "finished_at",
    "reported_finished_at", "corrected_at", "rejected_at", "withdrawn_at", "apology_at",
    "paid_online_at", "visible_from",
)

SCHEMA = """
CREATE TABLE dossiers (
    dossier_id TEXT PRIMARY KEY, unit_key TEXT NOT NULL, procedure_code TEXT NOT NULL,
    channel TEXT NOT NULL, received_at TEXT NOT NULL, due_at TEXT NOT NULL,
    supplement_requested_at TEXT, supplement_received_at TEXT, due_at_after_supplement TEXT,
    suspended_at TEXT, resumed_at TEXT, finished_at TEXT, reported_finished_at TEXT,
    corrected_at TEXT, rejected_at TEXT, withdrawn_at TEXT, apology_at TEXT,
    input_digitised INTEGER NOT NULL, reused_digitised_data INTEGER NOT NULL,
    output_digitised INTEGER NOT NULL, fee_amount INTEGER, paid_online_at TEXT,
    applicant_name TEXT, applicant_id_number TEXT, applicant_phone TEXT,
    visible_from TEXT NOT NULL, duplicate INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE feedback (
    feedback_id TEXT PRIMARY KEY, unit_key TEXT NOT NULL, dossier_id TEXT, topic TEXT NOT NULL,
    received_at TEXT NOT NULL, due_at TEXT NOT NULL, handled_at TEXT, is_satisfied INTEGER
) WITHOUT ROWID;
CREATE TABLE simulation (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""


def _seen(column: str) -> str:
    return f"CASE WHEN {column} <= :t THEN {column} END"


def _latest(*columns: str) -> str:
    # SQLite's max() of several values is NULL as soon as one is NULL.
    return "max(" + ", ".join(f"coalesce({_seen(c)}, '')" for c in columns) + ")"


MATERIALISE = f"""
DROP TABLE IF EXISTS dossier_state;
DROP TABLE IF EXISTS feedback_state;
DROP TABLE IF EXISTS daily_counts;
CREATE TABLE dossier_state AS
WITH visible AS (
    SELECT d.*,
           CASE WHEN corrected_at <= :t OR reported_finished_at IS NULL THEN finished_at
                ELSE reported_finished_at END AS shown_finished_at
    FROM src.dossiers d
    WHERE visible_from <= :t AND received_at <= :t
), copies(copy_no) AS (VALUES (1), (2))
SELECT dossier_id, copy_no, unit_key, procedure_code, channel,
    CASE WHEN withdrawn_at <= :t THEN 'withdrawn'
         WHEN rejected_at <= :t THEN 'rejected'
         WHEN shown_finished_at <= :t THEN 'finished'
         WHEN suspended_at <= :t AND coalesce(resumed_at > :t, TRUE) THEN 'suspended'
         WHEN supplement_requested_at <= :t AND coalesce(supplement_received_at > :t, TRUE)
              THEN 'waiting_for_supplement'
         ELSE 'in_progress' END AS status,
    received_at,
    CASE WHEN supplement_received_at <= :t THEN due_at_after_supplement ELSE due_at END AS due_at,
    {_seen('supplement_requested_at')} AS supplement_requested_at,
    {_seen('supplement_received_at')} AS supplement_received_at,
    {_seen('suspended_at')} AS suspended_at,
    {_seen('resumed_at')} AS resumed_at,
    {_seen('shown_finished_at')} AS finished_at,
    {_seen('rejected_at')} AS rejected_at,
    {_seen('withdrawn_at')} AS withdrawn_at,
    {_seen('apology_at')} AS apology_letter_at,
    input_digitised, reused_digitised_data,
    CASE WHEN shown_finished_at <= :t THEN output_digitised END AS output_digitised,
    fee_amount, {_seen('paid_online_at')} AS paid_online_at,
    applicant_name, applicant_id_number, applicant_phone,
    {_latest('received_at', 'supplement_requested_at', 'supplement_received_at', 'suspended_at',
             'resumed_at', 'shown_finished_at', 'corrected_at', 'rejected_at', 'withdrawn_at',
             'apology_at', 'paid_online_at')} AS updated_at
FROM visible JOIN copies ON copy_no = 1 OR duplicate = 1;
CREATE UNIQUE INDEX dossier_state_page ON dossier_state (updated_at, dossier_id, copy_no);

CREATE TABLE feedback_state AS
SELECT feedback_id, unit_key, dossier_id, topic, received_at, due_at,
    {_seen('handled_at')} AS handled_at,
    CASE WHEN handled_at <= :t THEN 'handled' ELSE 'open' END AS status,
    CASE WHEN handled_at <= :t THEN is_satisfied END AS is_satisfied,
    {_latest('received_at', 'handled_at')} AS updated_at
FROM src.feedback WHERE received_at <= :t;
CREATE UNIQUE INDEX feedback_state_page ON feedback_state (updated_at, feedback_id);

-- The reconciliation figures: what the system itself counts per unit and day.
CREATE TABLE daily_counts AS
SELECT unit_key, day, sum(received) AS received, sum(received_online) AS received_online,
       sum(finished) AS finished
FROM (
    SELECT unit_key, substr(received_at, 1, 10) AS day, 1 AS received,
           (channel LIKE 'truc_tuyen%') AS received_online, 0 AS finished
    FROM dossier_state WHERE copy_no = 1
    UNION ALL
    SELECT unit_key, substr(finished_at, 1, 10), 0, 0, 1
    FROM dossier_state WHERE copy_no = 1 AND finished_at IS NOT NULL
)
GROUP BY unit_key, day;
CREATE UNIQUE INDEX daily_counts_page ON daily_counts (day, unit_key);
"""


def create(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    return con


def open_state(db_path: Path, state_path: Path) -> sqlite3.Connection:
    """A connection to a fresh state database with the source database attached read-only."""
    if not db_path.exists():
        raise FileNotFoundError(f"{db_path}: one-stop-shop database not found; run `cchc simulate` first")
    state_path.unlink(missing_ok=True)
    con = sqlite3.connect(state_path, check_same_thread=False, uri=True)
    con.row_factory = sqlite3.Row
    con.execute("ATTACH DATABASE ? AS src", (f"file:{db_path}?mode=ro",))
    return con


def materialise(con: sqlite3.Connection, as_of: str) -> None:
    """Rebuild the state tables as of a local timestamp 'YYYY-MM-DDTHH:MM:SS'."""
    with con:
        for statement in MATERIALISE.split(";\n"):
            if statement.strip():
                con.execute(statement, {"t": as_of} if ":t" in statement else {})
