{#- The dossier KPIs of an area (a province or a district) per scope × period: the area's
    own one-stop shop (`own`), its units of one level (`department`, `district`,
    `commune`: children and grandchildren in dim_unit), or everything in it (`all`): what
    reports call "cấp huyện", "cấp xã" and "cả hai cấp". Counts summed, rates recomputed.
    A province is keyed by its current (2025) code in every period (domain.md §2, "One
    province row per period"): a legacy province's units count in its default successor
    (dim_unit_lineage), so a period spanning 01/07/2025 has one row per scope, summing the
    legacy units of the first half and the 2025 units of the second, and a merged province
    (Hải Dương into Hải Phòng) reads as the current territory in earlier years too. -#}

with units as (

    select unit_key, unit_level, parent_unit_key from {{ ref('dim_unit') }}

),

-- the area each area unit's rows are keyed by: a legacy province's current successor
current_areas as (

    select
        units.unit_key,
        coalesce(lineage.successor_unit_key, units.unit_key) as area_unit_key
    from units
    left join {{ ref('dim_unit_lineage') }} as lineage
        on lineage.predecessor_unit_key = units.unit_key
        and lineage.is_default_successor
        and units.unit_level = 'province'

),

memberships as (

    select unit_key as area_unit_key, unit_key as member_unit_key, 'own' as unit_scope
    from units
    union all
    select parent_unit_key, unit_key, unit_level
    from units
    where parent_unit_key is not null
    union all
    select parent.parent_unit_key, child.unit_key, child.unit_level
    from units as child
    join units as parent on parent.unit_key = child.parent_unit_key
    where parent.parent_unit_key is not null

),

scopes as (

    select * from memberships
    union all
    -- every member of an area also counts in its `all` scope
    select area_unit_key, member_unit_key, 'all' from memberships

),

scoped as (

    select
        current_areas.area_unit_key,
        scopes.unit_scope,
        kpis.*
    from {{ ref('mart_dossier_kpis_unit') }} as kpis
    join scopes on scopes.member_unit_key = kpis.unit_key
    join current_areas on current_areas.unit_key = scopes.area_unit_key

)

{{ dossier_kpis_rollup('scoped', ['area_unit_key', 'unit_scope', 'period_type', 'period_start', 'period_end']) }}
