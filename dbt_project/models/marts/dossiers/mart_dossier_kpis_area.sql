{#- The dossier KPIs of an area (a province or a district) per scope × period: the area's
    own one-stop shop (`own`), its units of one level (`department`, `district`,
    `commune`: children and grandchildren in dim_unit), or everything in it (`all`): what
    reports call "cấp huyện", "cấp xã" and "cả hai cấp". Counts summed, rates recomputed.
    A province is keyed by its current (2025) code in every period (domain.md §2, "One
    province row per period"): a legacy province's units count in its default successor
    (dim_unit_lineage), so a period spanning 01/07/2025 has one row per scope, summing the
    legacy units of the first half and the 2025 units of the second, and a merged province
    (Hải Dương into Hải Phòng) reads as the current territory in earlier years too. The
    scopes are macro area_scopes (macros/areas.sql), shared with the periodic report. -#}

with scoped as (

    select
        scopes.area_unit_key,
        scopes.unit_scope,
        kpis.*
    from {{ ref('mart_dossier_kpis_unit') }} as kpis
    join {{ area_scopes() }} as scopes on scopes.member_unit_key = kpis.unit_key

)

{{ dossier_kpis_rollup('scoped', ['area_unit_key', 'unit_scope', 'period_type', 'period_start', 'period_end']) }}
