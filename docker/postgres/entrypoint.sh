#!/bin/sh
# PostgreSQL for the metadata of Airflow and Superset: on an empty data volume, create the
# cluster and one database per application, owned by its own user (password from the
# environment); then run the server. Idempotent: an existing cluster is left as it is.
set -eu
: "${CCHC_POSTGRES_AIRFLOW_PASSWORD:?CCHC_POSTGRES_AIRFLOW_PASSWORD is not set}"
: "${CCHC_POSTGRES_SUPERSET_PASSWORD:?CCHC_POSTGRES_SUPERSET_PASSWORD is not set}"
LISTEN="${POSTGRES_LISTEN:-*}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --pgdata="$PGDATA" --encoding=UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 \
         --username=postgres >/dev/null
  # Only the two applications, each to its own database, by password; the superuser only
  # through the local socket (docker compose exec postgres psql).
  cat >"$PGDATA/pg_hba.conf" <<HBA
local all postgres peer
host airflow airflow all scram-sha-256
host superset superset all scram-sha-256
HBA
  pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start >/dev/null
  for app in airflow superset; do
    password=$(eval "printf %s \"\$CCHC_POSTGRES_$(echo $app | tr a-z A-Z)_PASSWORD\"")
    # psql's :'var' quoting: the password never appears in a command line.
    psql --quiet --set ON_ERROR_STOP=1 --set app="$app" --set password="$password" postgres <<'SQL'
CREATE ROLE :"app" LOGIN PASSWORD :'password';
CREATE DATABASE :"app" OWNER :"app";
SQL
  done
  pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop >/dev/null
  echo "cchc-postgres: databases airflow and superset created"
fi
exec postgres -D "$PGDATA" -c listen_addresses="$LISTEN" -c port="$PGPORT"
