{#- Rows the file loader held back, one row per problem. Personal data is removed: the
    SIPAS respondent's name and phone number are taken out of raw_record (and out of
    `value` when the problem is in one of those fields); for a CSV line that could not be
    decoded (raw_record {"line": ...}) the line cannot be parsed, so the text itself is
    withheld — the file, row number and reason are enough to ask for a resend. -#}

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
        has_personal_data and is_undecoded_line as is_record_withheld,
        cast(quarantined_at as timestamp) as quarantined_at

    from flagged

)

select * from renamed
