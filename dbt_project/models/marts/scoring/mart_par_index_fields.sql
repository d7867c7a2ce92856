{#- PAR INDEX per unit × year × field (lĩnh vực): appraised points of the field's
    criteria over the field's maximum, and the weakest field of the unit-year (lowest
    field %, the lower field number on ties). Full precision; no rounding. -#}

with scores as (

    select * from {{ ref('int_par__scores') }}

),

fields as (

    select
        unit_key,
        score_year,
        field_number,
        max(province_code) as province_code,
        max(peer_group) as peer_group,
        max(unit_name) as unit_name,
        max(field_name) as field_name,
        count(*) as criterion_count,
        sum(max_points) as max_points,
        sum(appraised_points) as appraised_points,
        sum(self_assessed_points) as self_assessed_points

    from scores
    group by unit_key, score_year, field_number

),

field_pcts as (

    select
        *,
        {{ pct('appraised_points', 'max_points') }} as field_pct,
        {{ pct('self_assessed_points', 'max_points') }} as self_assessed_pct

    from fields

),

ranked as (

    select
        *,
        row_number() over (
            partition by unit_key, score_year
            order by field_pct asc nulls last, field_number asc
        ) as field_rank_ascending

    from field_pcts

)

select
    unit_key,
    score_year,
    field_number,
    province_code,
    peer_group,
    unit_name,
    field_name,
    criterion_count,
    max_points,
    appraised_points,
    field_pct,
    self_assessed_points,
    self_assessed_pct,
    field_rank_ascending = 1 as is_weakest_field

from ranked
