{#- The dossier KPIs per unit × period, all fields together: counts summed, rates
    recomputed from the sums (never averaged). -#}

with by_field as (

    select * from {{ ref('mart_dossier_kpis') }}

)

{{ dossier_kpis_rollup('by_field', ['unit_key', 'period_type', 'period_start', 'period_end']) }}
