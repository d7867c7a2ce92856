{#- PAPI provincial scores, one row per province × year, typed, with the province name's
    normalised key (vn_name_key: NFC, lower case, no 'Tỉnh' / 'Thành phố' / 'TP.' prefix,
    one tone-mark placement: 'Hoà' = 'Hòa') that int_papi__province_scores_matched matches
    to the reference units. Dimension scores stay NULL where the dimension did not exist
    (D7, D8 before 2018): never 0. -#}

with source as (

    select * from {{ source('papi', 'papi_province_year') }}

),

latest as (

    select *
    from source
    {{ latest_file_row_per_key(['source.province_id', 'source.year']) }}

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

)

select * from renamed
