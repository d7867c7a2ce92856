{#- A unit code means the unit that held it on the record's date: sources send
    '<scheme>:<code>', and a merger often gives the new unit one predecessor's code
    (cchc.reference.unit_history). `unit_version_join` joins the earlier holders of the
    record's code; `unit_version_key` is then the key of the unit on that date. -#}
{% macro unit_version_join(source_key, on_date, alias='code_holder') -%}
    left join {{ ref('int_units__earlier_code_holders') }} as {{ alias }}
        on {{ alias }}.source_unit_key = {{ source_key }}
        and {{ on_date }} <= {{ alias }}.valid_to
        and ({{ alias }}.valid_from is null or {{ on_date }} >= {{ alias }}.valid_from)
{%- endmacro %}

{% macro unit_version_key(source_key, alias='code_holder') -%}
    coalesce({{ alias }}.unit_key, {{ source_key }})
{%- endmacro %}
