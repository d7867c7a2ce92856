{#- PAPI provincial scores, one row per province × year, with the GSO code of the legacy
    (63-province) province. PAPI names the provinces without their type and in its own
    spelling; they are matched to stg_reference__admin_units on a normalised name key
    (vn_name_key: NFC, lower case, no 'Tỉnh' / 'Thành phố' / 'TP.' prefix, one tone-mark
    placement: 'Hoà' = 'Hòa'), with an alias list for the provinces whose name itself
    differs. Dimension scores stay NULL where the dimension did not exist (D7, D8 before
    2018): never 0. -#}

with source as (

    select * from {{ source('papi', 'papi_province_year') }}

),

latest as (

    select *
    from source
    {{ latest_file_row_per_key(['source.province_id', 'source.year']) }}

),

-- Names that differ beyond type prefixes and tone placement: PAPI name key → reference name key.
province_name_aliases as (

    select aliases.papi_name_key, aliases.reference_name_key
    from (
        values
            ('thừa thiên huế', 'huế'),
            ('hồ chí minh city', 'hồ chí minh'),
            ('hcm', 'hồ chí minh'),
            ('tphcm', 'hồ chí minh'),
            ('bà rịa vũng tàu', 'bà rịa-vũng tàu')
    ) as aliases (papi_name_key, reference_name_key)

),

legacy_provinces as (

    select
        unit_key as province_unit_key,
        unit_code as gso_province_code,
        {{ vn_name_key('short_name') }} as name_key

    from {{ ref('stg_reference__admin_units') }}
    where scheme = 'legacy'
      and unit_level = 'province'

),

renamed as (

    select
        cast(latest.province_id as integer) as papi_province_id,
        cast(latest.year as integer) as score_year,
        {{ clean_text('latest.province_vi') }} as province_name,
        {{ vn_name_key('latest.province_vi') }} as province_name_key,
        {{ clean_text('latest.region') }} as region_name,
        cast(latest.region_id as integer) as region_id,

        -- dimensions, 1-10 each; NULL where the dimension did not exist that year
        cast(latest.d1 as double) as d1_participation,
        cast(latest.d2 as double) as d2_transparency,
        cast(latest.d3 as double) as d3_vertical_accountability,
        cast(latest.d4 as double) as d4_control_of_corruption,
        cast(latest.d5 as double) as d5_public_administrative_procedures,
        cast(latest.d6 as double) as d6_public_service_delivery,
        cast(latest.d7 as double) as d7_environmental_governance,
        cast(latest.d8 as double) as d8_e_governance,

        -- totals and ranking
        cast(latest.total_papi as double) as total_score,
        cast(latest.total_papi_6dim as double) as total_score_6_dimensions,
        cast(latest.total_official as double) as official_total_score,
        cast(latest.n_dims as integer) as dimension_count,
        cast(latest.rank_year as integer) as national_rank,
        {{ clean_text('latest.tier') }} as tier,

        -- lineage
        latest._load_id as load_id,
        latest._source_file as source_file,
        cast(latest._source_row as integer) as source_row,
        cast(latest._loaded_at as timestamp) as loaded_at

    from latest

),

matched as (

    select
        renamed.papi_province_id,
        renamed.score_year,
        renamed.province_name,
        legacy_provinces.gso_province_code,
        legacy_provinces.province_unit_key,
        renamed.region_name,
        renamed.region_id,
        renamed.d1_participation,
        renamed.d2_transparency,
        renamed.d3_vertical_accountability,
        renamed.d4_control_of_corruption,
        renamed.d5_public_administrative_procedures,
        renamed.d6_public_service_delivery,
        renamed.d7_environmental_governance,
        renamed.d8_e_governance,
        renamed.total_score,
        renamed.total_score_6_dimensions,
        renamed.official_total_score,
        renamed.dimension_count,
        renamed.national_rank,
        renamed.tier,
        renamed.load_id,
        renamed.source_file,
        renamed.source_row,
        renamed.loaded_at

    from renamed
    left join province_name_aliases
        on renamed.province_name_key = province_name_aliases.papi_name_key
    left join legacy_provinces
        on coalesce(province_name_aliases.reference_name_key, renamed.province_name_key) = legacy_provinces.name_key

)

select * from matched
