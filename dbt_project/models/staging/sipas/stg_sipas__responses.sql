{#- SIPAS survey responses, one row per response, without personal data (the
    respondent's name and phone number are never loaded). The answers are in
    stg_sipas__answers. -#}

with source as (

    select * from {{ source('sipas', 'sipas_responses') }}

),

latest as (

    select
        source.response_id,
        source.province_code,
        cast(source.survey_year as integer) as survey_year,
        cast(source.survey_date as date) as survey_date,
        {{ clean_text('source.unit_code') }} as unit_key,
        {{ clean_text('source.unit_name') }} as unit_name,
        {{ clean_text('source.service_field') }} as service_field_name,
        {{ clean_text('source.gender') }} as gender,
        {{ clean_text('source.age_group') }} as age_group,

        -- lineage
        {{ file_row_lineage('source', with_sheet=false) }}

    from source
    {{ latest_file_row_per_key('source.response_id') }}

)

select * from latest
