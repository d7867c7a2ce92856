{#- Engine resources for large builds, from the environment (the benchmark and the
    nightly job on a shared machine set them): CCHC_DUCKDB_MEMORY_LIMIT (e.g. '10GB'),
    CCHC_DUCKDB_THREADS, CCHC_DUCKDB_TEMP_DIRECTORY (where DuckDB spills). Unset: the
    engine's defaults. Run as an on-run-start hook. -#}
{% macro apply_resource_settings() -%}
    {{ return(adapter.dispatch('apply_resource_settings', 'cchc')()) }}
{%- endmacro %}

{% macro default__apply_resource_settings() -%}
    select 1 as no_resource_settings
{%- endmacro %}

{% macro duckdb__apply_resource_settings() -%}
    {%- set statements = [] -%}
    {%- set memory_limit = env_var('CCHC_DUCKDB_MEMORY_LIMIT', '') -%}
    {%- set threads = env_var('CCHC_DUCKDB_THREADS', '') -%}
    {%- set temp_directory = env_var('CCHC_DUCKDB_TEMP_DIRECTORY', '') -%}
    {%- if memory_limit %}{% do statements.append("set memory_limit = '" ~ memory_limit ~ "'") %}{% endif -%}
    {%- if threads %}{% do statements.append("set threads = " ~ (threads | int)) %}{% endif -%}
    {%- if temp_directory %}{% do statements.append("set temp_directory = '" ~ temp_directory ~ "'") %}{% endif -%}
    {%- if statements %}{% do statements.append("set preserve_insertion_order = false") %}{% endif -%}
    {{ (statements | join('; ')) if statements else 'select 1 as no_resource_settings' }}
{%- endmacro %}
