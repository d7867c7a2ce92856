{#- Stocks per unit × field at each month boundary (the first instant of a month): the
    dossiers open then (received before it, not yet finished, rejected or withdrawn) and
    those of them overdue (in progress overdue: past their due time and not waiting for the
    applicant's papers nor suspended then, macro dossier_is_overdue). A boundary after the
    data's "as of" (the last extraction), or after the end of var report_period_end, is
    measured at that instant instead. A range
    join: each dossier meets only the boundaries it stays open across.
    Incremental: a nightly build recounts (1) every boundary after the previous build's
    as-of instant, for every unit × field (its measuring instant moved with the new
    extraction), and (2) the earlier boundaries of the unit × fields where a changed
    dossier (macros/dossier_kpis_incremental.sql) was open by any of its versions. A
    recounted stock with no dossier left is written as zero, replacing the old row, and
    the post-hook removes it. New columns are appended (on_schema_change): a table built
    before them has no watermark or as-of, so its first incremental build recounts all. -#}

{{
    config(
        materialized=row_replacing_materialization(),
        unique_key=['unit_key', 'field_code', 'boundary_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        alias=kpi_relation_alias('fct_dossier_kpi_stocks'),
        full_refresh=(true if report_period_end() is not none else none),
        post_hook=delete_rows_where("open_dossiers = 0")
    )
}}

-- depends_on: {{ ref('stg_oss__dossier_versions') }}
-- depends_on: {{ ref('stg_reference__procedures') }}
-- depends_on: {{ ref('int_units__earlier_code_holders') }}

{#- The dossiers are read where needed rather than through a shared CTE: DuckDB
    materialises a CTE read more than once, here every dossier's row. -#}
{%- set dossiers -%}
    (select unit_key, field_code, received_at, due_at, closed_at, extracted_at,
            supplement_requested_at, supplement_received_at, suspended_at, resumed_at
     from {{ ref('fct_dossier') }})
{%- endset %}

with as_of as (

    select max(extracted_at) as as_of from {{ ref('fct_dossier') }}

),

month_boundaries as (

    select
        dates.month_start as boundary_date,
        least(cast(dates.month_start as timestamp), {{ counted_until('as_of.as_of') }}) as measured_at
    from {{ ref('dim_date') }} as dates
    cross join as_of
    where dates.calendar_date = dates.month_start
      -- up to the end of the current year: later boundaries of open periods are measured at the as-of instant
      and dates.month_start <= {{ period_end(period_start('cast(as_of.as_of as date)', 'year'), 'year') }}

),

boundaries as (

    select *
    from month_boundaries
    where boundary_date > (select min(cast(received_at as date)) from {{ ref('fct_dossier') }})

),

{% if is_incremental() -%}
previous as (

    select {{ max_or_beginning(this, 'measured_at') }} as as_of

),

changed_versions as (

    {{ changed_dossier_versions(kpi_watermark(this)) }}

),

-- (1) boundaries whose measuring instant moved, for every unit × field
moved_boundaries as (

    select boundaries.*
    from boundaries
    cross join previous
    where boundaries.boundary_date > previous.as_of

),

-- (2) earlier boundaries where a changed dossier was open, before or after its change
touched_stocks as (

    -- every month start, not only those after today's earliest receipt: an old version
    -- received earlier than any dossier now left stocks there that must be recounted
    select distinct changed_versions.unit_key, changed_versions.field_code, boundaries.boundary_date, boundaries.measured_at
    from month_boundaries as boundaries
    cross join previous
    join changed_versions
        on changed_versions.received_at < boundaries.measured_at
        and (changed_versions.closed_at is null or changed_versions.closed_at >= boundaries.measured_at)
    where boundaries.boundary_date <= previous.as_of

),

-- every stock recounted, so that one left without dossiers is replaced by a zero row
recounted as (

    select unit_key, field_code, boundary_date, measured_at from touched_stocks
    union
    select existing.unit_key, existing.field_code, existing.boundary_date, moved_boundaries.measured_at
    from {{ this }} as existing
    join moved_boundaries on moved_boundaries.boundary_date = existing.boundary_date

),
{%- endif %}

{#- The dossiers open at each boundary to count: in a full build every boundary; in an
    incremental one the moved boundaries (every unit × field) and the touched stocks (their
    own unit × field). -#}
{%- set parts = [('moved_boundaries', false), ('touched_stocks', true)] if is_incremental() else [('boundaries', false)] %}
counted as (
    {%- for relation, per_slice in parts %}
    select
        dossiers.unit_key,
        dossiers.field_code,
        {{ relation }}.boundary_date,
        {{ relation }}.measured_at,
        {{ dossier_is_overdue('dossiers', relation ~ '.measured_at') }} as is_overdue,
        dossiers.extracted_at
    from {{ relation }}
    join {{ dossiers }} as dossiers
        on {% if per_slice -%}
        dossiers.unit_key = {{ relation }}.unit_key
        and dossiers.field_code = {{ relation }}.field_code
        and {% endif -%}
        dossiers.received_at < {{ relation }}.measured_at
        and (dossiers.closed_at is null or dossiers.closed_at >= {{ relation }}.measured_at)
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

stocks as (

    select
        unit_key,
        field_code,
        boundary_date,
        count(*) as open_dossiers,
        cast(sum(case when is_overdue then 1 else 0 end) as bigint) as overdue_dossiers,
        measured_at,
        max(extracted_at) as latest_extracted_at
    from counted
    group by unit_key, field_code, boundary_date, measured_at

)

select * from stocks
{% if is_incremental() -%}
union all
select
    recounted.unit_key,
    recounted.field_code,
    recounted.boundary_date,
    0 as open_dossiers,
    cast(0 as bigint) as overdue_dossiers,
    recounted.measured_at,
    cast(null as timestamp) as latest_extracted_at
from recounted
where not exists (
    select 1 from stocks
    where stocks.unit_key = recounted.unit_key
      and stocks.field_code = recounted.field_code
      and stocks.boundary_date = recounted.boundary_date
)
{%- endif %}
