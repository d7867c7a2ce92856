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
