with source as (

    select * from {{ source('reference', 'procedure_fields') }}

),

renamed as (

    select
        field_code,
        {{ nfc('field_name') }} as field_name,
        sector_code,
        {{ nfc('sector_name') }} as sector_name,
        department_key

    from source

)

select * from renamed
