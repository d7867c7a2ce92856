{#- Dataset rpt_disbursement_curve: the province's disbursement year to date as a share of
    the year's plan, month by month of the year (x axis month_of_year, not `month`, so the
    dashboard's month filter does not cut the curve). Long: for each year (column year, the
    dashboard's year filter) the curve of that year, of the year before over the same
    months, the planned progress and the year target. Series are named by their year, so
    with several years chosen a curve still has one value per month (the year before's
    curve is the same rows as that year's own). -#}

with monthly as (

    select
        province_code,
        report_year,
        report_month,
        disbursement_rate_pct / 100 as disbursed_share,
        expected_rate_pct / 100 as expected_share,
        target_pct / 100 as target_share
    from {{ ref('mart_disbursement_province_monthly') }}

),

years as (

    select province_code, report_year, max(target_share) as target_share
    from monthly
    group by province_code, report_year

),

month_numbers as (

    {{ investment_month_numbers() }}

),

series as (

    select report_year as year, report_month, 1 as series_order,
        'Năm ' || cast(report_year as string) as series_name, disbursed_share as cumulative_share
    from monthly
    union all
    select years.report_year, previous.report_month, 2,
        'Năm ' || cast(previous.report_year as string), previous.disbursed_share
    from years
    inner join monthly as previous
        on previous.province_code = years.province_code
        and previous.report_year = years.report_year - 1
    union all
    select report_year, report_month, 3,
        'Kế hoạch theo tiến độ năm ' || cast(report_year as string), expected_share
    from monthly
    union all
    -- the year's target across all twelve months, reported or not yet
    select years.report_year, month_numbers.month_no, 4,
        'Mục tiêu năm ' || cast(years.report_year as string), years.target_share
    from years
    cross join month_numbers

)

select
    cast(year as integer) as year,
    cast(report_month as integer) as month_of_year,
    -- zero-padded so the chart's category axis, sorted as text, runs Th01 … Th12
    case when report_month < 10 then 'Th0' else 'Th' end || cast(report_month as string) as month_label,
    series_order,
    series_name,
    cumulative_share
from series
