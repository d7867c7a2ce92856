{#- A JSON object without the given top-level keys (e.g. personal fields of a raw record
    kept for diagnosis). Keys match as labels do in the file loader: NFC, case-insensitive,
    whitespace collapsed, so 'Họ và Tên ' is removed with 'Họ và tên'. -#}
{% macro json_without_keys(column, keys) -%}
    {{ return(adapter.dispatch('json_without_keys', 'cchc')(column, keys)) }}
{%- endmacro %}

{% macro json_key_labels(keys) -%}
    {%- set wanted = [] -%}
    {%- for key in keys -%}
        {%- do wanted.append("lower(" ~ cchc.clean_text("'" ~ (key | replace("'", "''")) ~ "'") ~ ")") -%}
    {%- endfor -%}
    {{ return(wanted | join(', ')) }}
{%- endmacro %}

{% macro duckdb__json_without_keys(column, keys) -%}
    {%- set wanted = cchc.json_key_labels(keys) -%}
    to_json(map_from_entries(list_transform(
        list_filter(json_keys({{ column }}), lambda json_key: lower({{ cchc.clean_text('json_key') }}) not in ({{ wanted }})),
        lambda json_key: struct_pack(key := json_key, value := json_extract({{ column }}, '$."' || json_key || '"'))
    )))
{%- endmacro %}


{#- True when a JSON object has the given top-level key. -#}
{% macro json_has_key(column, key) -%}
    {{ return(adapter.dispatch('json_has_key', 'cchc')(column, key)) }}
{%- endmacro %}

{% macro duckdb__json_has_key(column, key) -%}
    json_exists({{ column }}, '$."{{ key }}"')
{%- endmacro %}

{#- Spark: the object as a map of VARIANT values, so numbers, nulls and lists are written
    back as they came, in their order. -#}
{% macro spark__json_without_keys(column, keys) -%}
    to_json(map_filter(from_json({{ column }}, 'map<string,variant>'),
        (json_key, json_value) -> lower({{ cchc.clean_text('json_key') }}) not in ({{ cchc.json_key_labels(keys) }})))
{%- endmacro %}

{% macro spark__json_has_key(column, key) -%}
    array_contains(json_object_keys({{ column }}), '{{ key }}')
{%- endmacro %}
