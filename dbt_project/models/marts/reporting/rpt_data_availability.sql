{#- Dataset rpt_data_availability: for each dataset the dashboards show (seed
    reporting_data_availability) and each period of its grain, from its first period with
    data to the current one, whether data is there and, in Vietnamese, why not: the
    dashboards' empty states ("Chưa có dữ liệu PAPI năm 2026: kết quả được công bố vào
    tháng 4 năm sau"). A view, like rpt_reporting_periods: it depends on today. -#}
{{ config(materialized='view') }}
with loaded as (

    select 'dossiers' as dataset_code, period_start
    from {{ ref('mart_dossier_kpis_unit') }}
    where period_type = 'month'
    union
    select 'disbursement', make_date(report_year, report_month, 1)
    from {{ ref('mart_disbursement_province_monthly') }}
    union
    select indicator_code, period_start
    from {{ ref('mart_unit_rankings') }}
    where period_type = 'year' and indicator_code in ('par_index', 'sipas')
    union
    select 'papi', make_date(score_year, 1, 1)
    from {{ ref('mart_papi_province_year') }}
    where aggregate_score is not null

),

periods as (

    -- each dataset's periods: those with data and those the dossier data covers since
    select a.dataset_code, p.period_start
    from {{ ref('reporting_data_availability') }} as a
    join ({{ reporting_periods() }}) as p on p.period_type = a.period_type
    where p.period_start >= (
        select min(l.period_start) from loaded as l
        where l.dataset_code = a.dataset_code
    )
    union
    select dataset_code, period_start from loaded

),

flagged as (

    select
        a.dataset_code,
        a.dataset_name_vi,
        a.period_type,
        a.pending_reason_vi,
        p.period_start,
        loaded.dataset_code is not null as has_data,
        {{ period_is_complete(period_end('p.period_start', 'month'), data_as_of()) }} as month_complete,
        {{ period_is_complete(period_end('p.period_start', 'year'), data_as_of()) }} as year_complete,
        case when a.period_type = 'month' then {{ month_label('p.period_start') }}
             else 'Năm ' || cast(extract(year from p.period_start) as string) end as period_label
    from periods as p
    join {{ ref('reporting_data_availability') }} as a using (dataset_code)
    left join loaded using (dataset_code, period_start)

)

select
    dataset_code,
    dataset_name_vi,
    period_type,
    period_start,
    cast(extract(year from period_start) as bigint) as year,
    case when period_type = 'month' then period_label end as month_label,
    period_label,
    has_data,
    case when period_type = 'month' then month_complete else year_complete end as is_complete,
    case
        when not has_data
            then 'Chưa có dữ liệu ' || dataset_name_vi || ' ' || lower(period_label) || ': ' || pending_reason_vi
        when not (case when period_type = 'month' then month_complete else year_complete end)
            then 'Dữ liệu ' || dataset_name_vi || ' ' || lower(period_label) || ' chưa đủ kỳ: số liệu đến '
                 || {{ format_date_vi('cast(' ~ data_as_of() ~ ' as date)') }}
        else 'Đã có đủ dữ liệu ' || dataset_name_vi || ' ' || lower(period_label)
    end as message_vi,
    -- 1 = the dataset's latest period with data, then older ones; periods without data last
    cast(row_number() over (partition by dataset_code order by has_data desc, period_start desc) as bigint)
        as data_order
from flagged
