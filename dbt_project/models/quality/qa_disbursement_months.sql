{#- Per public-investment project × year: the months whose treasury report is due by
    as_of (from the province's first report month of the year) against the months the
    project appears in. The unit named is the project's investor just before the gap.
    (`reports` is materialised: the staging view would otherwise be expanded at each use.) -#}

with reports as materialized (

    select province_code, project_code, report_year, report_month, investor_unit_key
    from {{ ref('stg_treasury__disbursements') }}

),

first_months as (

    select province_code, report_year, min(report_month) as first_month
    from reports
    group by all

),

expected as (

    select project_years.*, months.month_no
    from (select distinct province_code, project_code, report_year from reports) as project_years
    inner join first_months using (province_code, report_year)
    inner join (select cast(range as integer) as month_no from range(1, 13)) as months
        on months.month_no >= first_months.first_month
    where last_day(make_date(project_years.report_year, months.month_no, 1))
          + {{ var('quality_disbursement_report_grace_days') }} < {{ as_of_date() }}

),

checked as (

    select
        expected.*,
        reports.report_month is not null as has_report,
        reports.investor_unit_key,
        min(expected.month_no) filter (where reports.report_month is null) over (
            partition by expected.province_code, expected.project_code, expected.report_year
        ) as first_missing_month
    from expected
    left join reports
        on reports.province_code = expected.province_code
        and reports.project_code = expected.project_code
        and reports.report_year = expected.report_year
        and reports.report_month = expected.month_no

),

gaps as (

    select
        province_code, project_code, report_year,
        count(*) as months_expected,
        count(*) filter (where has_report) as months_reported,
        string_agg(lpad(cast(month_no as string), 2, '0') || '/' || report_year, ', ' order by month_no)
            filter (where not has_report) as missing_months,
        coalesce(
            arg_max(investor_unit_key, month_no)
                filter (where has_report and month_no < coalesce(first_missing_month, 13)),
            arg_min(investor_unit_key, month_no) filter (where has_report)) as unit_key
    from checked
    group by all

)

select
    gaps.unit_key,
    units.unit_name,
    gaps.project_code,
    gaps.report_year,
    gaps.months_expected,
    gaps.months_reported,
    gaps.months_expected - gaps.months_reported as missing_month_count,
    gaps.missing_months
from gaps
left join {{ ref('dim_unit') }} as units on gaps.unit_key = units.unit_key
order by gaps.report_year, gaps.project_code
