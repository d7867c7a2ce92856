{#- Keep one row per key: the first by `order_by` (e.g. 'updated_at desc, extracted_at desc').
    Put it after the FROM / WHERE of a select; the row number is computed over the key
    only, so it scales with a partitioned sort, not a self-join. Column names may refer to
    the select's own aliases. -#}
{% macro latest_per_key(partition_by, order_by) -%}
    {{ return(adapter.dispatch('latest_per_key', 'cchc')(partition_by, order_by)) }}
{%- endmacro %}

{% macro default__latest_per_key(partition_by, order_by) -%}
    {%- set keys = partition_by if partition_by is not string else [partition_by] -%}
    qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ order_by }}) = 1
{%- endmacro %}

{#- The latest copy of a file row per natural key: a reloaded or re-sent file wins. -#}
{% macro latest_file_row_per_key(partition_by, relation='source') -%}
    {{ cchc.latest_per_key(partition_by,
        relation ~ '._loaded_at desc, ' ~ relation ~ '._load_id desc, ' ~ relation ~ '._source_row desc') }}
{%- endmacro %}

{#- Load metadata of a row from a dropped file: which load, file, sheet and row it came from. -#}
{% macro file_row_lineage(relation='source', with_sheet=true) -%}
        {{ relation }}._load_id as load_id,
        {{ relation }}._source_file as source_file,
        {%- if with_sheet %}
        {{ relation }}._source_sheet as source_sheet,
        {%- endif %}
        cast({{ relation }}._source_row as integer) as source_row,
        cast({{ relation }}._loaded_at as timestamp) as loaded_at
{%- endmacro %}
