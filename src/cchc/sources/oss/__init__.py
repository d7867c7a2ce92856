"""The one-stop-shop information system (Hệ thống thông tin giải quyết TTHC): its own
SQLite database and an HTTP API with token auth, cursor pagination, an `updated_since`
filter and the per-unit daily counts the national portal publishes."""

# Response header carrying the id a server was started with (see process.OssServer).
INSTANCE_HEADER = "X-OSS-Instance"
