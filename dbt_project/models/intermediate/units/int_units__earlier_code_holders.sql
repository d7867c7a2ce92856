{#- The earlier holders of unit codes that a later unit still uses (keyed
    'legacy:<code>@<last day>', cchc.reference.unit_history), with the dates they held the
    code: what macro unit_version_join looks a record's unit code up in. -#}

select
    scheme || ':' || unit_code as source_unit_key,
    unit_key,
    valid_from,
    valid_to
from {{ ref('stg_reference__admin_units') }}
where unit_key <> scheme || ':' || unit_code
