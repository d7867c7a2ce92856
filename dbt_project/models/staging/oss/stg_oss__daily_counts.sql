{#- The system's own counts per unit and day (the reconciliation figures): the latest
    extraction of each unit × day. -#}

with source as (

    select * from {{ source('oss', 'daily_counts') }}

),

latest as (

    select
        source.unit_key,
        {{ to_date('source.day') }} as count_date,
        cast(source.received as integer) as dossiers_received,
        cast(source.received_online as integer) as dossiers_received_online,
        cast(source.finished as integer) as dossiers_finished,
        source._dlt_load_id as load_id,
        cast(source._extracted_at as timestamp) as extracted_at

    from source
    {{ latest_per_key(
        ['source.unit_key', to_date('source.day')],
        'source._extracted_at desc, source._dlt_load_id desc, source._page desc'
    ) }}

)

select * from latest
