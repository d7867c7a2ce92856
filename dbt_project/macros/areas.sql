{#- The units an area's figures count (domain.md §3, mart_dossier_kpis_area): one row per
    (area_unit_key, unit_scope, member_unit_key). An area is a province or a district;
    its scopes are its own one-stop shop (`own`), its units of one level (`department`,
    `district`, `commune`: children and grandchildren in dim_unit), and everything in it
    (`all`). A legacy province is keyed by its current (2025) successor
    (dim_unit_lineage), so a merged province reads as the current territory. One
    definition for the area marts and the periodic report's tables. -#}
{% macro area_scopes() -%}
(
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

    )

    select
        current_areas.area_unit_key,
        scopes.unit_scope,
        scopes.member_unit_key
    from scopes
    join current_areas on current_areas.unit_key = scopes.area_unit_key
)
{%- endmacro %}
