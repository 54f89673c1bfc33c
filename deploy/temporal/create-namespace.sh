#!/bin/sh
# Wait until the Temporal cluster answers, then register the app's namespace if it is
# missing (run by the `temporal-namespace` one-shot service, image temporalio/admin-tools).
# Idempotent: an existing namespace is left as it is (its retention is not changed).
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"

i=0
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 60 ] || { echo "Temporal at ${ADDRESS} did not become healthy" >&2; exit 1; }
  echo "waiting for Temporal at ${ADDRESS} (${i})"
  sleep 3
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "namespace ${NAMESPACE} exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"
  echo "namespace ${NAMESPACE} created (retention ${RETENTION})"
fi
