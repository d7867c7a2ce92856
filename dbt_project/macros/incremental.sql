{#- Incremental filter of a model built from raw_oss.dossiers (every version of every
    dossier): keep all raw versions of the keys that have a version extracted after the
    newest extraction already in {{ this }}. Re-reading the whole key's history, not just
    the new rows, keeps a late-arriving back-dated version from overwriting a newer one.
    The extraction clock only moves forward (cchc.extract stamps each run), so nothing
    extracted since the last build is missed; a key seen twice is just rebuilt twice. -#}
{% macro changed_since_last_build(key, this_extracted_column, source_relation=none, source_extracted_column='_extracted_at') -%}
    {%- set source_relation = source_relation or source('oss', 'dossiers') -%}
    {{ key }} in (
        select {{ key }}
        from {{ source_relation }}
        where {{ source_extracted_column }} > (select coalesce(max({{ this_extracted_column }}), cast('1900-01-01' as timestamp)) from {{ this }})
    )
{%- endmacro %}


{#- The columns of a relation but the given ones, in the relation's order, as a select
    list (a portable `select * exclude (...)`). -#}
{% macro columns_except(relation, excluded) -%}
    {%- if not execute -%}*{%- else -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) if column.name not in excluded -%}
        {%- do names.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    {{ names | join(', ') if names else '*' }}
    {%- endif -%}
{%- endmacro %}


{#- The materialization of a model kept by replacing rows per key (incremental_strategy
    delete+insert or merge): 'incremental' where the engine replaces rows in place (DuckDB;
    Spark with Iceberg or Delta), 'table' on Spark over plain Parquet, which has neither
    DELETE nor MERGE: rebuilt whole each night there (issue 17's next step: partition them
    by month and overwrite the touched partitions, insert_overwrite). -#}
{% macro row_replacing_materialization() -%}
    {{ return(adapter.dispatch('row_replacing_materialization', 'cchc')()) }}
{%- endmacro %}

{% macro default__row_replacing_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__row_replacing_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{#- A post-hook removing the rows an incremental recount left empty: the statement (run
    later, when {{ this }} is known), or nothing to do where the model is rebuilt whole
    (row_replacing_materialization 'table'), which writes no empty row. -#}
{% macro delete_rows_where(condition) -%}
    {{ return(adapter.dispatch('delete_rows_where', 'cchc')(condition)) }}
{%- endmacro %}

{% macro default__delete_rows_where(condition) -%}
    {{ return('delete from {{ this }} where ' ~ condition) }}
{%- endmacro %}

{% macro spark__delete_rows_where(condition) -%}
    {{ return('select 1 as no_empty_rows_in_a_whole_rebuild') }}
{%- endmacro %}
