#!/usr/bin/env bash
# Installs the Debian 12 packages chronohook needs that are not there yet.
# Usage: scripts/install-deps.sh [build|test|bench]   (default: build)
# Runs apt-get as root, or through sudo when run as another user.
set -euo pipefail

build_pkgs=(g++ cmake ninja-build pkg-config libboost1.81-dev libssl-dev nlohmann-json3-dev libspdlog-dev
  libsqlite3-dev libtomlplusplus-dev libcli11-dev libsystemd-dev openssl sqlite3 curl ca-certificates)
test_pkgs=(libgtest-dev libgmock-dev prometheus systemd procps podman runc)
bench_pkgs=(wrk nginx-light nodejs npm python3 python3-flask gunicorn procps)

wanted=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) wanted+=("${test_pkgs[@]}") ;;
  bench) wanted+=("${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo; missing: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
