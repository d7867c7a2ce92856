{#- The newest day of one-stop-shop data, per table, and its lag behind as_of in days. -#}

select
    'oss_daily_counts' as feed,
    max(count_date) as latest_date,
    {{ as_of_date() }} - max(count_date) as lag_days
from {{ ref('stg_oss__daily_counts') }}

union all

select
    'oss_dossiers',
    max(cast(received_at as date)),
    {{ as_of_date() }} - max(cast(received_at as date))
from {{ ref('stg_oss__dossiers') }}
where received_at < {{ as_of_date() }} + 1
