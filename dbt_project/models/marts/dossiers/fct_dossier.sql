{{
    config(
        materialized=row_replacing_materialization(),
        unique_key='dossier_id',
        incremental_strategy='merge',
        on_schema_change='append_new_columns'
    )
}}

{#- One row per dossier, its current state. Incremental: each run merges only the dossiers
    with a version extracted since the last build (late status changes, corrections). -#}

select *
from {{ ref('int_dossiers__enriched') }}
{% if is_incremental() %}
where extracted_at > (select max(extracted_at) from {{ this }})
{% endif %}
