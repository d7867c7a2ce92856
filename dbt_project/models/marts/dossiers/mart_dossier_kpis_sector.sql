{#- The dossier KPIs per unit × sector (ngành: the grouping reports call "lĩnh vực", e.g.
    Tài nguyên - Môi trường, Tư pháp) × period: the fields of a sector summed, rates
    recomputed from the sums. -#}

with by_field as (

    select
        kpis.*,
        fields.sector_code,
        fields.sector_name
    from {{ ref('mart_dossier_kpis') }} as kpis
    join {{ ref('stg_reference__procedure_fields') }} as fields
        on fields.field_code = kpis.field_code

)

{{ dossier_kpis_rollup('by_field', ['unit_key', 'sector_code', 'sector_name', 'period_type', 'period_start', 'period_end']) }}
