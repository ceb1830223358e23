#!/usr/bin/env bash
# Installs exactly what is needed to build and test acmezone on Debian 12 (bookworm).
# Fast path: when every package is already installed, no apt call is made at all.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
readonly APT_TIMEOUT="${APT_TIMEOUT:-900}"  # seconds per apt step; a hung mirror must not hang CI

# Usage: install-deps.sh [--list] [all|build|runtime]
#   all (the default, what CI and scripts/test.sh use): everything below;
#   build:   what scripts/build.sh needs with BUILD_TESTS=OFF (docker/Dockerfile's build stage);
#   runtime: the shared libraries the acmezone binary loads (docker/Dockerfile's runtime stage;
#            tests/integration/docker_files_test.py checks it against `ldd` of the real binary).
# --list prints the chosen packages, one per line, and installs nothing.
list_only=0
if [[ "${1:-}" == "--list" ]]; then
  list_only=1
  shift
fi
profile="${1:-all}"

build_packages=(
  g++ cmake make pkg-config
  libldns-dev libboost-dev libcpp-httplib-dev liblmdb-dev libssl-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libcrypt-dev libidn2-dev libsqlite3-dev
)
runtime_packages=(
  libc6 libgcc-s1 libstdc++6 libssl3 libldns3 liblmdb0 libspdlog1.10 libfmt9 libtomlplusplus3
  libcpp-httplib0.11 libcrypt1 libidn2-0 libsqlite3-0
)

packages=(
  # toolchain
  g++ cmake make pkg-config
  # libraries the build links against (see the top-level CMakeLists.txt)
  libldns-dev libboost-dev libcpp-httplib-dev liblmdb-dev libssl-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libcrypt-dev libidn2-dev
  # `acmezone import acme-dns` reads acme-dns SQLite databases; the sqlite3 CLI builds them in tests
  libsqlite3-dev sqlite3
  # unit tests
  libgtest-dev libgmock-dev
  # integration tests and operations: real DNS clients, LMDB tools, HTTP client
  bind9-dnsutils knot-dnsutils ldnsutils lmdb-utils curl python3 ca-certificates
  # README walkthrough and Docker file checks (readme_test.py, docker_files_test.py): jq as the
  # README uses it, setcap for the port-53 recipe, a YAML parser for compose.yaml
  jq libcap2-bin python3-yaml
  # RFC 2136 tests: a skewed client clock for TSIG BADTIME
  faketime
  # zone transfer tests: stock secondaries (started by the tests on loopback; no system daemon)
  knot nsd
  # end-to-end tests: a real ACME CA, resolver and ACME client (started by the tests, on loopback)
  pebble unbound lego openssl
  # the ASan/UBSan stage and fuzzing (scripts/test.sh, fuzz/run.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # end-to-end tests: stock certbot with its RFC 2136 plugin (alias mode)
  certbot python3-certbot-dns-rfc2136
)

case "$profile" in
  all) selected=("${packages[@]}") ;;
  build) selected=("${build_packages[@]}") ;;
  runtime) selected=("${runtime_packages[@]}") ;;
  *)
    echo "install-deps: unknown profile '$profile' (all, build or runtime)" >&2
    exit 2
    ;;
esac
if [[ $list_only -eq 1 ]]; then
  printf '%s\n' "${selected[@]}"
  exit 0
fi

missing=()
for pkg in "${selected[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#selected[@]} packages ($profile) already installed"
  exit 0
fi

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo --preserve-env=DEBIAN_FRONTEND)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root, no sudo available" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
timeout "$APT_TIMEOUT" "${sudo_cmd[@]}" apt-get update
timeout "$APT_TIMEOUT" "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${selected[@]}"
