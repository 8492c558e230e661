#!/usr/bin/env bash
# The whole test suite: install what is missing, build with warnings as errors
# and AddressSanitizer + UndefinedBehaviorSanitizer, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHRONOHOOK_WERROR=ON \
  -DCHRONOHOOK_SANITIZE=address,undefined >/dev/null
cmake --build build-test
# Sanitizer reports fail the run; the daemon under test inherits these too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd build-test
ctest --output-on-failure --timeout 300 -j2
