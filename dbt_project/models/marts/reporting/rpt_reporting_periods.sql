{#- Dataset rpt_reporting_periods: the months and years the dossier data covers, from the
    first dossier to the data date, each marked complete or not (macro period_is_complete:
    ended in local time and loaded). The dashboards' period filters list their values from
    here and open on the first one by `complete_order` (the last complete period) or
    `latest_order` (the latest, for the data-quality dashboard), so the default moves on by
    itself each night. A view: "complete" depends on today, evaluated at publication. -#}
{{ config(materialized='view') }}
{{ reporting_periods() }}
