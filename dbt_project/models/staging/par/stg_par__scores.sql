{#- PAR INDEX appraisal scores, one row per province × score year × unit × criterion
    (the workbook's natural key); a row loaded twice keeps the latest load. The field
    number is the part of the criterion code before the dot ('3.2' → field 3). -#}

with source as (

    select * from {{ source('par', 'par_scores') }}

),

latest as (

    select
        -- keys
        source.province_code,
        cast(source.score_year as integer) as score_year,
        {{ clean_text('source.unit_code') }} as unit_key,
        {{ clean_text('source.criterion_code') }} as criterion_code,

        -- unit, field and criterion
        source.peer_group,
        {{ clean_text('source.unit_name') }} as unit_name,
        cast({{ dbt.split_part(clean_text('source.criterion_code'), "'.'", 1) }} as integer) as field_number,
        {{ clean_text('source.field_name') }} as field_name,
        {{ clean_text('source.criterion_name') }} as criterion_name,

        -- points
        cast(source.max_points as decimal(6, 2)) as max_points,
        cast(source.self_score as decimal(6, 2)) as self_assessed_points,
        cast(source.appraised_score as decimal(6, 2)) as appraised_points,

        -- lineage
        {{ file_row_lineage('source') }}

    from source
    {{ latest_file_row_per_key(['source.province_code', 'source.score_year', 'source.unit_code', 'source.criterion_code']) }}

)

select * from latest
