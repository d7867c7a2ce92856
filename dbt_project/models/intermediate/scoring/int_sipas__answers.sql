{#- SIPAS answers (stg_sipas__answers) with the unit of their response as
    int_sipas__responses resolves it (the holder of the code on 31/12 of the survey year). -#}

select
    answers.response_id,
    answers.question_code,
    answers.element_code,
    answers.element_number,
    answers.question_number,
    answers.question_label,
    answers.question_text,
    answers.survey_year,
    {{ unit_version_key('answers.unit_key') }} as unit_key,
    answers.answer,
    answers.is_answered,
    answers.is_satisfied,
    answers.load_id,
    answers.source_file,
    answers.source_row,
    answers.loaded_at
from {{ ref('stg_sipas__answers') }} as answers
{{ unit_version_join('answers.unit_key', 'make_date(answers.survey_year, 12, 31)') }}
