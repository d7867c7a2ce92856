{#- SIPAS answers, one row per response × question. The question code ('TC1.1') holds the
    element code (TC), the element number (1) and the question number (1). Questions
    left unanswered are kept with answer NULL (is_answered false): whether they count in
    a denominator is a business rule for the marts. is_satisfied: the answer is at least
    sipas_satisfied_min_answer() (default 4: satisfied or very satisfied). -#}

{%- set question_code_pattern = '^([A-Z]{2,3})([0-9]+)\\.([0-9]+)$' %}

with source as (

    select * from {{ source('sipas', 'sipas_responses') }}

),

latest_responses as (

    select
        source.response_id,
        source.survey_year,
        source.unit_code,
        source.answers,
        source._load_id,
        source._source_file,
        source._source_row,
        source._loaded_at

    from source
    {{ latest_per_key('source.response_id', 'source._loaded_at desc, source._load_id desc, source._source_row desc') }}

),

unnested as (

    select
        latest_responses.response_id,
        latest_responses.survey_year,
        latest_responses.unit_code,
        latest_responses._load_id,
        latest_responses._source_file,
        latest_responses._source_row,
        latest_responses._loaded_at,
        {{ unnest_list('latest_responses.answers') }} as answer_item

    from latest_responses

),

renamed as (

    select
        response_id,
        {{ clean_text('answer_item.question_code') }} as question_code,
        cast(survey_year as integer) as survey_year,
        {{ clean_text('unit_code') }} as unit_key,
        {{ clean_text('answer_item.question_label') }} as question_label,
        cast(answer_item.answer as integer) as answer,
        _load_id as load_id,
        _source_file as source_file,
        cast(_source_row as integer) as source_row,
        cast(_loaded_at as timestamp) as loaded_at

    from unnested

),

parsed as (

    select
        response_id,
        question_code,
        {{ regexp_extract_group('question_code', question_code_pattern, 1) }} as element_code,
        cast({{ regexp_extract_group('question_code', question_code_pattern, 2) }} as integer) as element_number,
        cast({{ regexp_extract_group('question_code', question_code_pattern, 3) }} as integer) as question_number,
        question_label,
        {{ regexp_replace_all('question_label', '^[A-Z]{2,3}[0-9]+\\.[0-9]+\\s*', '') }} as question_text,
        survey_year,
        unit_key,
        answer,
        answer is not null as is_answered,
        answer >= {{ sipas_satisfied_min_answer() }} as is_satisfied,
        load_id,
        source_file,
        source_row,
        loaded_at

    from renamed

)

select * from parsed
