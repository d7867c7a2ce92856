{#- The day the data-quality datasets (models/quality) are computed for: the DuckDB
    session variable `cchc_as_of` when the reader sets it (`cchc validate --as-of`, a
    backfill's run day: src/cchc/quality sets it before reading the views), else today in
    the project's time zone. The datasets are views, so one built warehouse answers for
    any day. The one definition of "today" in the project's SQL. -#}
{% macro as_of_date() -%}
    {{ return(adapter.dispatch('as_of_date', 'cchc')()) }}
{%- endmacro %}

{% macro default__as_of_date() -%}
    cast({{ local_now() }} as date)
{%- endmacro %}

{% macro duckdb__as_of_date() -%}
    coalesce(cast(getvariable('cchc_as_of') as date), cast({{ local_now() }} as date))
{%- endmacro %}


{#- Now, as naive local wall-clock time (var local_time_zone, Asia/Ho_Chi_Minh). -#}
{% macro local_now() -%}
    {{ to_local_timestamp('current_timestamp') }}
{%- endmacro %}


{#- A threshold of a source table's dbt freshness (`threshold`: warn_after | error_after,
    from the sources' YAML, `dbt source freshness`) in days, as a SQL literal; NULL when
    the source sets none. The one definition of how old a source's data may be: the
    data-quality dataset qa_freshness reads it from here, never a number of its own. -#}
{% macro source_freshness_days(source_name, table_name, threshold) -%}
    {%- set after = none -%}
    {%- if execute -%}
        {%- set source = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
        {%- set after = (source.freshness or {}).get(threshold) -%}
    {%- endif -%}
    {%- if after and after.count and after.period -%}
        cast({{ after.count }} as double) / {{ {'minute': 1440, 'hour': 24, 'day': 1}[after.period] }}
    {%- else -%}
        cast(null as double)
    {%- endif -%}
{%- endmacro %}
