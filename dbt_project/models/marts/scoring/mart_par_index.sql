{#- PAR INDEX per unit × year (domain.md §5): appraised points over maximum points of
    all fields, the weakest field, and the classification: the lower of the index band
    and the weakest-field band of par_classification_bands (macro par_classification),
    with the methodology whose validity years contain the score year. Full precision;
    display rounding (half up, 2 decimals) is the dashboards' job.

    Only a complete unit-year is classified and ranked: appraised points for every
    criterion of its peer group's sheet that year and no row of it held back by the
    loader. Otherwise a unit would be classed on the fields it happens to have; its
    figures stay, marked incomplete with the reason. -#}

{%- set max_field_number = 8 %}

with fields as (

    select * from {{ ref('mart_par_index_fields') }}

),

scores as (

    select * from {{ ref('int_par__scores') }}

),

quarantined as (

    select * from {{ ref('int_quality__quarantined_rows') }}
    where source = 'par'

),

-- The criteria a peer group is scored on in a year: those on its sheet of the workbook.
schemes as (

    select province_code, score_year, peer_group, count(distinct criterion_code) as criteria_in_scheme
    from scores
    group by province_code, score_year, peer_group

),

unit_criteria as (

    select unit_key, score_year, count(distinct criterion_code) as criteria_scored
    from scores
    group by unit_key, score_year

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
        {%- endfor %},
        schemes.criteria_in_scheme,
        unit_criteria.criteria_scored,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows

    from unit_years
    left join schemes
        on schemes.province_code = unit_years.province_code
        and schemes.score_year = unit_years.score_year
        and schemes.peer_group = unit_years.peer_group
    left join unit_criteria
        on unit_criteria.unit_key = unit_years.unit_key
        and unit_criteria.score_year = unit_years.score_year
    left join quarantined
        on quarantined.unit_key = unit_years.unit_key
        and quarantined.period_year = unit_years.score_year
    left join methodologies
        on unit_years.score_year >= methodologies.valid_from_year
        and (methodologies.valid_to_year is null or unit_years.score_year <= methodologies.valid_to_year)

),

completeness as (

    select
        scored.*,
        coalesce(criteria_scored = criteria_in_scheme and quarantined_rows = 0, false) as is_complete,
        case
            when criteria_scored < criteria_in_scheme then
                'Thiếu điểm thẩm định ' || cast(criteria_in_scheme - criteria_scored as string) || '/'
                || cast(criteria_in_scheme as string) || ' tiêu chí'
            when quarantined_rows > 0 then
                cast(quarantined_rows as string) || ' dòng điểm bị cách ly khi nạp tệp'
        end as incomplete_reason

    from scored

),

classified as (

    {{ par_classification('completeness', 'bands', eligible='is_complete') }}

),

final as (

    select
        *,
        case when is_complete then
            rank() over (
                partition by province_code, score_year, peer_group, is_complete
                order by index_pct desc
            )
        end as rank_in_peer_group

    from classified

)

select * from final
