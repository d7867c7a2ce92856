{#- The current state of each dossier: its latest version (latest updated_at; a tie, the
    same update sent twice, goes to the latest extraction). Deduplicated on the raw
    columns first, so the typing below runs on one row per dossier only. -#}

with source as (

    select * from {{ source('oss', 'dossiers') }}

),

latest as (

    select
        {{ oss_dossier_columns('source') }}

    from source
    {{ latest_per_key(
        'source.dossier_id',
        to_local_timestamp('source.updated_at') ~ ' desc, source._extracted_at desc, source._dlt_load_id desc, source._page desc'
    ) }}

),

final as (

    select
        *,
        channel in ('truc_tuyen_toan_trinh', 'truc_tuyen_mot_phan') as is_online,
        paid_online_at is not null as is_paid_online,
        apology_letter_at is not null as has_apology_letter

    from latest

)

select * from final
