-- Per unit: records the one-stop-shop API sent more than once in the last extraction.
-- dlt's merge collapses them in raw_oss, so the evidence is dlt's staging copy of the
-- last load (raw_oss_staging.dossiers, exactly what was received).
select
    sent.unit_key,
    any_value(units.unit_name) as unit_name,
    count(*) as records_received,
    count(*) - count(distinct (sent.dossier_id, sent.updated_at)) as records_sent_twice
from raw_oss_staging.dossiers as sent
left join marts.dim_unit as units on sent.unit_key = units.unit_key
group by sent.unit_key
order by sent.unit_key
