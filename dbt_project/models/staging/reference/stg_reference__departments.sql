with source as (

    select * from {{ source('reference', 'departments') }}

),

renamed as (

    select
        department_key,
        scheme,
        code as department_code,
        {{ nfc('name') }} as department_name,
        {{ nfc('department_type') }} as department_type,
        peer_group,
        province_code,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to

    from source

)

select * from renamed
