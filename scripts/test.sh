#!/usr/bin/env bash
# Run every test: unit tests, real BPF tests (root), lint, arm64 under qemu. Installs what the
# tests need first, so it works on a fresh machine: sudo scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -E"
$SUDO make -j"$(nproc)" test-build
$SUDO make test
# arm64 on Debian's 6.1 kernel under qemu (~75 s idle, ~3 min on a loaded machine): same counts as x86-64
$SUDO scripts/test-arm64.sh
