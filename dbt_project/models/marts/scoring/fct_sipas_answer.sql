{#- SIPAS survey answers, one row per response × question, with the respondent's profile
    (gender, age group) but never their name or phone number (never loaded). -#}

with answers as (

    select * from {{ ref('int_sipas__answers') }}

),

responses as (

    select response_id, survey_date, service_field_name, gender, age_group
    from {{ ref('int_sipas__responses') }}

)

select
    answers.response_id,
    answers.question_code,
    answers.survey_year,
    responses.survey_date,
    answers.unit_key,
    responses.service_field_name,
    responses.gender,
    responses.age_group,
    answers.element_number,
    answers.element_code,
    answers.question_number,
    answers.question_label,
    answers.answer,
    answers.is_answered,
    answers.is_satisfied
from answers
join responses on responses.response_id = answers.response_id
