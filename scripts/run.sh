#!/usr/bin/env bash
# Quick start: install what is missing, build, and run the receiver on a
# development setup under ./var/ (dev certificate, random secret).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHRONOHOOK_TESTS=OFF >/dev/null
cmake --build build --target chronohook
scripts/dev-env.sh

port=8443
listen=${CHRONOHOOK_SERVER_LISTEN:-}
[[ -n "$listen" ]] && port=${listen##*:}
cat <<TXT

chronohook is starting on https://localhost:${port}/webhook (Ctrl-C stops it).
In another terminal, from $(pwd):

  # drchrono's verification challenge:
  curl --cacert var/tls/fullchain.pem 'https://localhost:${port}/webhook?msg=hello'

  # a signed test hook (a PING, as drchrono's console sends):
  curl --cacert var/tls/fullchain.pem https://localhost:${port}/webhook \\
    -H "X-drchrono-signature: \$(cat var/secret)" -H 'X-drchrono-event: PING' \\
    -H "X-drchrono-delivery: test-\$(date +%s%N)" -H 'Content-Type: application/json' \\
    --data '{"receiver":{"id":1},"object":{}}'

  # what was stored:
  sqlite3 var/events.db 'SELECT seq, webhook, event, delivery_id, received_at FROM events'

TXT
exec build/chronohook serve --config var/chronohook.toml
