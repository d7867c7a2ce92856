{#- The dossier KPIs of an area (a province or a district) per scope × period: the area's
    own one-stop shop (`own`), its units of one level (`department`, `district`,
    `commune`: children and grandchildren in dim_unit), or everything in it (`all`): what
    reports call "cấp huyện", "cấp xã" and "cả hai cấp". Counts summed, rates recomputed.
    A province-year spanning 01/07/2025 sums the legacy units of the first half and the
    2025 units of the second. -#}

with units as (

    select unit_key, unit_level, parent_unit_key from {{ ref('dim_unit') }}

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
        scopes.area_unit_key,
        scopes.unit_scope,
        kpis.*
    from {{ ref('mart_dossier_kpis_unit') }} as kpis
    join scopes on scopes.member_unit_key = kpis.unit_key

)

{{ dossier_kpis_rollup('scoped', ['area_unit_key', 'unit_scope', 'period_type', 'period_start', 'period_end']) }}
