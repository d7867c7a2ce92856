{#- Per unit × day: what the one-stop-shop system says it received and finished (its
    daily counts) next to what was extracted (the latest version of every dossier).
    Built for the data-quality checks (src/cchc/quality): they read this small table
    instead of the dossiers, so validation stays fast at national scale. A day missing
    on one side is a zero there. -#}

with source_counts as (

    select unit_key, count_date, dossiers_received, dossiers_finished
    from {{ ref('stg_oss__daily_counts') }}

),

extracted_received as (

    select unit_key, cast(received_at as date) as count_date, count(*) as dossiers_received
    from {{ ref('stg_oss__dossiers') }}
    group by 1, 2

),

extracted_finished as (

    select unit_key, cast(finished_at as date) as count_date, count(*) as dossiers_finished
    from {{ ref('stg_oss__dossiers') }}
    where finished_at is not null
    group by 1, 2

),

unit_days as (

    select unit_key, count_date from source_counts
    union
    select unit_key, count_date from extracted_received
    union
    select unit_key, count_date from extracted_finished

),

final as (

    select
        unit_days.unit_key,
        unit_days.count_date,
        source_counts.unit_key is not null as has_source_count,
        coalesce(source_counts.dossiers_received, 0) as source_received,
        coalesce(extracted_received.dossiers_received, 0) as extracted_received,
        coalesce(source_counts.dossiers_finished, 0) as source_finished,
        coalesce(extracted_finished.dossiers_finished, 0) as extracted_finished
    from unit_days
    left join source_counts
        on unit_days.unit_key = source_counts.unit_key and unit_days.count_date = source_counts.count_date
    left join extracted_received
        on unit_days.unit_key = extracted_received.unit_key and unit_days.count_date = extracted_received.count_date
    left join extracted_finished
        on unit_days.unit_key = extracted_finished.unit_key and unit_days.count_date = extracted_finished.count_date

)

select * from final
