{#- The file loader's registry: one row per source and drop file, with its current
    checksum, status and counts. -#}

with source as (

    select * from {{ source('raw_meta', 'file_registry') }}

),

renamed as (

    select
        source,
        file_name as source_file,
        sha256 as file_sha256,
        cast(size_bytes as bigint) as file_size_bytes,
        status as load_status,
        cast(rows_loaded as integer) as rows_loaded,
        cast(rows_quarantined as integer) as rows_quarantined,
        load_id,
        cast(loaded_at as timestamp) as processed_at,
        {{ clean_text('message') }} as message

    from source

)

select * from renamed
