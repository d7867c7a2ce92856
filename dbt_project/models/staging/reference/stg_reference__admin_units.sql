with source as (

    select * from {{ source('reference', 'admin_units') }}

),

renamed as (

    select
        unit_key,
        scheme,
        level as unit_level,
        code as unit_code,
        {{ nfc('name') }} as unit_name,
        {{ nfc('short_name') }} as short_name,
        {{ nfc('unit_type') }} as unit_type,
        parent_unit_key,
        province_code,
        cast(latitude as double) as latitude,
        cast(longitude as double) as longitude,
        cast(area_km2 as double) as area_km2,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to

    from source

)

select * from renamed
