{#- Every version of every dossier the extraction saw (one row per dossier_id ×
    updated_at), typed and without personal data: the audit trail for late changes and
    status corrections. stg_oss__dossiers keeps the latest of them.
    Incremental: the dossiers with a version extracted since the last build get all their
    raw versions re-read, renumbered and replaced (macro changed_since_last_build). -#}

{{
    config(
        materialized='incremental',
        unique_key='dossier_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

with source as (

    select * from {{ source('oss', 'dossiers') }}
    {% if is_incremental() -%}
    where {{ changed_since_last_build('dossier_id', 'extracted_at') }}
    {%- endif %}

),

renamed as (

    select
        {{ oss_dossier_columns('source') }},
        source._source as source_system,
        cast(source._page as integer) as source_page,
        row_number() over (
            partition by source.dossier_id
            order by {{ to_local_timestamp('source.updated_at') }}, source._extracted_at, source._dlt_load_id, source._page
        ) as version_number,
        count(*) over (partition by source.dossier_id) as version_count

    from source

),

final as (

    select
        *,
        version_number = version_count as is_latest_version

    from renamed

)

select * from final
