{#- Feedback (phản ánh, kiến nghị): the latest version of each record (latest updated_at,
    ties to the latest extraction). -#}

with source as (

    select * from {{ source('oss', 'feedback') }}

),

latest as (

    select
        source.feedback_id,
        source.unit_key,
        source.dossier_id,
        {{ clean_text('source.topic') }} as topic,
        source.status,
        {{ to_local_timestamp('source.received_at') }} as received_at,
        {{ to_local_timestamp('source.due_at') }} as due_at,
        {{ to_local_timestamp('source.handled_at') }} as handled_at,
        cast(source.is_satisfied as boolean) as is_satisfied,
        {{ to_local_timestamp('source.updated_at') }} as updated_at,
        source._dlt_load_id as load_id,
        cast(source._extracted_at as timestamp) as extracted_at

    from source
    {{ latest_per_key(
        'source.feedback_id',
        to_local_timestamp('source.updated_at') ~ ' desc, source._extracted_at desc, source._dlt_load_id desc, source._page desc'
    ) }}

)

select * from latest
