#!/usr/bin/env bash
# Command 2: install dependencies, build (with tests), and run every unit and integration
# test through CTest; then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer,
# the concurrency tests under ThreadSanitizer, and every libFuzzer target for a bounded time.
# Exits non-zero when any stage fails. CI (.ci/run) runs every stage; locally a stage can be
# skipped with ACMEZONE_SKIP_SANITIZERS=1 (ASan/UBSan and TSan) or ACMEZONE_SKIP_FUZZ=1.
# ACMEZONE_FUZZ_SECONDS sets the time per fuzz target (default 20).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${BUILD_DIR:-build}"
asan_dir="${ASAN_BUILD_DIR:-build-asan}"
tsan_dir="${TSAN_BUILD_DIR:-build-tsan}"
jobs="${JOBS:-$(nproc)}"
started=$SECONDS
# Sanitizer builds: -O1 and line tables only (-g1) compile much faster than -O2 -g and still
# give every report a symbolized stack with file and line.
sanitizer_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")

stage() {
  echo
  echo "=================================================================================="
  echo "== test.sh stage: $*  (t+$((SECONDS - started))s)"
  echo "=================================================================================="
}

# A sanitizer report must fail the test that triggered it: abort at the first error, keep
# leak checking on, print UB stack traces.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

stage "dependencies"
scripts/install-deps.sh

stage "Release build and every test (unit, integration, crash, e2e)"
BUILD_DIR="$build_dir" BUILD_TESTS=ON scripts/build.sh
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300

if [[ "${ACMEZONE_SKIP_SANITIZERS:-0}" != 1 ]]; then
  stage "AddressSanitizer + UndefinedBehaviorSanitizer (clang): unit and integration tests"
  # clang, with the libFuzzer targets in the same build: the fuzz stage below reuses it
  # instead of compiling everything a fourth time.
  CC=clang CXX=clang++ cmake -S . -B "$asan_dir" "${sanitizer_flags[@]}" -DACMEZONE_BUILD_TESTS=ON \
    -DACMEZONE_SANITIZE=address,undefined -DACMEZONE_FUZZ=ON
  cmake --build "$asan_dir" -j"$jobs"
  # The end-to-end test (a real ACME CA), the kill -9 test and the README/Docker file checks
  # already ran above; under ASan they would only repeat the same code paths, slower.
  ctest --test-dir "$asan_dir" --output-on-failure -j2 --timeout 300 -E '^(e2e|crash)\.|^integration\.(readme|docker_files)$'

  stage "ThreadSanitizer: readers and the writer, UDP workers, TCP server, RRL, NOTIFY, transfers"
  cmake -S . -B "$tsan_dir" "${sanitizer_flags[@]}" -DACMEZONE_BUILD_TESTS=ON \
    -DACMEZONE_SANITIZE=thread
  cmake --build "$tsan_dir" -j"$jobs" --target store_tests dns_tests dns_net_tests
  # Suites that run threads: the store's writer and snapshots, the DNS network front ends, the
  # RRL table shared by workers, the NOTIFY sender, propagation checks, the transfer service.
  ctest --test-dir "$tsan_dir" --output-on-failure -j2 --timeout 300 \
    -R '^(Writer|Snapshot|Store|Udp|Tcp|Rrl|Notify|Propagation|Transfer)[A-Za-z]*\.'
else
  stage "sanitizers skipped (ACMEZONE_SKIP_SANITIZERS=1)"
fi

if [[ "${ACMEZONE_SKIP_FUZZ:-0}" != 1 ]]; then
  stage "libFuzzer targets, ${ACMEZONE_FUZZ_SECONDS:-20} s each"
  # Reuses the ASan build's fuzz targets when that stage ran; builds its own otherwise.
  if [[ "${ACMEZONE_SKIP_SANITIZERS:-0}" != 1 ]]; then export FUZZ_BUILD_DIR="$asan_dir"; fi
  fuzz/run.sh "${ACMEZONE_FUZZ_SECONDS:-20}"
else
  stage "fuzzing skipped (ACMEZONE_SKIP_FUZZ=1)"
fi

stage "all stages passed in $((SECONDS - started)) s"
