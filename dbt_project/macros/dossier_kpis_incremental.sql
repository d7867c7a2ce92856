{#- Incremental dossier KPI models recount only the slices (unit × field × period) that a
    changed dossier falls in. A dossier has changed when one of its versions was extracted
    after the model's watermark; every version of it counts, the current one and the
    earlier ones, because a correction (a finished date moved, a dossier re-filed under
    another procedure) takes a dossier out of a slice as well as putting it into one. -#}

{#- The newest extraction already counted in `relation` (a model with a
    latest_extracted_at column); before anything was counted, the beginning of time. -#}
{% macro kpi_watermark(relation) -%}
    {{ max_or_beginning(relation, 'latest_extracted_at') }}
{%- endmacro %}

{#- The largest `column` of `relation`, or the beginning of time when the relation is
    empty or was built before the column existed (its first incremental build after an
    upgrade then recounts everything; on_schema_change appends the column). -#}
{% macro max_or_beginning(relation, column) -%}
    {%- if column in relation_columns(relation) -%}
    (select coalesce(max({{ column }}), cast('1900-01-01' as timestamp)) from {{ relation }})
    {%- else -%}
    cast('1900-01-01' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- `column` of `relation`, or a NULL of `type` when the relation was built before the
    column existed. -#}
{% macro column_or_null(relation, column, type) -%}
    {%- if column in relation_columns(relation) -%}{{ column }}{%- else -%}cast(null as {{ type }}){%- endif -%}
{%- endmacro %}

{% macro relation_columns(relation) -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | list if execute else []) }}
{%- endmacro %}

{#- Every version of the dossiers with a version extracted after `watermark`, with the
    unit, field, dates and open interval the KPI models count a dossier by. -#}
{% macro changed_dossier_versions(watermark) -%}
    select
        versions.dossier_id,
        {{ unit_version_key('versions.unit_key') }} as unit_key,
        procedures.field_code,
        versions.received_at,
        coalesce(versions.finished_at, versions.rejected_at, versions.withdrawn_at) as closed_at,
        cast(versions.received_at as date) as received_date,
        cast(versions.finished_at as date) as finished_date,
        cast(versions.rejected_at as date) as rejected_date,
        cast(versions.withdrawn_at as date) as withdrawn_date,
        cast(versions.apology_letter_at as date) as apology_letter_date
    from {{ ref('stg_oss__dossier_versions') }} as versions
    {{ unit_version_join('versions.unit_key', 'cast(versions.received_at as date)') }}
    left join {{ ref('stg_reference__procedures') }} as procedures
        on procedures.procedure_code = versions.procedure_code
    where versions.dossier_id in (
        select dossier_id from {{ ref('stg_oss__dossier_versions') }} where extracted_at > {{ watermark }}
    )
{%- endmacro %}

{#- The dates on which fct_dossier_kpi_flows counts a dossier (received, finished,
    rejected, withdrawn, apology letter issued). -#}
{% macro dossier_event_dates() -%}
    {{ return(['received_date', 'finished_date', 'rejected_date', 'withdrawn_date', 'apology_letter_date']) }}
{%- endmacro %}

{#- A flow row that counts nothing: a recounted month with no dossier left in it. -#}
{% macro dossier_flow_row_is_empty() -%}
    received_total = 0 and finished_total = 0 and rejected = 0 and withdrawn = 0 and apology_letters = 0
{%- endmacro %}

{#- True when the row's (unit_key, field_code, `row_value`) is one of `relation`'s
    (unit_key, field_code, `key_column`) slices. -#}
{% macro in_slices(relation, row_alias, key_column, row_value) -%}
    exists (
        select 1 from {{ relation }} as slices
        where slices.unit_key = {{ row_alias }}.unit_key
          and slices.field_code = {{ row_alias }}.field_code
          and slices.{{ key_column }} = {{ row_value }}
    )
{%- endmacro %}
