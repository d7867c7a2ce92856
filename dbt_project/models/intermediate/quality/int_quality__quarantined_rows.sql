{#- Rows the file loader held back, counted per source × unit × reported period: what
    makes a unit's figures for that period incomplete (the marts of PAR INDEX, SIPAS and
    disbursement carry the count and an is_complete flag), while the rest of the province
    publishes. Rows whose unit could not be read are named by file and row in
    quality.quarantine instead. -#}

select
    source,
    unit_key,
    period_year,
    coalesce(period_month, 0) as period_month,
    count(distinct {{ dbt.concat(['source_file', "'|'", "coalesce(source_sheet, '')", "'|'", 'cast(source_row as string)']) }}) as quarantined_rows

from {{ ref('stg_raw_meta__quarantine') }}
where unit_key is not null
  and period_year is not null
group by source, unit_key, period_year, coalesce(period_month, 0)
