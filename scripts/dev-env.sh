#!/usr/bin/env bash
# Creates a development setup under ./var/ when it is missing: a self-signed
# certificate for localhost, a random 40-hex-character secret, and a config
# that uses them. Never overwrites what is there. Files are 0600, dirs 0700.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
mkdir -p var/tls

if [[ ! -s var/tls/fullchain.pem || ! -s var/tls/privkey.pem ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -keyout var/tls/privkey.pem -out var/tls/fullchain.pem -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" 2>/dev/null
  echo "dev-env: made a self-signed certificate for localhost in var/tls/"
fi

if [[ ! -s var/secret ]]; then
  # drchrono suggests 20 random bytes as 40 hex characters.
  openssl rand -hex 20 > var/secret
  echo "dev-env: made a random webhook secret in var/secret"
fi

if [[ ! -s var/chronohook.toml ]]; then
  cat > var/chronohook.toml <<'TOML'
# Development configuration made by scripts/dev-env.sh. Every key is documented
# in config/chronohook.toml; relative paths are relative to this file.
[server]
listen = "127.0.0.1:8443"
tls_cert = "tls/fullchain.pem"
tls_key = "tls/privkey.pem"

[storage]
path = "events.db"

[[webhook]]
name = "main"
path = "/webhook"
secret_file = "secret"
TOML
  echo "dev-env: wrote var/chronohook.toml"
fi
