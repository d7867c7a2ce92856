{#- One output row per element of a LIST column, used in a select list:
    select id, {{ unnest_list('answers') }} as answer from ... ; the element's struct
    fields are then read as answer.field in an outer query. -#}
{% macro unnest_list(column) -%}
    {{ return(adapter.dispatch('unnest_list', 'cchc')(column)) }}
{%- endmacro %}

{% macro duckdb__unnest_list(column) -%}
    unnest({{ column }})
{%- endmacro %}

{% macro spark__unnest_list(column) -%}
    explode({{ column }})
{%- endmacro %}
