{#- The dossier KPIs per unit × period, all fields together: counts summed, rates
    recomputed from the sums (never averaged). -#}

{%- set counts = dossier_flow_measures() | map(attribute=0) | list
    + ['carried_over', 'in_progress_at_end', 'in_progress_overdue_at_end'] %}

with by_field as (

    select * from {{ ref('mart_dossier_kpis') }}

),

summed as (

    select
        unit_key,
        period_type,
        period_start,
        period_end
        {%- for name in counts %},
        sum({{ name }}) as {{ name }}
        {%- endfor %}
    from by_field
    group by 1, 2, 3, 4

)

select
    *,
    {{ dossier_kpi_rates() }}
from summed
