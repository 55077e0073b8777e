#!/usr/bin/env bash
# Fuzzes the GraphQL API with Schemathesis: starts the api on the demo data
# (its own data folder, on loopback), signs in as the demo administrator,
# and sends generated queries and mutations for every root field of the
# committed schema.graphql, checking that no answer is a 5xx or an error
# coded INTERNAL or TIMEOUT (tests/fuzz/hooks.py).
#
#   tests/fuzz/run-schemathesis.sh            # 30 cases per operation
#   MAX_EXAMPLES=100 PORT=18390 tests/fuzz/run-schemathesis.sh
#
# Settings: PORT (18380), MAX_EXAMPLES (30), WORKERS (2), SEED (fixed, so a
# run can be repeated), VENV (a Python virtualenv holding Schemathesis,
# created when missing; needs PyPI), API (an api binary; by default
# `cargo build -p api` builds one), REPORT_DIR (target/fuzz). The api runs
# in the production configuration: introspection off, so Schemathesis
# reads the schema from schema.graphql. Signing out is left out: it would
# end the run's own session. Exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD

PORT=${PORT:-18380}
MAX_EXAMPLES=${MAX_EXAMPLES:-30}
WORKERS=${WORKERS:-2}
SEED=${SEED:-20261205}
VENV=${VENV:-${TMPDIR:-/tmp}/schemathesis-venv}
REPORT_DIR=${REPORT_DIR:-$root/target/fuzz}
SCHEMATHESIS_VERSION=4.32.5

if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ -z "${API:-}" ]; then
    cargo build --quiet -p api
    API="${CARGO_TARGET_DIR:-$root/target}/debug/api"
fi

data=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$data"
}
trap cleanup EXIT

url="http://127.0.0.1:$PORT"
echo "Starting the api with the demo data on $url (log: $data/api.log)"
env -u DATABASE_URL -u REDIS_URL -u SMTP_URL -u CONFIG_FILE \
    BIND="127.0.0.1:$PORT" PUBLIC_URL="$url" DATA_DIR="$data/data" \
    GRAPHQL_INTROSPECTION=false RUST_LOG="warn" \
    "$API" serve --demo >"$data/api.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    if curl -fsS "$url/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$data/api.log" >&2
        echo "the api stopped before serving" >&2
        exit 1
    fi
    sleep 1
done
curl -fsS "$url/healthz" >/dev/null

graphql() {
    curl -fsS "$url/graphql" -H 'content-type: application/json' ${TOKEN:+-H "authorization: Bearer $TOKEN"} -d "$1"
}
TOKEN=$(graphql '{"query":"mutation { signIn(input: {email: \"admin@demo.example\", password: \"demo-password\"}) { token } }"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["signIn"]["token"])')

# Real ids for the ID scalar: every id in a few lists of the demo.
ids_query='{ campaigns(first: 20) { edges { node { id questionnaire { id items { id } } reports(first: 3) { edges { node { id } } } } } }
  programmes { edges { node { id axes { id } roles { id } interventions { id } communities { id } trainingModules { id } } } }
  questionnaires(first: 20) { edges { node { id } } } }'
graphql "$(python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1]}))' "$ids_query")" |
    python3 -c '
import json, sys
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "id" and isinstance(x, str):
                print(x)
            else:
                walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(sys.stdin))' >"$data/ids.txt"
echo "$(wc -l <"$data/ids.txt") real ids for the ID scalar"

mkdir -p "$REPORT_DIR"
export FUZZ_IDS="$data/ids.txt" SCHEMATHESIS_HOOKS=hooks
export PYTHONPATH="$root/tests/fuzz${PYTHONPATH:+:$PYTHONPATH}"
status=0
"$VENV/bin/schemathesis" run "$root/schema.graphql" --url "$url/graphql" \
    -H "Authorization: Bearer $TOKEN" \
    -H "Accept: application/graphql-response+json" \
    --phases fuzzing --checks no_server_error \
    --exclude-name-regex '^Mutation\.signOut(Everywhere)?$' \
    --max-examples "$MAX_EXAMPLES" --workers "$WORKERS" --seed "$SEED" \
    --request-timeout 60 --no-color \
    --report junit --report-dir "$REPORT_DIR" || status=$?

if grep -q "panicked\|request failed" "$data/api.log"; then
    echo "The api logged failures:" >&2
    grep "panicked\|request failed" "$data/api.log" | head -20 >&2
    status=1
fi
kill -0 "$server_pid" 2>/dev/null || { echo "the api died during the run" >&2; status=1; }
exit "$status"
