{#- PAR INDEX per unit × year (domain.md §5): appraised points over maximum points of
    all fields, the weakest field, and the classification: the lower of the index band
    and the weakest-field band of par_classification_bands (macro par_classification),
    with the methodology whose validity years contain the score year. Full precision;
    display rounding (half up, 2 decimals) is the dashboards' job. -#}

{%- set max_field_number = 8 %}

with fields as (

    select * from {{ ref('mart_par_index_fields') }}

),

bands as (

    select * from {{ ref('par_classification_bands') }}

),

methodologies as (

    select distinct methodology_code, valid_from_year, valid_to_year
    from bands

),

unit_years as (

    select
        unit_key,
        score_year,
        max(province_code) as province_code,
        max(peer_group) as peer_group,
        max(unit_name) as unit_name,
        count(*) as field_count,
        sum(max_points) as max_points,
        sum(appraised_points) as appraised_points,
        sum(self_assessed_points) as self_assessed_points,
        max(case when is_weakest_field then field_number end) as weakest_field_number,
        max(case when is_weakest_field then field_name end) as weakest_field_name,
        max(case when is_weakest_field then field_pct end) as weakest_field_pct
        {%- for n in range(1, max_field_number + 1) %},
        sum(case when field_number = {{ n }} then appraised_points end) as field_{{ n }}_points,
        max(case when field_number = {{ n }} then field_pct end) as field_{{ n }}_pct
        {%- endfor %}

    from fields
    group by unit_key, score_year

),

scored as (

    select
        unit_years.unit_key,
        unit_years.score_year,
        unit_years.province_code,
        unit_years.peer_group,
        unit_years.unit_name,
        methodologies.methodology_code,
        unit_years.field_count,
        unit_years.max_points,
        unit_years.appraised_points,
        {{ pct('unit_years.appraised_points', 'unit_years.max_points') }} as index_pct,
        unit_years.self_assessed_points,
        {{ pct('unit_years.self_assessed_points', 'unit_years.max_points') }} as self_assessed_pct,
        unit_years.weakest_field_number,
        unit_years.weakest_field_name,
        unit_years.weakest_field_pct
        {%- for n in range(1, max_field_number + 1) %},
        unit_years.field_{{ n }}_points,
        unit_years.field_{{ n }}_pct
        {%- endfor %}

    from unit_years
    left join methodologies
        on unit_years.score_year >= methodologies.valid_from_year
        and (methodologies.valid_to_year is null or unit_years.score_year <= methodologies.valid_to_year)

),

classified as (

    {{ par_classification('scored', 'bands') }}

),

final as (

    select
        *,
        rank() over (
            partition by province_code, score_year, peer_group
            order by index_pct desc
        ) as rank_in_peer_group

    from classified

)

select * from final
