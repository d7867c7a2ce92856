{#- Per unit: records the one-stop-shop API sent more than once in the last extraction.
    dlt's merge collapses them in raw_oss, so the evidence is dlt's staging copy of the
    last load (source oss_last_load: exactly what was received). A warehouse whose
    one-stop-shop feed has never been extracted has no such copy: no rows then, rather
    than a failed build. -#}

{%- set sent, units = source('oss_last_load', 'dossiers'), ref('dim_unit') %}
{%- set exists = adapter.get_relation(sent.database, sent.schema, sent.identifier) if execute else none %}

{%- if exists %}
select
    sent.unit_key,
    any_value(units.unit_name) as unit_name,
    count(*) as records_received,
    count(*) - count(distinct (sent.dossier_id, sent.updated_at)) as records_sent_twice
from {{ sent }} as sent
left join {{ units }} as units on sent.unit_key = units.unit_key
group by sent.unit_key
order by sent.unit_key
{%- else %}
select
    cast(null as string) as unit_key,
    cast(null as string) as unit_name,
    cast(0 as bigint) as records_received,
    cast(0 as bigint) as records_sent_twice
where false
{%- endif %}
