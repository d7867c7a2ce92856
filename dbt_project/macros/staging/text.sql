{#- Text helpers for Vietnamese text. Engine-specific SQL lives here, behind
    adapter.dispatch, so the staging models stay portable: to run on another engine,
    add '<adapter>__' implementations. -#}

{#- Unicode NFC normalisation: the same Vietnamese letter can arrive precomposed ('ò',
    U+00F2) or decomposed ('o' + U+0300); after NFC equal text compares equal. -#}
{% macro nfc(column) -%}
    {{ return(adapter.dispatch('nfc', 'cchc')(column)) }}
{%- endmacro %}

{% macro default__nfc(column) -%}
    normalize({{ column }}, NFC)
{%- endmacro %}

{% macro duckdb__nfc(column) -%}
    nfc_normalize({{ column }})
{%- endmacro %}

{#- Spark SQL has no normalisation function: ICU's composition (icu4j ships with Spark),
    through reflect, which fails on NULL, hence the guard. -#}
{% macro spark__nfc(column) -%}
    if({{ column }} is null, null, reflect('com.ibm.icu.text.Normalizer', 'compose', {{ column }}, false))
{%- endmacro %}


{#- NFC-normalised, trimmed text with internal whitespace runs collapsed to one space;
    empty text becomes NULL. For names and labels typed by people. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ cchc.regexp_replace_all(cchc.nfc(column), '\\s+', ' ') }}), '')
{%- endmacro %}


{#- Replace every match of a POSIX/RE2 pattern. -#}
{% macro regexp_replace_all(column, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'cchc')(column, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Spark replaces every match without a flag (with 'g' it returns NULL), and unescapes
    backslashes in string literals ('\s' would reach the regex as 's'): doubled here. -#}
{% macro spark__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ spark_escaped(pattern) }}', '{{ spark_escaped(replacement) }}')
{%- endmacro %}

{% macro spark_escaped(text) -%}
    {{- text | replace('\\', '\\\\') -}}
{%- endmacro %}


{#- The text of capture group `group` of the first match of a pattern, NULL when it does
    not match. -#}
{% macro regexp_extract_group(column, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'cchc')(column, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract_group(column, pattern, group=1) -%}
    regexp_substr({{ column }}, '{{ pattern }}', 1, 1, 'e', {{ group }})
{%- endmacro %}

{% macro duckdb__regexp_extract_group(column, pattern, group=1) -%}
    nullif(regexp_extract({{ column }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{% macro spark__regexp_extract_group(column, pattern, group=1) -%}
    nullif(regexp_extract({{ column }}, '{{ spark_escaped(pattern) }}', {{ group }}), '')
{%- endmacro %}


{#- A key for matching Vietnamese place names written in different ways: NFC, lower
    case, the unit-type prefix removed ('Tỉnh', 'Thành phố', 'TP.'), spaces around
    hyphens removed, and the tone mark of the vowel pairs oa / oe / uy moved to the
    traditional position ('Hoà' = 'Hòa', 'Thanh Hoá' = 'Thanh Hóa', 'Thuỵ' = 'Thụy').
    Both sides of a join must go through it; it is a matching key, not a display name. -#}
{% macro vn_name_key(column) -%}
    {%- set tone_moves = [
        ('oà', 'òa'), ('oá', 'óa'), ('oả', 'ỏa'), ('oã', 'õa'), ('oạ', 'ọa'),
        ('oè', 'òe'), ('oé', 'óe'), ('oẻ', 'ỏe'), ('oẽ', 'õe'), ('oẹ', 'ọe'),
        ('uỳ', 'ùy'), ('uý', 'úy'), ('uỷ', 'ủy'), ('uỹ', 'ũy'), ('uỵ', 'ụy'),
    ] -%}
    {%- set ns = namespace(expr="lower(" ~ cchc.clean_text(column) ~ ")") -%}
    {%- set ns.expr = cchc.regexp_replace_all(ns.expr, '^(tỉnh\\s+|thành phố\\s+|tp\\.\\s*|tp\\s+)', '') -%}
    {%- set ns.expr = cchc.regexp_replace_all(ns.expr, '\\s*-\\s*', '-') -%}
    {%- for old, new in tone_moves -%}
        {%- set ns.expr = "replace(" ~ ns.expr ~ ", '" ~ old ~ "', '" ~ new ~ "')" -%}
    {%- endfor -%}
    {{ ns.expr }}
{%- endmacro %}
