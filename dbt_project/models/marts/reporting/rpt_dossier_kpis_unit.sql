{#- Dataset rpt_dossier_kpis_unit: dossier counts per unit and month. Only counts: the
    dashboards' rates are ratios of their sums (metrics in _reporting__models.yml). -#}
{{ dossier_kpis_report(ref('mart_dossier_kpis_unit')) }}
