{#- Helpers of the periodic report's tables (models/marts/reporting/rpt_report_*, read by
    `cchc report`). -#}

{#- The month rows of a dossier KPI mart (`relation`, with `extra_columns` carried from
    it), rolled up per `key_columns` to a month, a quarter and a year (period_type,
    period_start), rates recomputed from the summed counts by dossier_kpis_rollup. Only
    flows are meaningful at these grains (stocks at a period's end do not add up): the
    report models select the flow counts and the rates of flows. -#}
{% macro report_periods(relation, key_columns) -%}
with months as (

    select * from {{ relation }}
    where period_type = 'month'

),

by_period as (

    {%- for grain in ['month', 'quarter', 'year'] %}
    select
        {{ key_columns | join(',\n        ') }},
        '{{ grain }}' as period_type,
        {{ period_start('period_start', grain) }} as period_start,
        {{ dossier_kpi_count_columns() | join(',\n        ') }}
    from months
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}

)

{{ dossier_kpis_rollup('by_period', key_columns + ['period_type', 'period_start']) }}
{%- endmacro %}

{#- The scope's label in the report: the area's own one-stop shop reads as the area's
    level ("Cấp huyện" for a district), the others as their level, `all` as the total. -#}
{% macro report_scope_name(unit_scope, area_level) -%}
    case
        when {{ unit_scope }} = 'all' then {{ label_vi('unit_scope', unit_scope) }}
        when {{ unit_scope }} = 'own' then {{ label_vi('peer_group', area_level) }}
        else {{ label_vi('peer_group', unit_scope) }}
    end
{%- endmacro %}
