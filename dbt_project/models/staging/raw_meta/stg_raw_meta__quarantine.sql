{#- Rows the file loader held back, one row per problem. The loader writes no personal
    value (cchc.extract.files.personal); this model strips the SIPAS personal labels from
    raw_record and raw_value once more, and withholds the text of a line recorded by an
    older loader as {"line": ...}, as a second line of defence for quarantine rows written
    before that. A row with no record (undecodable or shifted line) is marked withheld:
    the file, row number and reason are enough to ask for a resend. -#}

{%- set personal_labels = ['Họ và tên', 'Số điện thoại'] %}
{%- set sources_with_personal_data = ['sipas'] %}

with source as (

    select * from {{ source('raw_meta', 'quarantine') }}

),

flagged as (

    select
        source.*,
        source.source in ('{{ sources_with_personal_data | join("', '") }}') as has_personal_data,
        {{ json_has_key('source.raw_record', 'line') }} as is_undecoded_line

    from source

),

renamed as (

    select
        load_id,
        source,
        file_name as source_file,
        sheet as source_sheet,
        cast(row_number as integer) as source_row,
        {{ clean_text('unit_code') }} as unit_key,
        -- the period a file reports on, from its name: KBNN_42_2024_05.xlsx, PAR_42_2024.xlsx
        cast({{ cchc.regexp_extract_group('file_name', '_([0-9]{4})(_[0-9]{2})?[.][A-Za-z]+$') }} as integer) as period_year,
        cast({{ cchc.regexp_extract_group('file_name', '_[0-9]{4}_([0-9]{2})[.][A-Za-z]+$') }} as integer) as period_month,
        {{ clean_text('field') }} as field_label,
        case
            when has_personal_data and is_undecoded_line then null
            when has_personal_data and lower({{ clean_text('field') }}) in ({% for label in personal_labels %}lower({{ clean_text("'" ~ label ~ "'") }}){{ ', ' if not loop.last }}{% endfor %}) then null
            else value
        end as raw_value,
        {{ clean_text('reason') }} as reason,
        case
            when has_personal_data and is_undecoded_line then null
            when has_personal_data then {{ json_without_keys('raw_record', personal_labels) }}
            else raw_record
        end as raw_record,
        (has_personal_data and is_undecoded_line) or raw_record is null as is_record_withheld,
        cast(quarantined_at as timestamp) as quarantined_at

    from flagged

)

select * from renamed
