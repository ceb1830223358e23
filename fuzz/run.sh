#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) into ${FUZZ_BUILD_DIR:-build-fuzz}
# and runs every target for the given number of seconds (default 60), starting from the seed
# corpus in fuzz/corpus/<target>. Fails on any crash, leak, timeout, out-of-memory or
# sanitizer report; prints each target's final libFuzzer line (executions, coverage).
#   fuzz/run.sh [seconds-per-target]
# FUZZ_JOBS targets run at once (default: the number of cores). New inputs go to
# <build>/fuzz-corpus/<target> (kept between runs); reproducers of failures to
# <build>/fuzz-artifacts/. Reproduce one with: <build>/fuzz/<target> <artifact-file>
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-60}"
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-$(nproc)}"
build_jobs="${JOBS:-$(nproc)}"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz/run.sh: clang++ not found (scripts/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

# A build folder already configured for fuzzing (scripts/test.sh's ASan build) is reused as is.
# -O1 with line tables (-g1): what libFuzzer recommends, and half the compile time of -O2 -g.
if ! grep -qs '^ACMEZONE_FUZZ:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    -DACMEZONE_FUZZ=ON -DACMEZONE_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build_dir" -j"$build_jobs" --target fuzz_all

# Sanitizer reports are fatal; leaks are reported by libFuzzer's own leak check.
export ASAN_OPTIONS="${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${FUZZ_UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

mapfile -t targets < <(find "$build_dir/fuzz" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x -printf '%f\n' | sort)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "fuzz/run.sh: no targets built in $build_dir/fuzz" >&2
  exit 1
fi

logs="$build_dir/fuzz-logs"
mkdir -p "$logs" "$build_dir/fuzz-artifacts"

run_target() {
  local target="$1"
  local work="$build_dir/fuzz-corpus/$target"
  local seeds="fuzz/corpus/$target"
  mkdir -p "$work"
  local corpora=("$work")
  [[ -d "$seeds" ]] && corpora+=("$seeds")
  # -timeout: one input taking this long is a hang (a failure); -rss_limit_mb: memory bound.
  "$build_dir/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 \
    -print_final_stats=1 -artifact_prefix="$build_dir/fuzz-artifacts/$target-" "${corpora[@]}" \
    >"$logs/$target.log" 2>&1
}

echo "fuzz/run.sh: ${#targets[@]} targets, ${seconds} s each, ${jobs} at a time"
declare -A pids=()
failed=()
for target in "${targets[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n || true; done
  run_target "$target" &
  pids[$target]=$!
done

for target in "${targets[@]}"; do
  rc=0
  wait "${pids[$target]}" || rc=$?
  log="$logs/$target.log"
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
  if [[ $rc -ne 0 ]] || grep -qE '^==[0-9]+==ERROR|runtime error:|fuzz invariant failed|^SUMMARY: ' "$log"; then
    failed+=("$target")
    echo "FAIL  $target (exit $rc) -- last lines of $log:"
    tail -40 "$log" | sed 's/^/    /'
  else
    echo "ok    $target: ${done_line:-<no final stats line>}"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz/run.sh: FAILED: ${failed[*]} (reproducers in $build_dir/fuzz-artifacts/)" >&2
  exit 1
fi
echo "fuzz/run.sh: all ${#targets[@]} targets ran ${seconds} s with no crash, leak or sanitizer report"
