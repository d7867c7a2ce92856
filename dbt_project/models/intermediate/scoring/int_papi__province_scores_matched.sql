{#- PAPI's provinces matched to the legacy (63-province) reference units: on the
    normalised name key, through the alias seed where PAPI's name itself differs. One row
    per PAPI province × year, with the province's GSO code and unit key. -#}

with scores as (

    select * from {{ ref('stg_papi__province_scores') }}

),

aliases as (

    select * from {{ ref('papi_province_name_aliases') }}

),

legacy_provinces as (

    select
        unit_key as province_unit_key,
        unit_code as gso_province_code,
        {{ vn_name_key('short_name') }} as name_key
    from {{ ref('stg_reference__admin_units') }}
    where scheme = 'legacy'
      and unit_level = 'province'

)

select
    scores.papi_province_id,
    scores.score_year,
    scores.province_name,
    legacy_provinces.gso_province_code,
    legacy_provinces.province_unit_key,
    scores.region_name,
    scores.region_id,
    scores.d1_participation,
    scores.d2_transparency,
    scores.d3_vertical_accountability,
    scores.d4_control_of_corruption,
    scores.d5_public_administrative_procedures,
    scores.d6_public_service_delivery,
    scores.d7_environmental_governance,
    scores.d8_e_governance,
    scores.total_score,
    scores.total_score_6_dimensions,
    scores.official_total_score,
    scores.dimension_count,
    scores.national_rank,
    scores.tier,
    scores.load_id,
    scores.source_file,
    scores.source_row,
    scores.loaded_at
from scores
left join aliases
    on scores.province_name_key = aliases.papi_name_key
left join legacy_provinces
    on coalesce(aliases.reference_name_key, scores.province_name_key) = legacy_provinces.name_key
