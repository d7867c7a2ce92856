"""Dossiers (hồ sơ TTHC) and feedback (PAKN) of the one-stop-shop system, with their whole
lifecycle: received, supplement requests, suspensions, finished early / on time / late,
rejected or withdrawn, apology letters, digitisation and online payment.

Every timestamp of a dossier's life is generated up front, including those after the
simulation's end: the one-stop-shop service shows the state "as of" its clock, so a dossier
received yesterday is in progress tonight and finished in a later extraction, as in the
real system. Draws are keyed by (seed, unit, year), so a day's dossiers do not depend on
the simulated date range, and clean and faulty runs share the same base data (faults use
their own streams).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from .calendar import WorkCalendar, day_number
from .config import SimulationConfig
from .units import REFORM_DATE, SimUnit, rng_for

SECONDS_PER_DAY = 86_400
DIGITISATION_START = date(2022, 6, 1)  # Nghị định 107/2021: digitisation from June 2022

# Dossiers per working day at full volume for a unit of size 1.0.
BASE_DAILY_RATE = {"department": 25.0, "district": 35.0, "commune": 9.0}
# Month factors: a dip around Tết, a peak at the year end.
MONTH_FACTOR = np.array([1.0, 0.8, 1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 1.0, 1.05, 1.1, 1.25])
WEEKDAY_FACTOR = np.array([1.15, 1.05, 1.0, 0.95, 0.9, 1.0, 1.0])  # Monday first
ONLINE_ON_NON_WORKING_DAYS = 0.06  # share of a working day's volume submitted online on days off

# Late propensity (logit) by field: land dossiers are the slow ones.
FIELD_LATE_LOGIT = {"DAT_DAI": -1.1, "DANG_KY_BIEN_PHAP_BAO_DAM": -2.0, "HOAT_DONG_XAY_DUNG": -1.9,
                    "QUY_HOACH_KIEN_TRUC": -2.0, "MOI_TRUONG": -2.3}
DEFAULT_LATE_LOGIT = -3.2
# Popularity multipliers by field and the receiving unit's level.
FIELD_POPULARITY = {
    "district": {"DAT_DAI": 8.0, "DANG_KY_BIEN_PHAP_BAO_DAM": 4.0, "CHUNG_THUC": 5.0, "HO_TICH": 2.0},
    "commune": {"HO_TICH": 6.0, "CHUNG_THUC": 8.0, "DAT_DAI": 2.5},
}
FEE_AMOUNTS = np.array([10_000, 20_000, 30_000, 50_000, 100_000, 200_000, 500_000])
FEEDBACK_RATE = 0.008
FEEDBACK_TOPICS = ["Thái độ phục vụ", "Thời gian giải quyết", "Yêu cầu thành phần hồ sơ",
                   "Phí, lệ phí", "Cổng dịch vụ công trực tuyến"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Anh", "Kim"]
GIVEN_NAMES = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Khánh",
               "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo",
               "Thắng", "Trang", "Tuấn", "Vân", "Việt", "Yến"]

DOSSIER_COLUMNS = (
    "dossier_id", "unit_key", "procedure_code", "channel", "received_at", "due_at",
    "supplement_requested_at", "supplement_received_at", "due_at_after_supplement",
    "suspended_at", "resumed_at", "finished_at", "reported_finished_at", "corrected_at",
    "rejected_at", "withdrawn_at", "apology_at", "input_digitised", "reused_digitised_data",
    "output_digitised", "fee_amount", "paid_online_at", "applicant_name", "applicant_id_number",
    "applicant_phone", "visible_from", "duplicate",
)
FEEDBACK_COLUMNS = ("feedback_id", "unit_key", "dossier_id", "topic", "received_at", "due_at",
                    "handled_at", "is_satisfied")


@dataclass(frozen=True)
class Procedure:
    code: str
    field_code: str
    level: str
    level_2025: str
    deadline: int
    fee: bool
    online_form: str
    department_key: str


def load_procedures(reference_dir: Path) -> list[Procedure]:
    with open(reference_dir / "procedure_fields.csv", encoding="utf-8", newline="") as handle:
        department_of = {r["field_code"]: r["department_key"] for r in csv.DictReader(handle)}
    with open(reference_dir / "procedures.csv", encoding="utf-8", newline="") as handle:
        return [Procedure(r["procedure_code"], r["field_code"], r["level"], r["level_2025"],
                          int(r["deadline_working_days"]), r["is_fee_bearing"] == "true",
                          r["online_form"], department_of[r["field_code"]])
                for r in csv.DictReader(handle)]


def load_department_successors(reference_dir: Path) -> dict[str, list[str]]:
    with open(reference_dir / "department_lineage.csv", encoding="utf-8", newline="") as handle:
        successors: dict[str, list[str]] = {}
        for r in csv.DictReader(handle):
            successors.setdefault(r["predecessor_department_key"], []).append(r["successor_department_key"])
        return successors


def procedure_pool(unit: SimUnit, after_reform: bool, procedures: list[Procedure],
                   successors: dict[str, list[str]]) -> list[Procedure]:
    """The procedures a unit receives dossiers for, before or after 1 July 2025."""
    if unit.peer_group == "department":
        departments = set(successors.get(unit.unit_key, [unit.unit_key]))
        level = "province"
        return [p for p in procedures if p.department_key in departments
                and (p.level_2025 if after_reform else p.level) == level]
    if unit.unit_key.startswith("2025:"):
        return [p for p in procedures if p.level_2025 == "commune"]
    return [p for p in procedures if p.level == unit.peer_group]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _fractional_year(days: np.ndarray) -> np.ndarray:
    return 1970.0 + days / 365.2425


def _times(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="int64") * SECONDS_PER_DAY + np.asarray(seconds, dtype="int64")


@dataclass
class Batch:
    """Columnar dossiers of one unit and year (timestamps in seconds since the epoch,
    local time; -1 where a timestamp does not apply)."""

    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["dossier_id"])


def generate_unit_year(unit: SimUnit, year: int, quality: float, config: SimulationConfig,
                       calendar: WorkCalendar, procedures: list[Procedure],
                       successors: dict[str, list[str]]) -> tuple[Batch, Batch] | None:
    """Dossiers and feedback received by one unit in one calendar year (within the
    unit's validity and the simulation's date range)."""
    first = max(date(year, 1, 1), unit.valid_from or date.min, config.start)
    last = min(date(year, 12, 31), unit.valid_to or date.max, config.end)
    if first > last:
        return None
    rng = rng_for(config.seed, "dossiers", unit.unit_key, year)
    # Draw the whole year, then keep the simulated range: a day's dossiers do not depend on it.
    days = np.arange(day_number(date(year, 1, 1)), day_number(date(year, 12, 31)) + 1)
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]").astype(int) % 12
    weekdays = (days + 3) % 7  # 1970-01-01 was a Thursday
    working = calendar.working(days)
    after_tet = np.isin(days - 7, calendar.tet_days) | np.isin(days - 3, calendar.tet_days)
    growth = 1.0 + 0.03 * (year - 2022)
    rate = (BASE_DAILY_RATE[unit.peer_group] * unit.size * config.scale * growth
            * MONTH_FACTOR[months] * WEEKDAY_FACTOR[weekdays]
            * np.where(working, 1.0, ONLINE_ON_NON_WORKING_DAYS) * np.where(after_tet, 0.6, 1.0))
    counts = rng.poisson(rate)
    day = np.repeat(days, counts)
    n = len(day)
    if n == 0:
        return None

    # Procedure and channel. The reorganisation changes which procedures a unit handles.
    after_reform = day >= day_number(REFORM_DATE)
    pools = {flag: procedure_pool(unit, flag, procedures, successors) for flag in (False, True)}
    proc_index = np.zeros(n, dtype=int)
    proc_of: dict[bool, list[Procedure]] = {}
    for flag, pool in pools.items():
        mask = after_reform == flag
        if not pool:
            proc_of[flag] = []
            continue
        level = "commune" if unit.unit_key.startswith("2025:") else unit.peer_group
        popularity = np.array([rng_for(config.seed, "popularity", p.code).lognormal(0, 1.0)
                               * FIELD_POPULARITY.get(level, {}).get(p.field_code, 1.0) for p in pool])
        proc_index[mask] = rng.choice(len(pool), size=int(mask.sum()), p=popularity / popularity.sum())
        proc_of[flag] = pool
    has_pool = np.array([bool(proc_of[f]) for f in after_reform])
    chosen = [proc_of[f][i] if proc_of[f] else None for f, i in zip(after_reform, proc_index)]
    deadline = np.array([p.deadline if p else 0 for p in chosen])
    online_form = np.array([p.online_form if p else "none" for p in chosen])
    fee = np.array([p.fee if p else False for p in chosen])
    field_logit = np.array([FIELD_LATE_LOGIT.get(p.field_code, DEFAULT_LATE_LOGIT) if p else 0.0 for p in chosen])
    is_land = np.array([p is not None and p.field_code == "DAT_DAI" for p in chosen])

    t = _fractional_year(day)
    u = rng.random((12, n))  # one row of uniforms per decision, in a fixed order
    can_online = online_form != "none"
    p_online = np.clip(0.22 + 0.14 * (t - 2022.0) + 0.05 * quality, 0.02, 0.92)
    day_working = calendar.working(day)
    online = can_online & ((u[0] < p_online) | ~day_working)
    keep = has_pool & (day_working | can_online)  # nobody queues at a closed office
    channel = np.where(online, np.where(online_form == "toan_trinh", "truc_tuyen_toan_trinh", "truc_tuyen_mot_phan"),
                       np.where(u[1] < 0.03, "bcci", "truc_tiep"))
    received_sec = np.where(day_working, 27_000 + (u[2] * 34_200).astype(int), (u[2] * SECONDS_PER_DAY).astype(int))
    received = _times(day, received_sec)
    due_clock = np.clip(received_sec, 28_800, 61_200)
    due_clock = np.where((deadline == 0) | ~day_working, 61_200, due_clock)
    due_day = calendar.add_working_days(day, deadline)
    due = _times(due_day, due_clock)

    # Supplement requests restart the deadline from the day the papers arrive.
    supplement = u[3] < np.where(is_land, 0.11, 0.05)
    sup_requested_day = calendar.add_working_days(day, np.minimum(deadline, 1 + (u[4] * 3).astype(int)))
    sup_wait = 1 + rng.geometric(0.25, size=n)
    sup_received_day = calendar.add_working_days(sup_requested_day + sup_wait, 0)
    sup_requested = np.where(supplement, _times(sup_requested_day, 32_400 + (u[5] * 25_000).astype(int)), -1)
    sup_received = np.where(supplement, _times(sup_received_day, 28_800 + (u[6] * 28_000).astype(int)), -1)
    start_day = np.where(supplement, sup_received_day, day)
    due_after = np.where(supplement, _times(calendar.add_working_days(start_day, deadline), due_clock), -1)
    effective_due_day = np.where(supplement, calendar.add_working_days(start_day, deadline), due_day)
    effective_due = np.where(supplement, due_after, due)

    # Outcome.
    outcome = u[7]
    withdrawn = outcome < 0.008
    rejected = ~withdrawn & (outcome < 0.008 + 0.012 + 0.01 * (quality < -1))
    suspended = ~withdrawn & ~rejected & (u[8] < 0.004)
    p_late = _sigmoid(field_logit - 0.7 * quality - 0.3 * (t - 2022.0) + (0.4 if unit.peer_group == "district" else 0))
    late = ~withdrawn & ~rejected & (u[9] < p_late)
    early = ~withdrawn & ~rejected & ~late & (deadline > 0) & (u[10] < np.clip(0.55 + 0.08 * quality, 0.2, 0.85))
    on_time = ~withdrawn & ~rejected & ~late & ~early

    finish_day = np.where(early, calendar.add_working_days(start_day, (u[11] * deadline).astype(int)), effective_due_day)
    extra = np.where(is_land, rng.geometric(0.15, size=n), rng.geometric(0.35, size=n))
    finish_day = np.where(late, calendar.add_working_days(effective_due_day, extra), finish_day)
    clock = 27_000 + (rng.random(n) * 34_200).astype(int)
    finish_clock = np.where(on_time, np.minimum(clock, effective_due % SECONDS_PER_DAY), clock)
    finished = _times(finish_day, finish_clock)
    exactly_due = on_time & (rng.random(n) < 0.02)  # finished to the second at the due time
    finished = np.where(exactly_due, effective_due, finished)
    finished = np.maximum(finished, np.maximum(received, sup_received) + 1_800)
    # Suspended dossiers pause and resume (or are withdrawn while suspended).
    suspend_at = _times(calendar.add_working_days(day, 1), 36_000)
    resume_after = (5 + rng.random(n) * 25).astype(int) * SECONDS_PER_DAY
    gives_up = rng.random(n) < 0.2
    resumed = np.where(suspended & ~gives_up, suspend_at + resume_after, -1)
    finished = np.where(suspended & ~gives_up, finished + resume_after, finished)
    withdrawn_at = np.where(withdrawn, received + ((1 + rng.random(n) * 10) * SECONDS_PER_DAY).astype(int),
                            np.where(suspended & gives_up, suspend_at + resume_after, -1))
    rejected_at = np.where(rejected, _times(calendar.add_working_days(day, np.minimum(np.maximum(deadline, 1), 5)), 40_000), -1)
    finished = np.where(withdrawn | rejected | (suspended & gives_up), -1, finished)

    apology = late & (rng.random(n) < np.clip(0.55 + 0.15 * quality, 0.2, 0.95))
    apology_at = np.where(apology, effective_due + SECONDS_PER_DAY, -1)

    since_digitisation = np.maximum(0.0, (day - day_number(DIGITISATION_START)) / 365.2425)
    digitising = day >= day_number(DIGITISATION_START)
    input_digitised = digitising & (rng.random(n) < np.clip(0.25 + 0.35 * since_digitisation + 0.08 * quality, 0, 0.97))
    reused = input_digitised & (rng.random(n) < np.clip(0.05 + 0.18 * since_digitisation, 0, 0.65))
    output_digitised = digitising & (finished >= 0) & (
        rng.random(n) < np.clip(0.15 + 0.3 * since_digitisation + 0.08 * quality, 0, 0.95))
    fee_amount = np.where(fee, FEE_AMOUNTS[rng.integers(0, len(FEE_AMOUNTS), size=n)], -1)
    p_pay = np.clip(0.05 + 0.15 * (t - 2022.0), 0, 0.75) * np.where(online, 1.0, 0.25)
    paid_online_at = np.where(fee & (rng.random(n) < p_pay), received + 60 + (rng.random(n) * 3_540).astype(int), -1)

    # Personal data, as a real one-stop-shop system holds it; staging drops or hashes it.
    names = (np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)].astype(object) + " "
             + np.array(MIDDLE_NAMES)[rng.integers(0, len(MIDDLE_NAMES), n)].astype(object) + " "
             + np.array(GIVEN_NAMES)[rng.integers(0, len(GIVEN_NAMES), n)].astype(object))
    id_numbers = np.array([f"0{unit.province_code:0>2}{g}{yy:02d}{s:06d}" for g, yy, s in zip(
        rng.integers(0, 4, n), rng.integers(40, 100, n) % 100, rng.integers(0, 1_000_000, n))])
    phones = np.array([f"09{x:08d}" for x in rng.integers(0, 100_000_000, n)])

    # Feedback (PAKN) on some dossiers.
    has_feedback = (finished >= 0) & (rng.random(n) < FEEDBACK_RATE)
    fb_day = day + 1 + (rng.random(n) * 30).astype(int)
    fb_due = _times(calendar.add_working_days(fb_day, 10), 61_200)
    fb_on_time = rng.random(n) < np.clip(0.85 + 0.05 * quality, 0.5, 0.99)
    fb_handled = np.where(fb_on_time, fb_due - ((rng.random(n) * 8 + 1) * SECONDS_PER_DAY).astype(int),
                          fb_due + ((rng.random(n) * 10 + 1) * SECONDS_PER_DAY).astype(int))
    fb_satisfied = rng.random(n) < np.clip(0.78 + 0.06 * quality, 0.3, 0.98)
    fb_topic = rng.integers(0, len(FEEDBACK_TOPICS), n)

    in_range = keep & (day >= day_number(first)) & (day <= day_number(last))
    # Dossier ids: unit, day, sequence within the unit's day.
    ymd = np.datetime_as_string(day.astype("datetime64[D]")).astype(object)
    seq = np.arange(n) - np.searchsorted(day, day, side="left") + 1
    prefix = unit.unit_key.replace(":", ".")
    ids = np.array([f"{prefix}-{d.replace('-', '')[2:]}-{s:05d}" for d, s in zip(ymd, seq)])

    dossiers = Batch({
        "dossier_id": ids, "unit_key": np.full(n, unit.unit_key, dtype=object),
        "procedure_code": np.array([p.code if p else "" for p in chosen], dtype=object),
        "channel": channel, "received_at": received, "due_at": due,
        "supplement_requested_at": sup_requested, "supplement_received_at": sup_received,
        "due_at_after_supplement": due_after, "suspended_at": np.where(suspended, suspend_at, -1),
        "resumed_at": resumed, "finished_at": finished, "reported_finished_at": np.full(n, -1),
        "corrected_at": np.full(n, -1), "rejected_at": rejected_at, "withdrawn_at": withdrawn_at,
        "apology_at": apology_at, "input_digitised": input_digitised.astype(int),
        "reused_digitised_data": reused.astype(int), "output_digitised": output_digitised.astype(int),
        "fee_amount": fee_amount, "paid_online_at": paid_online_at, "applicant_name": names,
        "applicant_id_number": id_numbers, "applicant_phone": phones, "visible_from": received.copy(),
        "duplicate": np.zeros(n, dtype=int),
    })
    dossiers = Batch({k: v[in_range] for k, v in dossiers.columns.items()})
    fb = has_feedback & in_range
    feedback = Batch({
        "feedback_id": np.array([f"PAKN-{i}" for i in ids[fb]]), "unit_key": np.full(int(fb.sum()), unit.unit_key, dtype=object),
        "dossier_id": ids[fb], "topic": np.array(FEEDBACK_TOPICS, dtype=object)[fb_topic[fb]],
        "received_at": _times(fb_day[fb], 36_000), "due_at": fb_due[fb], "handled_at": fb_handled[fb],
        "is_satisfied": fb_satisfied[fb].astype(int),
    })
    return dossiers, feedback
