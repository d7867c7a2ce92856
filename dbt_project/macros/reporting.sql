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
