"""Shared set-up of the end-to-end tests: a real ACME CA (pebble), resolver (unbound) and client.

Topology, everything on 127.0.0.1 with free ports:
  acmezone   zone acme.example.test (DNS, RFC 2136 + TSIG, REST API)
  unbound    resolver for pebble and the ACME client; holds the customer's zone example.test with
             its `_acme-challenge` CNAMEs into acmezone's zone as an auth-zone (for-upstream, so
             the iterator chases the CNAME; plain local-data CNAMEs are not chased) and reaches
             acmezone through a stub zone
  pebble     the ACME CA (Debian's pebble ships no certs: a throwaway CA is made with openssl)
  client     lego (`exec` provider in RAW mode driving the REST API with curl, or `rfc2136`) or
             certbot with certbot-dns-rfc2136

Standard library only; every subprocess is bounded, every readiness wait polls a condition with a
deadline, every process is stopped by PID, the temporary folder is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
import harness as h  # noqa: E402  (shared helpers: free ports, acmezone config and start-up)

CUSTOMER = "example.test"
CHALLENGE = f"_acme-challenge.{CUSTOMER}"
TOOL_TIMEOUT = 30      # seconds for openssl/curl/CLI calls
CLIENT_TIMEOUT = 180   # seconds for a whole issuance by lego or certbot
READY_TIMEOUT = 20     # seconds for a daemon to answer

main = h.main


def find_tool(name: str) -> str:
    # unbound lives in /usr/sbin, which is not on every user's PATH.
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        raise AssertionError(f"{name} not found: run scripts/install-deps.sh")
    return path


def run(cmd: list, *, timeout: float = TOOL_TIMEOUT, **kwargs) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p


def wait_for(condition, what: str, proc: "Daemon | None" = None, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise AssertionError(f"{proc.name} exited early with {proc.proc.returncode}:\n{proc.log()}")
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f"\n--- {proc.name} log ---\n{proc.log()}" if proc else ""))


class Daemon:
    """A background process with its output in a log file; stopped by PID (TERM, then KILL)."""

    def __init__(self, name: str, cmd: list, log_path: Path, env: dict | None = None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def make_ca(tmp: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for IP:127.0.0.1 signed by it (pebble's HTTPS listener)."""
    ca_key, ca_pem = tmp / "ca.key", tmp / "ca.pem"
    key, csr, pem, ext = tmp / "pebble.key", tmp / "pebble.csr", tmp / "pebble.pem", tmp / "pebble.ext"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2",
         "-subj", "/CN=acmezone e2e throwaway CA"])
    run(["openssl", "req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"])
    ext.write_text("basicConstraints = critical, CA:FALSE\n"
                   "keyUsage = critical, digitalSignature\n"
                   "extendedKeyUsage = serverAuth\n"
                   "subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
         "-days", "2", "-extfile", ext, "-out", pem])
    return ca_pem, pem, key


def cname_line(owner: str, target: str) -> str:
    """A zone-file CNAME line, both names absolute."""
    return f"{owner.rstrip('.')}. CNAME {target.rstrip('.')}.\n"


def customer_zone(cname_lines: list[str]) -> str:
    """The customer's zone example.test holding the given zone-file lines (absolute names)."""
    return (f"$ORIGIN {CUSTOMER}.\n$TTL 1\n"
            f"@ SOA ns.{CUSTOMER}. hostmaster.{CUSTOMER}. 1 300 60 86400 1\n"
            f"@ NS ns.{CUSTOMER}.\nns A 127.0.0.1\n"
            + "".join(line if line.endswith("\n") else line + "\n" for line in cname_lines))


def unbound_config(tmp: Path, port: int, acme_port: int, zonefile: Path) -> str:
    # No validator (no trust anchor offline); .test is a blocked default local zone in unbound;
    # 127.0.0.1 stubs need do-not-query-localhost: no; TTLs capped at 1 s so the second value on the
    # shared challenge name is never hidden by a cached first one.
    return f"""server:
  interface: 127.0.0.1
  port: {port}
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{tmp}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  do-not-query-localhost: no
  qname-minimisation: no
  cache-max-ttl: 1
  cache-max-negative-ttl: 1
  local-zone: "test." transparent
auth-zone:
  name: "{CUSTOMER}."
  zonefile: "{zonefile}"
  for-downstream: no
  for-upstream: yes
  fallback-enabled: no
stub-zone:
  name: "{h.ZONE}."
  stub-addr: 127.0.0.1@{acme_port}
"""


EXEC_SCRIPT = """#!/bin/sh
# lego exec provider, EXEC_MODE=RAW: `present|cleanup [--] <domain> <token> <keyAuth>`.
# present: POST the dns-01 value base64url(sha256(keyAuth)) to acmezone like an acme-dns client.
set -eu
action="$1"
[ "$action" = present ] || exit 0
for arg in "$@"; do key_auth="$arg"; done
value="$(printf '%s' "$key_auth" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')"
echo "$value" >> {values_log}
curl -sS --fail-with-body --max-time 10 -X POST \\
  -H 'X-Api-User: {username}' -H 'X-Api-Key: {password}' -H 'Content-Type: application/json' \\
  --data-binary '{{"subdomain":"{subdomain}","txt":"'"$value"'"}}' \\
  http://127.0.0.1:{api_port}/update
"""


def certificate_sans(crt: Path) -> set[str]:
    """The subjectAltName entries of a PEM certificate, as openssl prints them (DNS:name)."""
    san = run(["openssl", "x509", "-in", crt, "-noout", "-ext", "subjectAltName"]).stdout
    return {part.strip() for part in san.splitlines()[-1].split(",")}


class E2ETestCase(unittest.TestCase):
    """One temporary folder and one ExitStack per test; every daemon is stopped by it."""

    tools_needed: tuple = ("pebble", "unbound", "openssl")

    def setUp(self) -> None:
        self.tools = {name: find_tool(name) for name in self.tools_needed}
        self.stack = contextlib.ExitStack()
        self.addCleanup(self.stack.close)
        self.tmp = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-e2e-")))
        self.server: h.Server | None = None
        self.api_port = 0

    def daemon(self, name: str, cmd: list, env: dict | None = None) -> Daemon:
        d = Daemon(name, cmd, self.tmp / f"{name}.log", env)
        self.stack.callback(d.stop)
        return d

    # -- acmezone -----------------------------------------------------------------------------
    def start_acmezone(self, overrides: dict | None = None) -> h.Server:
        """acmezone with the REST API on a free port (open registration unless overridden)."""
        self.api_port = h.free_port()
        config = {"api": {"listen": [f"127.0.0.1:{self.api_port}"], "registration": "open"}}
        server = self.stack.enter_context(h.server_files(h.merge(config, overrides)))
        server.start()
        self.server = server
        self.stack.callback(self.stop_acmezone, server)
        return server

    @staticmethod
    def stop_acmezone(server: h.Server) -> None:
        code = server.stop()
        if code != 0:
            raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{server.log()}")

    def acmezone_json(self, command: list[str], *options: str) -> dict:
        """Runs `acmezone <command...> --config F <options...> --json` and parses what it prints."""
        assert self.server is not None
        cmd = [self.server.binary, *command, "--config", str(self.server.config_path), *options, "--json"]
        return json.loads(run(cmd).stdout)

    def issue_credential(self, domain: str, scheme: str = "reverse") -> dict:
        """`acmezone credential issue --domain D --scheme S --json`, as an admin runs it."""
        return self.acmezone_json(["credential", "issue"], "--domain", domain, "--scheme", scheme)

    def audit_events(self, *options: str) -> list[dict]:
        """`acmezone audit --json` (one page, oldest first) while the server runs."""
        return self.acmezone_json(["audit"], "--limit", "10000", *options)["events"]

    def register(self) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/register", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertEqual(r.status, 201)
            account = json.load(r)
        for field in ("username", "password", "fulldomain", "subdomain"):
            self.assertIsInstance(account.get(field), str, account)
        self.assertEqual(account["fulldomain"], f"{account['subdomain']}.{h.ZONE}")
        return account

    def post_update(self, username: str, password: str, subdomain: str, txt: str) -> tuple[int, str]:
        """POST /update like an acme-dns client; returns (HTTP status, body)."""
        body = json.dumps({"subdomain": subdomain, "txt": txt}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}/update", data=body, method="POST",
            headers={"X-Api-User": username, "X-Api-Key": password, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    # -- resolver and CA ----------------------------------------------------------------------
    def start_unbound(self, cname_lines: list[str], probe: str = CHALLENGE) -> int:
        """unbound serving the customer zone with cname_lines; ready when it answers probe's CNAME."""
        assert self.server is not None
        port = h.free_port()
        conf = self.tmp / "unbound.conf"
        zonefile = self.tmp / f"{CUSTOMER}.zone"
        zonefile.write_text(customer_zone(cname_lines))
        conf.write_text(unbound_config(self.tmp, port, self.server.port, zonefile))
        d = self.daemon("unbound", [self.tools["unbound"], "-d", "-c", conf])

        def chases_cname() -> bool:
            try:
                reply = h.exchange(port, h.make_query(probe, h.CNAME, rd=True), "udp", 0.5)
            except (OSError, AssertionError, ValueError):
                return False
            return reply.rcode == 0 and any(rr.type == h.CNAME for rr in reply.answer)

        wait_for(chases_cname, f"unbound to answer the CNAME at {probe}", d)
        return port

    def start_pebble(self, dns_port: int) -> str:
        """A throwaway CA, then pebble resolving through dns_port; returns the directory URL."""
        self.ca_pem, cert, key = make_ca(self.tmp)
        port = h.free_port()
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{port}",
            "managementListenAddress": f"127.0.0.1:{h.free_port()}",
            "certificate": str(cert), "privateKey": str(key),
            # Only dns-01 is used; these just must not collide with anything.
            "httpPort": h.free_port(), "tlsPort": h.free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        conf = self.tmp / "pebble.json"
        conf.write_text(json.dumps(config))
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"}
        d = self.daemon("pebble", [self.tools["pebble"], "-config", conf, "-dnsserver", f"127.0.0.1:{dns_port}"],
                        env)
        directory = f"https://127.0.0.1:{port}/dir"
        context = ssl.create_default_context(cafile=str(self.ca_pem))

        def serves_directory() -> bool:
            try:
                with urllib.request.urlopen(directory, timeout=1, context=context) as r:
                    return r.status == 200 and "newOrder" in json.load(r)
            except OSError:
                return False

        wait_for(serves_directory, "pebble's directory", d)
        return directory

    # -- clients ------------------------------------------------------------------------------
    def run_client(self, what: str, cmd: list, env: dict) -> subprocess.CompletedProcess:
        """Runs an ACME client to completion (bounded); a time-out fails the test with the logs."""
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=CLIENT_TIMEOUT, env=env,
                                  cwd=self.tmp, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail(f"{what} did not finish within {CLIENT_TIMEOUT}s:\n{e.stdout}{e.stderr}\n{self.logs()}")

    def write_exec_script(self, username: str, password: str, subdomain: str) -> tuple[Path, Path]:
        """The lego exec script POSTing /update with these credentials; returns (script, values log)."""
        values_log = self.tmp / "posted-values"
        script = self.tmp / "acme-dns-update.sh"
        script.write_text(EXEC_SCRIPT.format(values_log=values_log, api_port=self.api_port, username=username,
                                             password=password, subdomain=subdomain))
        script.chmod(stat.S_IRWXU)
        return script, values_log

    def lego(self, directory: str, dns_port: int, domains: list[str], provider: str,
             provider_env: dict) -> tuple[subprocess.CompletedProcess, Path]:
        """lego run with a DNS provider, following CNAMEs through unbound; returns (result, path)."""
        lego_dir = self.tmp / "lego"
        env = {**os.environ, "HOME": str(self.tmp), "LEGO_CA_CERTIFICATES": str(self.ca_pem), **provider_env}
        env.pop("LEGO_DISABLE_CNAME_SUPPORT", None)
        cmd = [find_tool("lego"), "--server", directory, "--accept-tos", "--email", "t@example.test",
               *[arg for d in domains for arg in ("--domains", d)], "--dns", provider,
               "--dns.resolvers", f"127.0.0.1:{dns_port}", "--dns.disable-cp", "--path", str(lego_dir), "run"]
        return self.run_client("lego", cmd, env), lego_dir

    def lego_exec(self, directory: str, dns_port: int, domains: list[str],
                  script: Path) -> tuple[subprocess.CompletedProcess, Path]:
        return self.lego(directory, dns_port, domains, "exec", {
            "EXEC_PATH": str(script), "EXEC_MODE": "RAW",
            "EXEC_PROPAGATION_TIMEOUT": "30", "EXEC_POLLING_INTERVAL": "1",
            # exec is a sequential provider: 60 s between names by default.
            "EXEC_SEQUENCE_INTERVAL": "1"})

    def assert_lego_certificate(self, p: subprocess.CompletedProcess, lego_dir: Path, domains: list[str]) -> None:
        """lego succeeded and its certificate (named after the first domain) has exactly these SANs."""
        self.assertEqual(p.returncode, 0, f"lego failed:\n{p.stdout}{p.stderr}\n{self.logs()}")
        crt = lego_dir / "certificates" / f"{domains[0].replace('*', '_')}.crt"
        self.assertTrue(crt.is_file(), f"no certificate at {crt}:\n{p.stdout}{p.stderr}")
        self.assertEqual(certificate_sans(crt), {f"DNS:{d}" for d in domains})

    def logs(self) -> str:
        parts = [f"--- acmezone log ---\n{self.server.log()}"] if self.server else []
        for name in ("unbound", "pebble"):
            path = self.tmp / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name} log ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)
