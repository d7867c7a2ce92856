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
    k.unit_key,
    u.unit_name,
    {{ label_vi('peer_group', 'u.peer_group') }} as peer_group,
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
