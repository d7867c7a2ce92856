{#- One row per problem the file loader quarantined (raw_meta.quarantine through its
    staging model; the loader writes no personal value), classified, with the unit whose
    row it was: its code when that code is valid, else the unit the row names (the code
    itself is the problem). -#}

with problems as (

    select
        source,
        source_file,
        source_sheet,
        source_row,
        field_label,
        raw_value,
        reason,
        case
            when reason like 'unit code %' then 'unknown_unit_code'
            when reason like '%not a date%' or reason like '%not a calendar date%'
                or reason like 'survey date % is outside the survey year%' or reason like '% is in the future%' then 'bad_date'
            when reason like 'duplicate of row%' then 'duplicate_row'
            else 'other'
        end as problem_kind,
        coalesce(unit_key, raw_record ->> 'Mã đơn vị', raw_record ->> 'Mã chủ đầu tư') as row_unit_code,
        lower(regexp_replace(coalesce(raw_record ->> 'Tên đơn vị', raw_record ->> 'Chủ đầu tư'), '^UBND ', '')) as row_unit_name
    from {{ ref('stg_raw_meta__quarantine') }}

),

named as (

    select
        problems.*,
        (select arg_max(units.unit_key, coalesce(units.valid_to, date '9999-12-31'))
         from {{ ref('dim_unit') }} as units
         where lower(units.unit_name) = problems.row_unit_name) as unit_key_by_name
    from problems

)

select
    coalesce(case when named.problem_kind <> 'unknown_unit_code' then by_code.unit_key end,
             named.unit_key_by_name, named.row_unit_code) as unit_key,
    coalesce(units.unit_name, named.row_unit_code) as unit_name,
    named.source,
    named.source_file,
    named.source_sheet,
    named.source_row,
    named.field_label,
    named.raw_value,
    named.reason,
    named.problem_kind
from named
left join {{ ref('dim_unit') }} as by_code on named.row_unit_code = by_code.unit_key
left join {{ ref('dim_unit') }} as units
    on units.unit_key = coalesce(case when named.problem_kind <> 'unknown_unit_code' then by_code.unit_key end,
                                 named.unit_key_by_name)
order by named.source_file, named.source_row
