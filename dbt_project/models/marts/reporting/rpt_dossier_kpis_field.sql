{#- Dataset rpt_dossier_kpis_field: dossier counts per unit, field (lĩnh vực) and month. -#}
{{ dossier_kpis_report(ref('mart_dossier_kpis'), by_field=true) }}
