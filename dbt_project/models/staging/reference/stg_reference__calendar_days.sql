with source as (

    select * from {{ source('reference', 'calendar_days') }}

),

renamed as (

    select
        cast(calendar_date as date) as calendar_date,
        cast(year as integer) as calendar_year,
        cast(month as integer) as calendar_month,
        cast(iso_weekday as integer) as iso_weekday,
        cast(is_weekend as boolean) as is_weekend,
        cast(is_public_holiday as boolean) as is_public_holiday,
        {{ nfc('holiday_name') }} as holiday_name,
        holiday_name_en,
        cast(is_tet as boolean) as is_tet,
        cast(is_makeup_workday as boolean) as is_makeup_workday,
        cast(is_working_day as boolean) as is_working_day,
        cast(working_day_seq as integer) as working_day_seq

    from source

)

select * from renamed
