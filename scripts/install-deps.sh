#!/usr/bin/env bash
# Installs exactly what is needed to build and test acmezone on Debian 12 (bookworm).
# Fast path: when every package is already installed, no apt call is made at all.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
readonly APT_TIMEOUT="${APT_TIMEOUT:-900}"  # seconds per apt step; a hung mirror must not hang CI

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
  # RFC 2136 tests: a skewed client clock for TSIG BADTIME
  faketime
  # end-to-end tests: a real ACME CA, resolver and ACME client (started by the tests, on loopback)
  pebble unbound lego openssl
  # fuzzing (fuzz/run.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # end-to-end tests: stock certbot with its RFC 2136 plugin (alias mode)
  certbot python3-certbot-dns-rfc2136
)

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
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
timeout "$APT_TIMEOUT" "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
