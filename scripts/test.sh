#!/usr/bin/env bash
# Command 2: install dependencies, build (with tests), and run every unit and integration
# test through CTest. Exits non-zero when any test fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${BUILD_DIR:-build}"

scripts/install-deps.sh
BUILD_DIR="$build_dir" BUILD_TESTS=ON scripts/build.sh
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300
