#!/bin/sh
# Create or upgrade Temporal's two PostgreSQL databases (run by the `temporal-schema`
# one-shot service in temporal-compose.yml, image temporalio/admin-tools).
#
# Idempotent: `create` skips an existing database, `setup-schema -v 0.0` skips a database
# whose schema is already past 0.0, and `update-schema` applies only missing versions — so
# this also upgrades the schema after the Temporal image tags are raised.
# The password comes from SQL_PASSWORD (read by temporal-sql-tool itself).
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
case "$(printf '%s' "$SQL_PASSWORD" | tr 'A-Z' 'a-z')" in
  *change-me*)
    echo "TEMPORAL_DB_PASSWORD vẫn là giá trị mẫu CHANGE-ME: đặt mật khẩu thật trong .env (deploy/env.example)." >&2
    exit 1 ;;
esac
PORT="${DB_PORT:-5432}"
PLUGIN="${DB:-postgres12}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

echo "waiting for ${POSTGRES_SEEDS}:${PORT}"
i=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do
  i=$((i + 1))
  [ "$i" -lt 60 ] || { echo "PostgreSQL at ${POSTGRES_SEEDS}:${PORT} not reachable" >&2; exit 1; }
  sleep 2
done

sql() {
  db="$1"; shift
  temporal-sql-tool --plugin "$PLUGIN" --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" --db "$db" "$@"
}

setup() {
  db="$1"; dir="$2"
  echo "schema: ${db}"
  # `create` is a no-op for an existing database in current releases; if a release
  # reports an error instead, setup-schema below still fails loudly on a missing one.
  sql "$db" create || echo "create ${db}: not created (already exists?); continuing"
  sql "$db" setup-schema -v 0.0
  sql "$db" update-schema -d "${SCHEMA_ROOT}/${dir}/versioned"
}

setup "${DBNAME:-temporal}" temporal
setup "${VISIBILITY_DBNAME:-temporal_visibility}" visibility
echo "Temporal schema is up to date"
