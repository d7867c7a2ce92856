-- The floor (issue #8): the headline dossier marts as one hand-written DuckDB script, no
-- orchestration, no tests, no intermediate tables kept beyond what the SQL needs. Reads
-- the raw layer of a warehouse attached as `wh` (read-only) and writes
-- floor_dossier_kpis: per unit × field × month and year, the flows, the stocks at the
-- period's start and end, and the rates of domain.md §3 — the same figures as
-- marts.mart_dossier_kpis. Run by `cchc bench` (step floor_sql) in the same session
-- settings as the dbt build.

create temp table dossiers as
select
    d.dossier_id,
    d.unit_key,
    p.field_code,
    coalesce(p.is_fee_bearing, false) as is_fee_bearing,
    p.online_form,
    d.channel,
    timezone('Asia/Ho_Chi_Minh', cast(d.received_at as timestamptz)) as received_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.due_at as timestamptz)) as due_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.finished_at as timestamptz)) as finished_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.rejected_at as timestamptz)) as rejected_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.withdrawn_at as timestamptz)) as withdrawn_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.apology_letter_at as timestamptz)) as apology_letter_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.supplement_requested_at as timestamptz)) as supplement_requested_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.supplement_received_at as timestamptz)) as supplement_received_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.suspended_at as timestamptz)) as suspended_at,
    timezone('Asia/Ho_Chi_Minh', cast(d.resumed_at as timestamptz)) as resumed_at,
    d.paid_online_at is not null as is_paid_online,
    d.input_digitised, d.reused_digitised_data, d.output_digitised,
    d._extracted_at
from wh.raw_oss.dossiers as d
left join wh.reference.procedures as p using (procedure_code)
qualify row_number() over (
    partition by d.dossier_id
    order by timezone('Asia/Ho_Chi_Minh', cast(d.updated_at as timestamptz)) desc, d._extracted_at desc, d._dlt_load_id desc, d._page desc
) = 1;

create temp table as_of as select max(_extracted_at) as as_of from dossiers;

create temp table flows as
with events as (
    select unit_key, field_code, cast(received_at as date) as event_date,
           1 as received_total,
           (channel = 'truc_tiep')::int as received_in_person,
           (channel = 'truc_tuyen_toan_trinh')::int as received_toan_trinh,
           (channel = 'truc_tuyen_mot_phan')::int as received_mot_phan,
           (channel = 'bcci')::int as received_bcci,
           input_digitised::int as input_digitised,
           reused_digitised_data::int as reused_digitised_data,
           is_fee_bearing::int as fee_bearing_received,
           (is_fee_bearing and is_paid_online)::int as paid_online,
           coalesce(online_form <> 'none', false)::int as online_form_received,
           0 as finished_total, 0 as finished_early, 0 as finished_on_time, 0 as finished_late,
           0 as output_digitised, 0 as finished_late_with_apology, 0 as rejected, 0 as withdrawn, 0 as apology_letters
    from dossiers
    union all
    select unit_key, field_code, cast(finished_at as date), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           1,
           (cast(finished_at as date) < cast(due_at as date))::int,
           -- the due day counts whole (dbt var due_day_counts_whole_day, default true)
           (cast(finished_at as date) = cast(due_at as date))::int,
           (cast(finished_at as date) > cast(due_at as date))::int,
           coalesce(output_digitised, false)::int,
           (cast(finished_at as date) > cast(due_at as date) and apology_letter_at is not null)::int, 0, 0, 0
    from dossiers where finished_at is not null
    union all
    select unit_key, field_code, cast(rejected_at as date), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
    from dossiers where rejected_at is not null
    union all
    select unit_key, field_code, cast(withdrawn_at as date), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0
    from dossiers where withdrawn_at is not null
    union all
    select unit_key, field_code, cast(apology_letter_at as date), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    from dossiers where apology_letter_at is not null
)
select unit_key, field_code, grain as period_type, cast(date_trunc(grain, event_date) as date) as period_start,
       sum(received_total) as received_total, sum(received_in_person) as received_in_person,
       sum(received_toan_trinh) as received_toan_trinh, sum(received_mot_phan) as received_mot_phan,
       sum(received_bcci) as received_bcci, sum(input_digitised) as input_digitised,
       sum(reused_digitised_data) as reused_digitised_data, sum(fee_bearing_received) as fee_bearing_received,
       sum(paid_online) as paid_online, sum(online_form_received) as online_form_received, sum(finished_total) as finished_total, sum(finished_early) as finished_early,
       sum(finished_on_time) as finished_on_time, sum(finished_late) as finished_late,
       sum(output_digitised) as output_digitised, sum(finished_late_with_apology) as finished_late_with_apology, sum(rejected) as rejected, sum(withdrawn) as withdrawn,
       sum(apology_letters) as apology_letters
from events, (values ('month'), ('year')) as grains(grain)
group by all;

-- Stocks at month boundaries: each dossier is expanded to the boundaries it stays open
-- across (no range join); a boundary after the as-of instant is measured at it, up to
-- 1 January after the as-of year.
create temp table stocks as
with spans as (
    select unit_key, field_code, due_at, closed_at,
           supplement_requested_at, supplement_received_at, suspended_at, resumed_at,
           cast(date_trunc('month', received_at) + interval 1 month as date) as first_boundary,
           cast(case when closed_at is null or closed_at >= as_of
                     then date_trunc('year', as_of) + interval 1 year
                     else date_trunc('month', closed_at) end as date) as last_boundary
    from (select *, coalesce(finished_at, rejected_at, withdrawn_at) as closed_at from dossiers), as_of
),
expanded as (
    select unit_key, field_code, due_at,
           supplement_requested_at, supplement_received_at, suspended_at, resumed_at,
           cast(unnest(generate_series(first_boundary, last_boundary, interval 1 month)) as date) as boundary_date
    from spans where first_boundary <= last_boundary
)
select unit_key, field_code, boundary_date, count(*) as open_dossiers,
       -- overdue: past the due time and not waiting for the applicant's papers nor suspended
       -- then (dbt macro dossier_is_overdue)
       count(*) filter (where due_at < measured_at
                        and not coalesce(supplement_requested_at <= measured_at
                                         and (supplement_received_at is null or supplement_received_at > measured_at), false)
                        and not coalesce(suspended_at <= measured_at
                                         and (resumed_at is null or resumed_at > measured_at), false)) as overdue_dossiers
from (select *, least(cast(boundary_date as timestamp), as_of) as measured_at from expanded, as_of)
group by unit_key, field_code, boundary_date;

create table floor_dossier_kpis as
with periods as (
    select unit_key, field_code, period_type, period_start from flows
    union
    select unit_key, field_code, grain, cast(date_trunc(grain, boundary_date) as date)
    from stocks, (values ('month'), ('year')) as grains(grain)
    union
    select unit_key, field_code, grain, cast(date_trunc(grain, boundary_date - 1) as date)
    from stocks, (values ('month'), ('year')) as grains(grain)
),
counts as (
    select p.unit_key, p.field_code, p.period_type, p.period_start,
           cast(p.period_start + case p.period_type when 'month' then interval 1 month else interval 1 year end as date) as period_end,
           f.* exclude (unit_key, field_code, period_type, period_start)
    from periods as p
    left join flows as f using (unit_key, field_code, period_type, period_start)
    where p.period_start <= (select cast(as_of as date) from as_of)
)
select c.unit_key, c.field_code, c.period_type, c.period_start, c.period_end,
       coalesce(c.received_total, 0) as received_total,
       coalesce(c.received_in_person, 0) as received_in_person,
       coalesce(c.received_toan_trinh, 0) as received_toan_trinh,
       coalesce(c.received_mot_phan, 0) as received_mot_phan,
       coalesce(c.received_bcci, 0) as received_bcci,
       coalesce(c.input_digitised, 0) as input_digitised,
       coalesce(c.reused_digitised_data, 0) as reused_digitised_data,
       coalesce(c.fee_bearing_received, 0) as fee_bearing_received,
       coalesce(c.paid_online, 0) as paid_online,
       coalesce(c.online_form_received, 0) as online_form_received,
       coalesce(c.finished_total, 0) as finished_total,
       coalesce(c.finished_early, 0) as finished_early,
       coalesce(c.finished_on_time, 0) as finished_on_time,
       coalesce(c.finished_late, 0) as finished_late,
       coalesce(c.output_digitised, 0) as output_digitised,
       coalesce(c.finished_late_with_apology, 0) as finished_late_with_apology,
       coalesce(c.rejected, 0) as rejected,
       coalesce(c.withdrawn, 0) as withdrawn,
       coalesce(c.apology_letters, 0) as apology_letters,
       coalesce(o.open_dossiers, 0) as carried_over,
       coalesce(e.open_dossiers, 0) as in_progress_at_end,
       coalesce(e.overdue_dossiers, 0) as in_progress_overdue_at_end,
       100.0 * (coalesce(c.finished_early, 0) + coalesce(c.finished_on_time, 0)) / nullif(c.finished_total, 0) as on_time_rate_a,
       100.0 - 100.0 * (coalesce(c.finished_late, 0) + coalesce(e.overdue_dossiers, 0))
             / nullif(coalesce(c.received_total, 0) + coalesce(o.open_dossiers, 0), 0) as on_time_rate_b,
       -- the default convention (var on_time_convention = a)
       100.0 * (coalesce(c.finished_early, 0) + coalesce(c.finished_on_time, 0)) / nullif(c.finished_total, 0) as on_time_rate,
       100.0 * (coalesce(c.received_toan_trinh, 0) + coalesce(c.received_mot_phan, 0)) / nullif(c.received_total, 0) as online_share,
       100.0 * c.input_digitised / nullif(c.received_total, 0) as input_digitisation_rate,
       100.0 * c.reused_digitised_data / nullif(c.received_total, 0) as reuse_rate,
       100.0 * c.output_digitised / nullif(c.finished_total, 0) as output_digitisation_rate,
       100.0 * c.paid_online / nullif(c.fee_bearing_received, 0) as online_payment_rate
from counts as c
left join stocks as o on o.unit_key = c.unit_key and o.field_code = c.field_code and o.boundary_date = c.period_start
left join stocks as e on e.unit_key = c.unit_key and e.field_code = c.field_code and e.boundary_date = c.period_end;
