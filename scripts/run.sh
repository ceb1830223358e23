#!/usr/bin/env bash
# Command 1: install dependencies, build, and run the DNS server in the foreground with
# config/acmezone.toml (Ctrl-C stops it). Data lives where [store] path says.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${BUILD_DIR:-build}"
config="${CONFIG:-config/acmezone.toml}"

scripts/install-deps.sh
BUILD_DIR="$build_dir" scripts/build.sh

echo "acmezone: starting; query it with: dig @127.0.0.1 -p 5353 SOA acme.example.test"
exec "$build_dir/acmezone" serve --config "$config"
