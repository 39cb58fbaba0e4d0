#!/usr/bin/env bash
# Run every test: unit tests, real BPF tests (root), lint. Installs what the
# tests need first, so it works on a fresh machine: sudo scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -E"
$SUDO make -j"$(nproc)" test-build
$SUDO make test
