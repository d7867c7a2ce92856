select
    calendar_date,
    calendar_year,
    calendar_month,
    {{ integer_divide("calendar_month - 1", 3) }} + 1 as calendar_quarter,
    {{ month_start('calendar_date') }} as month_start,
    {{ format_date_vi('calendar_date') }} as date_label,
    iso_weekday,
    is_weekend,
    is_public_holiday,
    holiday_name,
    is_tet,
    is_makeup_workday,
    is_working_day,
    working_day_seq
from {{ ref('stg_reference__calendar_days') }}
