with source as (

    select * from {{ source('reference', 'admin_unit_lineage') }}

),

renamed as (

    select
        predecessor_unit_key,
        successor_unit_key,
        predecessor_level,
        successor_level,
        cast(is_partial as boolean) as is_partial,
        cast(is_default_successor as boolean) as is_default_successor,
        cast(effective_date as date) as effective_date,
        {{ nfc('legal_basis') }} as legal_basis

    from source

)

select * from renamed
