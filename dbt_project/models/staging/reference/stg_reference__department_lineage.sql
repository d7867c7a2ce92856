with source as (

    select * from {{ source('reference', 'department_lineage') }}

),

renamed as (

    select
        predecessor_department_key,
        successor_department_key,
        cast(is_partial as boolean) as is_partial,
        cast(effective_date as date) as effective_date

    from source

)

select * from renamed
