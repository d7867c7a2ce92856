{#- The one reconciliation of the one-stop-shop extraction: per unit × day of the
    reconciliation window (var oss_reconcile_days, the days the nightly extraction re-reads,
    up to the day before as_of), the source's daily counts against the extracted dossiers
    (latest version of each). Differences are warnings of the `reconciliation` suite. -#}

select
    counts.unit_key,
    units.unit_name,
    counts.count_date,
    counts.source_received,
    counts.extracted_received,
    counts.extracted_received - counts.source_received as received_difference,
    counts.source_finished,
    counts.extracted_finished,
    counts.extracted_finished - counts.source_finished as finished_difference
from {{ ref('int_quality__unit_day_counts') }} as counts
left join {{ ref('dim_unit') }} as units on counts.unit_key = units.unit_key
where counts.count_date >= {{ as_of_date() }} - {{ var('oss_reconcile_days') | int }}
  and counts.count_date < {{ as_of_date() }}
order by counts.unit_key, counts.count_date
