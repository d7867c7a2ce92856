{#- The newest day of one-stop-shop data, per table, its lag behind as_of in days, and the
    source's dbt freshness thresholds (the sources' YAML: the one definition) it is judged by. -#}

with feeds as (

    select
        'oss_daily_counts' as feed,
        {{ source_freshness_days('oss', 'daily_counts', 'warn_after') }} as warn_after_days,
        {{ source_freshness_days('oss', 'daily_counts', 'error_after') }} as error_after_days,
        max(count_date) as latest_date
    from {{ ref('stg_oss__daily_counts') }}

    union all

    select
        'oss_dossiers',
        {{ source_freshness_days('oss', 'dossiers', 'warn_after') }},
        {{ source_freshness_days('oss', 'dossiers', 'error_after') }},
        max(cast(received_at as date))
    from {{ ref('stg_oss__dossiers') }}
    where received_at < {{ as_of_date() }} + 1

),

lagged as (

    select
        *,
        {{ as_of_date() }} - latest_date as lag_days
    from feeds

)

select
    feed,
    latest_date,
    lag_days,
    warn_after_days,
    error_after_days,
    case
        when lag_days > error_after_days then 'error'
        when lag_days > warn_after_days then 'warn'
        when lag_days is not null then 'pass'
    end as freshness_status
from lagged
