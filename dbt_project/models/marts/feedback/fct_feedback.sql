{#- One row per feedback record (phản ánh, kiến nghị) in its current state, with whether it
    was handled by its due time: the inputs of the 766 index's satisfaction group. -#}

with feedback as (

    select * from {{ ref('stg_oss__feedback') }}

)

select
    feedback_id,
    -- the unit that held the code sent on the day the feedback was received
    {{ unit_version_key('feedback.unit_key') }} as unit_key,
    dossier_id,
    topic,
    status,
    received_at,
    cast(received_at as date) as received_date,
    due_at,
    handled_at,
    cast(handled_at as date) as handled_date,
    handled_at is not null as is_handled,
    coalesce(handled_at <= due_at, false) as is_handled_on_time,
    is_satisfied,
    updated_at,
    extracted_at
from feedback
{{ unit_version_join('feedback.unit_key', 'cast(feedback.received_at as date)') }}
