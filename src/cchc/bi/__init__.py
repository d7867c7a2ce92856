"""The BI layer: Apache Superset over the read-only serving database.

``bundle`` describes the dashboards as data and writes them in Superset's import format;
``provision`` runs inside the Superset environment (roles, users, RLS, import);
``server`` starts and stops Superset from the pipeline environment.
"""
