{#- Flows per unit × field × period (month and year): what was received, finished,
    rejected, withdrawn and apologised for in the period, each counted on its own date.
    Counts only; rates are computed where counts meet (mart_dossier_kpis). A year is the
    sum of its months.
    Incremental: a nightly build recounts only the unit × field × months that a changed
    dossier falls in by any of its versions (macros/dossier_kpis_incremental.sql), then
    the years of those months from their month rows. A recounted month left with no
    dossier is written as zeros, which replace the old row, and the post-hook removes it.
    With var report_period_end, events after that day are not counted (a separate table,
    fully rebuilt: macro kpi_relation_alias).
    New columns are appended (on_schema_change): a table built before the watermark
    column has none, so its first incremental build recounts every month. -#}

{{
    config(
        materialized=row_replacing_materialization(),
        unique_key=['unit_key', 'field_code', 'period_type', 'period_start'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        alias=kpi_relation_alias('fct_dossier_kpi_flows'),
        full_refresh=(true if report_period_end() is not none else none),
        post_hook=delete_rows_where(dossier_flow_row_is_empty())
    )
}}

-- depends_on: {{ ref('stg_oss__dossier_versions') }}
-- depends_on: {{ ref('stg_reference__procedures') }}
-- depends_on: {{ ref('int_units__earlier_code_holders') }}

{%- set measures = dossier_flow_measures() %}

with

{% if is_incremental() -%}
changed_versions as (

    {{ changed_dossier_versions(kpi_watermark(this)) }}

),

touched_months as (
    {%- for event_date in dossier_event_dates() %}
    select unit_key, field_code, {{ period_start(event_date, 'month') }} as period_start
    from changed_versions
    where {{ event_date }} is not null
    {% if not loop.last %}union{% endif %}
    {%- endfor %}

),

touched_years as (

    select distinct unit_key, field_code, {{ period_start('period_start', 'year') }} as year_start
    from touched_months

),

{% endif -%}

{#- Each branch reads fct_dossier itself (the columns it needs) rather than a shared
    CTE: DuckDB materialises a CTE read more than once, here every dossier's row. -#}
events as (
    {%- for event_date in dossier_event_dates() %}
    select
        dossier.unit_key,
        dossier.field_code,
        {{ period_start(event_date, 'month') }} as period_start,
        dossier.extracted_at
        {%- for name, measure_date, condition in measures %},
        {% if measure_date == event_date -%}
        case when {{ condition }} then 1 else 0 end
        {%- else -%}
        0
        {%- endif %} as {{ name }}
        {%- endfor %}
    from (
        select
            *,
            cast(rejected_at as date) as rejected_date,
            cast(withdrawn_at as date) as withdrawn_date,
            cast(apology_letter_at as date) as apology_letter_date
        from {{ ref('fct_dossier') }}
    ) as dossier
    where {{ event_date }} is not null
    {%- if report_period_end() is not none %}
      and {{ event_date }} <= {{ report_period_end() }}
    {%- endif %}
    {%- if is_incremental() %}
      and exists (
        select 1 from touched_years
        where touched_years.unit_key = dossier.unit_key and touched_years.field_code = dossier.field_code
      )
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

counted_months as (

    select
        unit_key,
        field_code,
        period_start
        {%- for name, _, _ in measures %},
        cast(sum({{ name }}) as bigint) as {{ name }}
        {%- endfor %},
        max(extracted_at) as latest_extracted_at
    from events
    {% if is_incremental() -%}
    where {{ in_slices('touched_months', 'events', 'period_start', 'events.period_start') }}
    {%- endif %}
    group by 1, 2, 3

),

{% if is_incremental() -%}
months as (

    select * from counted_months
    union all
    -- a recounted month with no dossier left: zeros replace the old row (post-hook removes them)
    select
        touched_months.unit_key,
        touched_months.field_code,
        touched_months.period_start
        {%- for name, _, _ in measures %},
        0
        {%- endfor %},
        cast(null as timestamp)
    from touched_months
    where not {{ in_slices('counted_months', 'touched_months', 'period_start', 'touched_months.period_start') }}

),

months_of_touched_years as (

    select * from months
    union all
    -- the months already counted in a touched year, for its sum
    select
        unit_key,
        field_code,
        period_start
        {%- for name, _, _ in measures %},
        {{ name }}
        {%- endfor %},
        {{ column_or_null(this, 'latest_extracted_at', 'timestamp') }}
    from {{ this }} as counted
    where counted.period_type = 'month'
      and {{ in_slices('touched_years', 'counted', 'year_start', period_start('counted.period_start', 'year')) }}
      and not {{ in_slices('touched_months', 'counted', 'period_start', 'counted.period_start') }}

),
{%- else -%}
months as (

    select * from counted_months

),

months_of_touched_years as (

    select * from counted_months

),
{%- endif %}

years as (

    select
        unit_key,
        field_code,
        {{ period_start('period_start', 'year') }} as period_start
        {%- for name, _, _ in measures %},
        cast(sum({{ name }}) as bigint) as {{ name }}
        {%- endfor %},
        max(latest_extracted_at) as latest_extracted_at
    from months_of_touched_years
    group by 1, 2, 3

)

select
    unit_key,
    field_code,
    'month' as period_type,
    period_start
    {%- for name, _, _ in measures %},
    {{ name }}
    {%- endfor %},
    latest_extracted_at
from months
union all
select
    unit_key,
    field_code,
    'year' as period_type,
    period_start
    {%- for name, _, _ in measures %},
    {{ name }}
    {%- endfor %},
    latest_extracted_at
from years
