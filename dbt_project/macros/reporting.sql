{#- Helpers of the reporting layer (models/marts/reporting): one place for what every
    Superset dataset repeats. -#}

{#- The Vietnamese label of a code (seed reporting_labels), or the code itself when the
    seed has none, so a new code shows up instead of vanishing. -#}
{% macro label_vi(label_set, column) -%}
    coalesce((select l.label_vi from {{ ref('reporting_labels') }} as l
              where l.label_set = '{{ label_set }}' and l.code = {{ column }}), {{ column }})
{%- endmacro %}

{#- Calendar columns every dataset carries for the dashboards' year and month filters. -#}
{% macro year_month_columns(column, type='integer') -%}
    cast(extract(year from {{ column }}) as {{ type }}) as year,
    cast(extract(month from {{ column }}) as {{ type }}) as month
{%- endmacro %}

{#- The additive dossier counts of mart_dossier_kpis(_unit) the dashboards sum: rates are
    computed in Superset as ratios of these sums (metrics in _reporting__models.yml). -#}
{% macro dossier_count_columns(alias) -%}
    {%- for column in ['received_total', 'received_toan_trinh', 'received_mot_phan', 'digitisation_tracked_received',
                       'input_digitised', 'finished_total', 'finished_early', 'finished_on_time', 'finished_late',
                       'digitisation_tracked_finished', 'output_digitised', 'in_progress_overdue_at_end'] %}
    cast({{ alias }}.{{ column }} as bigint) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The monthly dossier datasets: a KPI mart's month rows with the unit's name and peer
    group, and, by_field, the field's name (rpt_dossier_kpis_unit, rpt_dossier_kpis_field). -#}
{% macro dossier_kpis_report(kpis, by_field=false) -%}
{%- if by_field %}
with fields as (

    select distinct field_code, field_name from {{ ref('dim_procedure') }}

)

{% endif -%}
select
    k.period_start,
    {{ year_month_columns('k.period_start') }},
    {{ month_label('k.period_start') }} as month_label,
    k.unit_key,
    u.unit_name,
    {{ label_vi('peer_group', 'u.peer_group') }} as peer_group,
    {{ unit_status('u', 'k.period_start', 'month') }},
    {%- if by_field %}
    coalesce(f.field_name, k.field_code) as field_name,
    {%- endif %}
    {{ dossier_count_columns('k') }}
from {{ kpis }} as k
join {{ ref('dim_unit') }} as u using (unit_key)
{%- if by_field %}
left join fields as f using (field_code)
{%- endif %}
where k.period_type = 'month'
{%- endmacro %}

{#- A month as the dashboards name it: 'Tháng 10/2026' (the month filter's values). -#}
{% macro month_label(period_start) -%}
    'Tháng ' || {{ cchc.format_month_vi(period_start) }}
{%- endmacro %}

{#- The warehouse's data date: the as-of instant (naive local time) of the last extraction
    of the one-stop-shop, i.e. how far the night's load reaches. -#}
{% macro data_as_of() -%}
    (select max(extracted_at) from {{ ref('fct_dossier') }})
{%- endmacro %}

{#- A period is complete when it has ended in the local time zone (var local_time_zone)
    and the loaded data reaches past its end: `period_end` is the first day of the next
    period, `as_of` the data date (macro data_as_of). The one rule of "last complete
    month / year" the dashboards open on (rpt_reporting_periods, rpt_data_availability). -#}
{% macro period_is_complete(period_end, as_of) -%}
    (cast({{ period_end }} as timestamp) <= {{ as_of }}
     and cast({{ period_end }} as timestamp) <= {{ local_now() }})
{%- endmacro %}

{#- Whether a unit was still in force at the end of a row's period (grain 'month', 'year'
    or a column holding one of them): for the last complete periods these are the units of
    the 2025 scheme; a legacy unit is "reorganised" in a period it did not outlive. -#}
{% macro unit_is_active(unit_alias, period_start, grain) -%}
    {%- if grain in ('month', 'year') -%}
        {%- set period_end_sql = period_end(period_start, grain) -%}
    {%- else -%}
        {%- set period_end_sql = "case when " ~ grain ~ " = 'year' then " ~ period_end(period_start, 'year')
                                 ~ " else " ~ period_end(period_start, 'month') ~ " end" -%}
    {%- endif -%}
    ({{ unit_alias }}.valid_to is null or {{ unit_alias }}.valid_to + 1 >= {{ period_end_sql }})
{%- endmacro %}

{#- The unit status column the dashboards' "Tình trạng đơn vị" filter reads (seed
    reporting_labels, label set unit_status; rpt_unit_statuses lists the values). -#}
{% macro unit_status(unit_alias, period_start, grain) -%}
    {{ label_vi('unit_status', "case when " ~ unit_is_active(unit_alias, period_start, grain)
                ~ " then 'active' else 'reorganised' end") }} as unit_status
{%- endmacro %}


{#- The months and years the dossier data covers, from the first dossier to the data date,
    each flagged complete (macro period_is_complete) and ordered for the dashboards' default
    (rpt_reporting_periods; rpt_data_availability lists its periods from it). -#}
{% macro reporting_periods() -%}
with bounds as (

    select cast(min(received_at) as date) as first_day, {{ data_as_of() }} as as_of
    from {{ ref('fct_dossier') }}

),

days as (

    select d.calendar_date, bounds.as_of
    from {{ ref('dim_date') }} as d
    cross join bounds
    where d.calendar_date between bounds.first_day and cast(bounds.as_of as date)

),

periods as (

    select distinct 'month' as period_type, {{ period_start('calendar_date', 'month') }} as period_start, as_of,
        {{ period_end(period_start('calendar_date', 'month'), 'month') }} as next_period_start
    from days
    union all
    select distinct 'year', {{ period_start('calendar_date', 'year') }}, as_of,
        {{ period_end(period_start('calendar_date', 'year'), 'year') }}
    from days

),

flagged as (

    select *, {{ period_is_complete('next_period_start', 'as_of') }} as is_complete
    from periods

)

select
    period_type,
    {{ label_vi('period_type', 'period_type') }} as period_type_label,
    period_start,
    cast(next_period_start - 1 as date) as period_end,
    cast(extract(year from period_start) as bigint) as year,
    case when period_type = 'month' then cast(extract(month from period_start) as bigint) end as month,
    case when period_type = 'month' then {{ month_label('period_start') }} end as month_label,
    case when period_type = 'month' then {{ month_label('period_start') }}
         else 'Năm ' || cast(extract(year from period_start) as string) end as period_label,
    is_complete,
    as_of as data_as_of,
    -- 1 = the last complete period of its type, then older ones; periods in progress last
    cast(row_number() over (partition by period_type order by is_complete desc, period_start desc) as bigint)
        as complete_order,
    -- 1 = the latest period of its type, complete or not
    cast(row_number() over (partition by period_type order by period_start desc) as bigint) as latest_order
from flagged
{%- endmacro %}
