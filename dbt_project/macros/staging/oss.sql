{#- Select list of a one-stop-shop dossier version, shared by stg_oss__dossier_versions
    and stg_oss__dossiers so that both type and rename the same way. Personal data never
    reaches raw: the extractor drops the applicant's name and phone and replaces the CCCD
    number with its keyed hash (cchc.personal_data). `relation` is the alias of
    raw_oss.dossiers in the calling query. -#}
{% macro oss_dossier_columns(relation='source') -%}
        -- ids
        {{ relation }}.dossier_id,
        {{ relation }}.unit_key,
        {{ relation }}.procedure_code,

        -- categories
        {{ relation }}.channel,
        {{ relation }}.status,

        -- lifecycle, local time ({{ var('local_time_zone') }})
        {{ cchc.to_local_timestamp(relation ~ '.received_at') }} as received_at,
        {{ cchc.to_local_timestamp(relation ~ '.due_at') }} as due_at,
        {{ cchc.to_local_timestamp(relation ~ '.supplement_requested_at') }} as supplement_requested_at,
        {{ cchc.to_local_timestamp(relation ~ '.supplement_received_at') }} as supplement_received_at,
        {{ cchc.to_local_timestamp(relation ~ '.suspended_at') }} as suspended_at,
        {{ cchc.to_local_timestamp(relation ~ '.resumed_at') }} as resumed_at,
        {{ cchc.to_local_timestamp(relation ~ '.finished_at') }} as finished_at,
        {{ cchc.to_local_timestamp(relation ~ '.rejected_at') }} as rejected_at,
        {{ cchc.to_local_timestamp(relation ~ '.withdrawn_at') }} as withdrawn_at,
        {{ cchc.to_local_timestamp(relation ~ '.apology_letter_at') }} as apology_letter_at,

        -- digitisation and payment
        cast({{ relation }}.input_digitised as boolean) as is_input_digitised,
        cast({{ relation }}.reused_digitised_data as boolean) as is_reused_digitised_data,
        cast({{ relation }}.output_digitised as boolean) as is_output_digitised,
        cast({{ relation }}.fee_amount as bigint) as fee_amount,
        {{ cchc.to_local_timestamp(relation ~ '.paid_online_at') }} as paid_online_at,

        -- pseudonymised at extraction (HMAC-SHA256, key CCHC_PII_KEY, never in SQL)
        {{ relation }}.applicant_id_hash,

        -- version and load metadata
        {{ cchc.to_local_timestamp(relation ~ '.updated_at') }} as updated_at,
        {{ relation }}._dlt_load_id as load_id,
        cast({{ relation }}._extracted_at as timestamp) as extracted_at
{%- endmacro %}
