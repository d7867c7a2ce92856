"""Fast generator of one-stop-shop dossiers at national scale, straight to Parquet.

The simulator (`cchc simulate`) is faithful but row-at-a-time Python; 100 million dossiers
need a vectorised path. Here every dossier is a row of one DuckDB query over
unit × day × range(n): its attributes come from `hash(dossier number, k)`, so the same
parameters always give the same data, and a dossier's state as of any instant can be
computed again without storing it. The rows have exactly the columns and text formats of
`raw_oss.dossiers` (see cchc.extract.oss), one Parquet folder per province.

A run writes two sets: `history` (the state as of the evening before the last day, every
dossier received until then) and `night` (the versions that changed on the last day: new
dossiers and status changes of open ones), which is what one nightly extraction brings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

# Columns of raw_oss.dossiers, in its order (checked against the warehouse when loading).
RAW_COLUMNS = [
    "dossier_id", "unit_key", "procedure_code", "channel", "status", "received_at", "due_at",
    "supplement_requested_at", "supplement_received_at", "suspended_at", "resumed_at",
    "finished_at", "rejected_at", "withdrawn_at", "apology_letter_at", "paid_online_at",
    "updated_at", "applicant_id_hash", "input_digitised",
    "reused_digitised_data", "output_digitised", "fee_amount", "_source", "_page",
    "_extracted_at", "_dlt_load_id",
]
# Relative volume of a unit's one-stop-shop per working day (a department receives more).
UNIT_WEIGHTS = {"commune": 1.0, "district": 3.0, "department": 6.0}
# The longest a dossier stays open in the generator: the night only re-reads this window.
MAX_OPEN_DAYS = 150
EXTRACT_HOUR = time(1, 30)


@dataclass(frozen=True)
class GenerationSpec:
    provinces: tuple[str, ...]          # province codes (same in both eras for the ones used)
    start: date                         # first day dossiers are received
    end: date                           # the last day: the night's extraction covers it
    dossiers: int                       # about how many dossiers in [start, end]
    seed: int = 766

    @property
    def history_as_of(self) -> datetime:
        return datetime.combine(self.end, time(0)) - timedelta(seconds=1)

    @property
    def night_as_of(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(0)) - timedelta(seconds=1)


def _units_sql(provinces: tuple[str, ...]) -> str:
    codes = ", ".join(f"'{p}'" for p in provinces)
    return f"""
    create or replace temp table bench_units as
    with units as (
        -- the code as a source sends it: its earlier holders' days are told apart by date
        select scheme || ':' || code as unit_key, province_code, level as unit_level,
               case when scheme = 'legacy' then 'before' else 'after' end as era,
               coalesce(valid_from, date '1900-01-01') as valid_from,
               coalesce(valid_to, date '2100-01-01') as valid_to
        from ref.reference.admin_units
        where province_code in ({codes}) and level in ('commune', 'district')
        union all
        select department_key, province_code, 'department',
               case when scheme = 'dept_legacy' then 'before' else 'after' end,
               coalesce(valid_from, date '1900-01-01'), coalesce(valid_to, date '2100-01-01')
        from ref.reference.departments
        where province_code in ({codes})
    ),
    -- the procedures a unit of that level handles in that era (2025 moved district ones)
    procedure_levels as (
        select 'before' as era, case level when 'province' then 'department' else level end as unit_level,
               procedure_code, deadline_working_days, is_fee_bearing, online_form
        from ref.reference.procedures
        union all
        select 'after', case level_2025 when 'province' then 'department' else level_2025 end,
               procedure_code, deadline_working_days, is_fee_bearing, online_form
        from ref.reference.procedures
    ),
    procedure_lists as (
        select era, unit_level,
               list(struct_pack(code := procedure_code, deadline := coalesce(deadline_working_days, 5),
                                fee := coalesce(is_fee_bearing, false), online_form := online_form)
                    order by procedure_code) as procs
        from procedure_levels group by all
    )
    select row_number() over (order by units.unit_key, units.valid_from) as unit_idx, units.*,
           procedure_lists.procs
    from units join procedure_lists using (era, unit_level)
    """


def _unit_days_sql(spec: GenerationSpec, first_day: date, rate: float | None, province: str | None = None) -> str:
    weights = " ".join(f"when '{k}' then {v}" for k, v in UNIT_WEIGHTS.items())
    volume = f"cast({rate} as double) * weight * day_factor * (0.6 + 0.8 * u)" if rate is not None else "0"
    return f"""
    with days as (
        select u.unit_idx, u.unit_key, u.province_code, u.procs,
               case u.unit_level {weights} end as weight,
               c.calendar_date as day,
               case when c.is_working_day then 1.0 else 0.03 end as day_factor,
               (hash(u.unit_idx, c.calendar_date, {spec.seed}) % 1000) / 1000.0 as u
        from bench_units as u
        join ref.reference.calendar_days as c
          on c.calendar_date between greatest(u.valid_from, date '{first_day}') and least(u.valid_to, date '{spec.end}')
        {f"where u.province_code = '{province}'" if province else ""}
    )
    select *, cast(round({volume}) as integer) as n from days
    """


def _dossiers_sql(spec: GenerationSpec, first_day: date, rate: float, as_of: datetime, province: str) -> str:
    """Every dossier received in [first_day, spec.end] as it stood at `as_of`."""
    def u(k: int) -> str:  # uniform [0, 1) per dossier and attribute k
        return f"((hash(num, {k}, {spec.seed}) >> 11) % 1000003) / 1000003.0"

    def text(col: str) -> str:  # ISO-8601 text with the +07:00 offset, as the API sends it
        return f"strftime({col}, '%Y-%m-%dT%H:%M:%S+07:00')"

    def upto(col: str) -> str:  # an event after as_of has not happened yet
        return f"case when {col} <= timestamp '{as_of}' then {col} end"

    return f"""
    with unit_days as ({_unit_days_sql(spec, first_day, rate, province)}),
    base as (
        select unit_key, province_code, day, seq,
               (unit_idx * 100000 + (day - date '2000-01-01')) * 100000 + seq as num,
               procs[1 + cast(hash(unit_idx, day, seq, {spec.seed}) % len(procs) as integer)] as proc
        from (select *, unnest(range(n)) as seq from unit_days where n > 0)
    ),
    drawn as (
        select *,
               {u(1)} as u_outcome, {u(2)} as u_time, {u(3)} as u_when, {u(4)} as u_extra,
               {u(5)} as u_channel, {u(6)} as u_digit, {u(7)} as u_reuse, {u(8)} as u_out, {u(9)} as u_pay
        from base
    ),
    timed as (
        select *,
               day + to_seconds(cast(27000 + u_time * 32400 as bigint)) as received,
               (day + cast(ceil(proc.deadline * 1.4) as integer)) + interval 17 hour as due
        from drawn
    ),
    events as (
        select *,
               case when u_outcome >= 0.022 then
                   case when u_when < 0.35 then received + to_seconds(cast(greatest(epoch(due) - epoch(received), 0) * u_extra * 0.9 as bigint))
                        when u_when < 0.93 then greatest(received, cast(due as date) + to_seconds(cast(28800 + u_extra * 31000 as bigint)))
                        else due + to_seconds(cast(86400 * (1 + u_extra * 12) as bigint)) end
               end as finished_full,
               case when u_outcome < 0.014 then received + to_seconds(cast(86400 * (1 + u_extra * 3) as bigint)) end as rejected_full,
               case when u_outcome >= 0.014 and u_outcome < 0.022 then received + to_seconds(cast(86400 * u_extra * 2 as bigint)) end as withdrawn_full,
               case when u_extra < 0.057 then received + interval 1 day end as supplement_requested_full,
               case when u_extra < 0.057 then received + interval 3 day end as supplement_received_full,
               case when u_extra > 0.996 then received + interval 2 day end as suspended_full,
               case when u_extra > 0.996 then received + interval 4 day end as resumed_full
        from timed
    ),
    as_of as (
        select *,
               {upto('finished_full')} as finished, {upto('rejected_full')} as rejected,
               {upto('withdrawn_full')} as withdrawn,
               {upto('supplement_requested_full')} as supplement_requested,
               {upto('supplement_received_full')} as supplement_received,
               {upto('suspended_full')} as suspended, {upto('resumed_full')} as resumed,
               case when u_channel < 0.55 or proc.online_form = 'none' then (case when u_channel > 0.98 then 'bcci' else 'truc_tiep' end)
                    when u_channel < 0.78 and proc.online_form = 'toan_trinh' then 'truc_tuyen_toan_trinh'
                    else 'truc_tuyen_mot_phan' end as channel
        from events
    ),
    shaped as (
        select *,
               case when finished is not null then 'finished'
                    when rejected is not null then 'rejected'
                    when withdrawn is not null then 'withdrawn'
                    when suspended is not null and resumed is null then 'suspended'
                    when supplement_requested is not null and supplement_received is null then 'waiting_for_supplement'
                    else 'in_progress' end as status,
               case when finished > due and u_pay < 0.8 then finished end as apology,
               case when proc.fee and channel <> 'truc_tiep' and u_pay < 0.7 then {upto('received + interval 1 hour')} end as paid
        from as_of
    ),
    versioned as (
        select *,
               greatest(received, finished, rejected, withdrawn, supplement_requested, supplement_received,
                        suspended, resumed, apology, paid) as updated
        from shaped
    )
    select
        replace(unit_key, ':', '.') || '-' || strftime(day, '%y%m%d') || '-' || lpad(cast(seq + 1 as varchar), 5, '0') as dossier_id,
        unit_key,
        proc.code as procedure_code,
        channel,
        status,
        {text('received')} as received_at,
        {text('due')} as due_at,
        {text('supplement_requested')} as supplement_requested_at,
        {text('supplement_received')} as supplement_received_at,
        {text('suspended')} as suspended_at,
        {text('resumed')} as resumed_at,
        {text('finished')} as finished_at,
        {text('rejected')} as rejected_at,
        {text('withdrawn')} as withdrawn_at,
        {text('apology')} as apology_letter_at,
        {text('paid')} as paid_online_at,
        {text('updated')} as updated_at,
        -- the extractor's keyed hash of the ID number: 64 hex digits
        sha256(cast(hash(num, 98) % 1000000000000 as varchar)) as applicant_id_hash,
        u_digit < 0.75 as input_digitised,
        u_reuse < 0.35 as reused_digitised_data,
        case when finished is not null then u_out < 0.66 end as output_digitised,
        case when proc.fee then cast(10000 * (1 + hash(num, 97) % 20) as bigint) end as fee_amount,
        'oss_api' as _source,
        cast(seq // 100 + 1 as bigint) as _page,
        province_code,
        day as received_day,
        updated
    from versioned
    """


def extraction_stamp(night_of: date) -> datetime:
    """When the nightly extraction covering `night_of` runs (naive local time)."""
    return datetime.combine(night_of + timedelta(days=1), EXTRACT_HOUR)


def generate(spec: GenerationSpec, out_dir: Path, reference_db: Path, *,
             memory_limit: str = "8GB", threads: int = 2, temp_dir: Path | None = None) -> dict:
    """Write `out_dir/history/province_code=*/` and `out_dir/night/province_code=*/` Parquet.

    Returns row counts and the per-unit-day rate used. `reference_db` is a warehouse with
    the `reference` schema (units, departments, procedures, calendar)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute("set enable_progress_bar = false")
        con.execute(f"set threads = {threads}")
        con.execute("set preserve_insertion_order = false")
        con.execute(f"set temp_directory = '{temp_dir or out_dir / 'duckdb_tmp'}'")
        con.execute(f"attach '{reference_db}' as ref (read_only)")
        con.execute(_units_sql(spec.provinces))
        if not con.execute("select count(*) from bench_units").fetchone()[0]:
            raise ValueError(f"no units for provinces {spec.provinces} in {reference_db}")
        weight_days = con.execute(
            f"select sum(weight * day_factor) from ({_unit_days_sql(spec, spec.start, None)})").fetchone()[0]
        rate = float(spec.dossiers) / float(weight_days)
        stamp_history = extraction_stamp(spec.end - timedelta(days=1))
        stamp_night = extraction_stamp(spec.end)
        counts = {}
        for part, as_of, first_day, where, extracted in [
            # history: the extraction of each night saw the version updated that day
            ("history", spec.history_as_of, spec.start, f"received_day < date '{spec.end}'",
             f"least(cast(updated as date) + 1, date '{spec.end}') + interval '{EXTRACT_HOUR}'"),
            # night: versions changed on the last day, among dossiers that can still be open
            ("night", spec.night_as_of, max(spec.start, spec.end - timedelta(days=MAX_OPEN_DAYS)),
             f"cast(updated as date) = date '{spec.end}'", f"timestamp '{stamp_night}'"),
        ]:
            target = out_dir / part
            select = ", ".join(RAW_COLUMNS[:-2])
            # one query per province: bounded memory, and the folders pandas reads one by one
            for province in spec.provinces:
                folder = target / f"province_code={province}"
                folder.mkdir(parents=True, exist_ok=True)
                con.execute(f"""
                    copy (
                        select {select},
                               cast({extracted} as timestamp_s) as _extracted_at,
                               cast(epoch(cast({extracted} as timestamp)) as varchar) as _dlt_load_id
                        from ({_dossiers_sql(spec, first_day, rate, as_of, province)})
                        where {where}
                    ) to '{folder / 'data.parquet'}' (format parquet, compression zstd, row_group_size 122880)
                """)
            counts[part] = con.execute(f"select count(*) from read_parquet('{target}/*/*.parquet')").fetchone()[0]
        counts["rate_per_unit_working_day"] = rate
        counts["history_extracted_until"] = stamp_history.isoformat()
        counts["night_extracted_at"] = stamp_night.isoformat()
        return counts
    finally:
        con.close()
