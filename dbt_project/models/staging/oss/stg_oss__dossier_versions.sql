{#- Every version of every dossier the extraction saw (one row per dossier_id ×
    updated_at), typed and without personal data: the audit trail for late changes and
    status corrections. stg_oss__dossiers keeps the latest of them.
    Incremental: the dossiers with a version extracted since the last build get all their
    raw versions re-read, renumbered and replaced (macro changed_since_last_build). -#}

{{
    config(
        materialized=row_replacing_materialization(),
        unique_key='dossier_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

{%- set raw_versions -%}
    {{ source('oss', 'dossiers') }}
    {% if is_incremental() -%}
    where {{ changed_since_last_build('dossier_id', 'extracted_at') }}
    {%- endif %}
{%- endset %}

with source as (

    select * from {{ raw_versions }}

),

{# Version numbers: a window over every raw version would sort the whole table with all
    its columns. Only the dossiers with several versions are ranked, on a narrow
    projection, and joined back on the raw key (dossier_id × updated_at, unique in raw:
    the extraction merges on it); a dossier seen once is version 1 of 1 without a sort.
    These CTEs read the raw table themselves rather than `source`: DuckDB materialises a
    CTE read more than once, which here would copy every column of every raw version. -#}
versioned_dossiers as (

    select dossier_id, count(*) as version_count
    from {{ raw_versions }}
    group by dossier_id
    having count(*) > 1

),

version_numbers as (

    select
        versions.dossier_id,
        versions.updated_at,
        row_number() over (
            partition by versions.dossier_id
            order by {{ to_local_timestamp('versions.updated_at') }}, versions._extracted_at, versions._dlt_load_id, versions._page
        ) as version_number,
        versioned_dossiers.version_count
    from {{ source('oss', 'dossiers') }} as versions
    join versioned_dossiers on versioned_dossiers.dossier_id = versions.dossier_id

),

renamed as (

    select
        {{ oss_dossier_columns('source') }},
        source._source as source_system,
        cast(source._page as integer) as source_page,
        coalesce(version_numbers.version_number, 1) as version_number,
        coalesce(version_numbers.version_count, 1) as version_count

    from source
    left join version_numbers
        on version_numbers.dossier_id = source.dossier_id
        and version_numbers.updated_at = source.updated_at

),

final as (

    select
        *,
        version_number = version_count as is_latest_version

    from renamed

)

select * from final
