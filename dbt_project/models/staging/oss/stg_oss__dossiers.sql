{{
    config(
        materialized=row_replacing_materialization(),
        unique_key='dossier_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

{#- The current state of each dossier: its latest version (latest updated_at; a tie, the
    same update sent twice, goes to the latest extraction), i.e. the version
    stg_oss__dossier_versions marks is_latest_version: typed and deduplicated once, there,
    instead of a second window over every raw version.
    Incremental: a nightly run reads only the dossiers with a version extracted since the
    last build and replaces their rows; --full-refresh rebuilds them all. -#}

with versions as (

    select * from {{ ref('stg_oss__dossier_versions') }}
    where is_latest_version
    {% if is_incremental() -%}
    and {{ changed_since_last_build('dossier_id', 'extracted_at', ref('stg_oss__dossier_versions'), 'extracted_at') }}
    {%- endif %}

),

final as (

    select
        {{ columns_except(ref('stg_oss__dossier_versions'),
                          ['source_system', 'source_page', 'version_number', 'version_count', 'is_latest_version']) }},
        channel in ('truc_tuyen_toan_trinh', 'truc_tuyen_mot_phan') as is_online,
        paid_online_at is not null as is_paid_online,
        apology_letter_at is not null as has_apology_letter

    from versions

)

select * from final
