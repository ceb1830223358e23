#!/usr/bin/env bash
# Configures and builds acmezone (Release) into ${BUILD_DIR:-build}.
# BUILD_TESTS=OFF skips unit and integration tests (used by the Docker image).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${BUILD_DIR:-build}"
build_type="${BUILD_TYPE:-Release}"
build_tests="${BUILD_TESTS:-ON}"
jobs="${JOBS:-$(nproc)}"

cmake -S . -B "$build_dir" \
  -DCMAKE_BUILD_TYPE="$build_type" \
  -DACMEZONE_BUILD_TESTS="$build_tests"
cmake --build "$build_dir" -j"$jobs"
