# Images of the deployment (docker-compose.yml), one target per role:
#   postgres  metadata databases of Airflow and Superset (Debian's PostgreSQL 15)
#   redis     Superset's cache (Debian's redis-server)
#   pipeline  Airflow 3, dbt, Great Expectations, the cchc CLI (envs/pipeline/requirements.lock)
#   superset  Superset 6.1 under gunicorn (envs/superset/requirements.lock)
# Python packages come from the same lock files as the local environments. BASE_IMAGE is any
# Debian bookworm image (CI builds one with debootstrap: no registry there).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS system
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=Asia/Ho_Chi_Minh
# Extra CAs (docker/ca-certificates/*.crt, empty in git): behind a TLS-inspecting proxy the
# package index is only trusted with the organisation's CA.
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/cchc/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/*

FROM system AS postgres
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data
COPY docker/postgres/entrypoint.sh /usr/local/bin/cchc-postgres
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data PGPORT=5432
USER postgres
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/cchc-postgres"]

FROM system AS redis
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
# A cache only: nothing written to disk. The password (REDISCLI_AUTH, which redis-cli reads
# too) goes through a file readable by the server's user only, not its command line (ps).
CMD ["sh", "-c", "umask 077 && printf 'requirepass %s\\n' \"${REDISCLI_AUTH:?set REDISCLI_AUTH to the password}\" > /tmp/redis.conf && exec redis-server /tmp/redis.conf --port ${REDIS_PORT:-6379} --bind ${REDIS_BIND:-0.0.0.0} --protected-mode no --save '' --appendonly no"]

FROM system AS python
# Debian's Python 3.11 (what the locks are compiled for); uv from envs/tools.
ENV PYTHONUNBUFFERED=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_NO_CACHE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --home-dir /home/cchc --shell /usr/sbin/nologin cchc
COPY envs/tools/requirements.lock /tmp/tools.lock
RUN python3 -m venv /opt/tools && /opt/tools/bin/pip install --quiet --no-deps -r /tmp/tools.lock

FROM python AS pipeline
# postgresql-client: pg_dump / pg_restore for backups of the metadata databases.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
COPY envs/pipeline/requirements.lock /tmp/pipeline.lock
RUN /opt/tools/bin/uv venv --quiet --python /usr/bin/python3 /opt/venv \
 && /opt/tools/bin/uv pip sync --quiet --python /opt/venv/bin/python /tmp/pipeline.lock
COPY . /app
# Editable: the settings find the project (dags, dbt_project, seeds) from the package's path.
RUN /opt/tools/bin/uv pip install --quiet --python /opt/venv/bin/python --no-deps -e /app \
 && install -d -o cchc -g cchc /data /data/warehouse /data/serving /data/sources /data/sources/drop /data/sources/oss /data/airflow \
      /data/airflow/logs
ENV PATH=/opt/venv/bin:$PATH CCHC_HOME=/app CCHC_DATA_DIR=/data CCHC_VENV_ROOT=/opt \
    CCHC_WAREHOUSE=/data/warehouse/cchc.duckdb CCHC_SERVING_DIR=/data/serving CCHC_DROP_DIR=/data/sources/drop \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false
WORKDIR /app
USER cchc
CMD ["cchc", "--help"]

FROM python AS superset
COPY envs/superset/requirements.lock /tmp/superset.lock
RUN /opt/tools/bin/uv venv --quiet --python /usr/bin/python3 /opt/superset \
 && /opt/tools/bin/uv pip sync --quiet --python /opt/superset/bin/python /tmp/superset.lock
COPY src /app/src
COPY superset /app/superset
# The Vietnamese catalogue compiled into the installed package (cchc.bi.translations).
RUN PYTHONPATH=/app/src /opt/superset/bin/python -m cchc.bi.translations install \
 && install -d -o cchc -g cchc /var/lib/superset /data/serving
ENV PATH=/opt/superset/bin:$PATH PYTHONPATH=/app/src FLASK_APP=superset \
    SUPERSET_CONFIG_PATH=/app/superset/superset_config.py CCHC_SUPERSET_HOME=/var/lib/superset \
    CCHC_SUPERSET_SERVING_PATH=/data/serving/cchc.duckdb SUPERSET_PORT=8088 SUPERSET_BIND=0.0.0.0 SUPERSET_WORKERS=2
WORKDIR /app
USER cchc
EXPOSE 8088
CMD ["sh", "-c", "exec gunicorn --bind ${SUPERSET_BIND}:${SUPERSET_PORT} --workers ${SUPERSET_WORKERS} --worker-class gthread --threads 8 --timeout 120 --limit-request-line 0 --limit-request-field_size 0 'superset.app:create_app()'"]
