#!/bin/bash
# The container's HEALTHCHECK (installed as /usr/local/bin/acmezone-healthcheck). Healthy means:
#   1. DNS: a SOA query for the zone apex, over TCP, gets an authoritative NOERROR answer with
#      at least one record (the SOA serial comes from the store, so the store is read too);
#   2. HTTP (when the API runs): GET /health answers 200.
# Only bash and coreutils are used (both are in debian:bookworm-slim): no dig, no curl, nothing
# to install. tests/integration/docker_files_test.py runs this script against the real server.
#
# Environment (all optional):
#   ACMEZONE_CONFIG          config file to read [zone] name from (/etc/acmezone/acmezone.toml)
#   ACMEZONE_ZONE            the zone, instead of reading it from the config
#   ACMEZONE_HEALTH_DNS      DNS address to ask, host:port (127.0.0.1:53)
#   ACMEZONE_HEALTH_API      API address, host:port; empty skips the HTTP check (127.0.0.1:8080)
#   ACMEZONE_HEALTH_PATH     HTTP path to ask (/health)
#   ACMEZONE_HEALTH_TIMEOUT  seconds per read (3)
# Exit 0 when healthy, 1 otherwise (with the reason on stderr).
set -euo pipefail

config="${ACMEZONE_CONFIG:-/etc/acmezone/acmezone.toml}"
dns="${ACMEZONE_HEALTH_DNS:-127.0.0.1:53}"
api="${ACMEZONE_HEALTH_API-127.0.0.1:8080}"
path="${ACMEZONE_HEALTH_PATH:-/health}"
wait_s="${ACMEZONE_HEALTH_TIMEOUT:-3}"

fail() {
  echo "acmezone-healthcheck: $*" >&2
  exit 1
}

# [zone] name from the TOML file: the first `name = "..."` (or '...') inside [zone].
zone_from_config() {
  awk '
    /^[[:space:]]*\[/ { section = $0; gsub(/[][[:space:]]/, "", section); next }
    section == "zone" && /^[[:space:]]*name[[:space:]]*=/ {
      line = $0; sub(/^[^=]*=[[:space:]]*/, "", line)
      q = substr(line, 1, 1)
      if (q == "\"" || q == "'"'"'") { line = substr(line, 2); sub(q ".*", "", line); print line; exit }
    }' "$1"
}

zone="${ACMEZONE_ZONE:-}"
if [[ -z "$zone" ]]; then
  [[ -r "$config" ]] || fail "cannot read $config (set ACMEZONE_ZONE or ACMEZONE_CONFIG)"
  zone="$(zone_from_config "$config")"
fi
zone="${zone%.}"
[[ "$zone" =~ ^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$ ]] || fail "bad zone name '$zone'"

split_hostport() {  # "host:port" or "[v6]:port" -> $host and $port
  if [[ "$1" =~ ^\[([^]]+)\]:([0-9]+)$ || "$1" =~ ^([^:]+):([0-9]+)$ ]]; then
    host="${BASH_REMATCH[1]}" port="${BASH_REMATCH[2]}"
  else
    fail "bad address '$1' (host:port or [v6]:port)"
  fi
}

# --- DNS: SOA at the apex over TCP (RFC 1035 §4.2.2: two-byte length, then the message) --------
split_hostport "$dns"
dns_host="$host" dns_port="$port"
id_hi=$((RANDOM % 256)) id_lo=$((RANDOM % 256))
qname=""
qlen=0
IFS=. read -ra labels <<<"$zone"
for label in "${labels[@]}"; do
  qname+="$(printf '\\x%02x' "${#label}")$label"
  qlen=$((qlen + 1 + ${#label}))
done
msglen=$((12 + qlen + 1 + 4))  # header, name, root label, QTYPE + QCLASS
# Header: ID, flags 0 (a query, RD=0), QDCOUNT 1; question: name, SOA (6), IN (1).
query="$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((msglen >> 8)) $((msglen & 255)) "$id_hi" "$id_lo")"
query+='\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00'"$qname"'\x00\x00\x06\x00\x01'

{ exec 3<>"/dev/tcp/$dns_host/$dns_port"; } 2>/dev/null || fail "DNS: cannot connect to $dns"
# shellcheck disable=SC2059  # the format is the binary message built above
printf "$query" >&3
# Length (2) + header (12): GNU head -c reads no more than it prints.
read -ra reply < <(timeout "$wait_s" head -c 14 <&3 | od -An -v -tu1) || true
exec 3<&-
[[ ${#reply[@]} -eq 14 ]] || fail "DNS: no complete answer from $dns within ${wait_s}s"
[[ ${reply[2]} -eq $id_hi && ${reply[3]} -eq $id_lo ]] || fail "DNS: answer with the wrong ID"
flags1=${reply[4]} flags2=${reply[5]}
((flags1 & 0x80)) || fail "DNS: not a response"
((flags1 & 0x04)) || fail "DNS: not authoritative for $zone (is [zone] name right?)"
rcode=$((flags2 & 0x0f))
((rcode == 0)) || fail "DNS: RCODE $rcode for SOA $zone"
ancount=$(((reply[8] << 8) | reply[9]))
((ancount >= 1)) || fail "DNS: no SOA in the answer for $zone"

# --- HTTP: GET $path answers 200 ----------------------------------------------------------------
if [[ -n "$api" ]]; then
  split_hostport "$api"
  api_host="$host" api_port="$port"
  { exec 4<>"/dev/tcp/$api_host/$api_port"; } 2>/dev/null || fail "API: cannot connect to $api"
  printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$api_host" >&4
  status="$(timeout "$wait_s" head -n 1 <&4 || true)"
  exec 4<&-
  [[ "$status" =~ ^HTTP/1\.[01]\ 200 ]] || fail "API: GET $path: ${status:-no answer within ${wait_s}s}"
fi
exit 0
