"""End-to-end: a real ACME CA issues a certificate through acmezone's acme-dns REST API.

Topology, everything on 127.0.0.1 with free ports:
  acmezone   zone acme.example.test (DNS + REST API, registration "open")
  unbound    resolver for pebble and lego; holds the customer's zone example.test with
             `_acme-challenge.example.test. CNAME <subdomain>.acme.example.test.` as an auth-zone
             (for-upstream, so the iterator chases the CNAME; plain local-data CNAMEs are not
             chased) and reaches acmezone through a stub zone
  pebble     the ACME CA (Debian's pebble ships no certs: a throwaway CA is made with openssl)
  lego       the ACME client, `exec` provider in RAW mode: a small script POSTs /update with curl,
             exactly as an acme-dns client does (Debian's lego 4.9.1 lacks the acme-dns provider)

example.test and *.example.test validate at the same name. The exec provider solves one name at a
time, but lego's real acme-dns provider presents both before validation, so the test also checks that
acmezone still serves both posted values at the end. Standard library only; every subprocess is
bounded, every readiness wait polls a condition with a deadline, every process is stopped by PID.
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
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))
import harness as h  # noqa: E402  (shared helpers: free ports, acmezone config and start-up)

CUSTOMER = "example.test"
CHALLENGE = f"_acme-challenge.{CUSTOMER}"
TOOLS = ("pebble", "lego", "unbound", "openssl", "curl")
TOOL_TIMEOUT = 30      # seconds for openssl/curl calls
LEGO_TIMEOUT = 180     # seconds for the whole issuance
READY_TIMEOUT = 20     # seconds for a daemon to answer


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


def customer_zone(fulldomain: str) -> str:
    return (f"$ORIGIN {CUSTOMER}.\n$TTL 1\n"
            f"@ SOA ns.{CUSTOMER}. hostmaster.{CUSTOMER}. 1 300 60 86400 1\n"
            f"@ NS ns.{CUSTOMER}.\nns A 127.0.0.1\n"
            f"{CHALLENGE}. CNAME {fulldomain}.\n")


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


class RestIssuance(unittest.TestCase):
    def setUp(self) -> None:
        self.tools = {name: find_tool(name) for name in TOOLS}
        self.stack = contextlib.ExitStack()
        self.addCleanup(self.stack.close)
        self.tmp = Path(self.stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-e2e-")))

    def daemon(self, name: str, cmd: list, env: dict | None = None) -> Daemon:
        d = Daemon(name, cmd, self.tmp / f"{name}.log", env)
        self.stack.callback(d.stop)
        return d

    def start_acmezone(self) -> tuple[h.Server, int]:
        api_port = h.free_port()
        server = self.stack.enter_context(h.server_files(
            {"api": {"listen": [f"127.0.0.1:{api_port}"], "registration": "open"}}))
        server.start()
        self.server = server
        self.stack.callback(self.stop_acmezone, server)
        return server, api_port

    @staticmethod
    def stop_acmezone(server: h.Server) -> None:
        code = server.stop()
        if code != 0:
            raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{server.log()}")

    def start_unbound(self, acme_port: int, fulldomain: str) -> int:
        port = h.free_port()
        conf = self.tmp / "unbound.conf"
        zonefile = self.tmp / f"{CUSTOMER}.zone"
        zonefile.write_text(customer_zone(fulldomain))
        conf.write_text(unbound_config(self.tmp, port, acme_port, zonefile))
        d = self.daemon("unbound", [self.tools["unbound"], "-d", "-c", conf])

        def chases_cname() -> bool:
            try:
                reply = h.exchange(port, h.make_query(CHALLENGE, h.CNAME, rd=True), "udp", 0.5)
            except (OSError, AssertionError, ValueError):
                return False
            return reply.rcode == 0 and any(rr.type == h.CNAME for rr in reply.answer)

        wait_for(chases_cname, "unbound to answer the challenge CNAME", d)
        return port

    def start_pebble(self, dns_port: int, cert: Path, key: Path, ca_pem: Path) -> str:
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
        context = ssl.create_default_context(cafile=str(ca_pem))

        def serves_directory() -> bool:
            try:
                with urllib.request.urlopen(directory, timeout=1, context=context) as r:
                    return r.status == 200 and "newOrder" in json.load(r)
            except OSError:
                return False

        wait_for(serves_directory, "pebble's directory", d)
        return directory

    def register(self, api_port: int) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{api_port}/register", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertEqual(r.status, 201)
            account = json.load(r)
        for field in ("username", "password", "fulldomain", "subdomain"):
            self.assertIsInstance(account.get(field), str, account)
        self.assertEqual(account["fulldomain"], f"{account['subdomain']}.{h.ZONE}")
        return account

    def test_wildcard_and_apex_issued_via_cname_delegation(self) -> None:
        ca_pem, cert, key = make_ca(self.tmp)
        server, api_port = self.start_acmezone()
        account = self.register(api_port)
        dns_port = self.start_unbound(server.port, account["fulldomain"])
        directory = self.start_pebble(dns_port, cert, key, ca_pem)

        values_log = self.tmp / "posted-values"
        script = self.tmp / "acme-dns-update.sh"
        script.write_text(EXEC_SCRIPT.format(values_log=values_log, api_port=api_port, **account))
        script.chmod(stat.S_IRWXU)

        lego_dir = self.tmp / "lego"
        env = {**os.environ, "HOME": str(self.tmp), "LEGO_CA_CERTIFICATES": str(ca_pem),
               "EXEC_PATH": str(script), "EXEC_MODE": "RAW",
               "EXEC_PROPAGATION_TIMEOUT": "30", "EXEC_POLLING_INTERVAL": "1",
               # exec is a sequential provider: 60 s between names by default.
               "EXEC_SEQUENCE_INTERVAL": "1"}
        env.pop("LEGO_DISABLE_CNAME_SUPPORT", None)
        cmd = [self.tools["lego"], "--server", directory, "--accept-tos", "--email", "t@example.test",
               "--domains", CUSTOMER, "--domains", f"*.{CUSTOMER}", "--dns", "exec",
               "--dns.resolvers", f"127.0.0.1:{dns_port}", "--dns.disable-cp", "--path", str(lego_dir), "run"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=LEGO_TIMEOUT, env=env,
                               cwd=self.tmp, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail(f"lego did not finish within {LEGO_TIMEOUT}s:\n{e.stdout}{e.stderr}\n{self.logs()}")
        self.assertEqual(p.returncode, 0, f"lego failed:\n{p.stdout}{p.stderr}\n{self.logs()}")

        crt = lego_dir / "certificates" / f"{CUSTOMER}.crt"
        self.assertTrue(crt.is_file(), f"no certificate at {crt}:\n{p.stdout}{p.stderr}")
        san = run(["openssl", "x509", "-in", crt, "-noout", "-ext", "subjectAltName"]).stdout
        names = {part.strip() for part in san.splitlines()[-1].split(",")}
        self.assertEqual(names, {f"DNS:{CUSTOMER}", f"DNS:*.{CUSTOMER}"}, san)

        # Both values went through /update and acmezone still serves both (apex + wildcard).
        posted = values_log.read_text().split()
        self.assertEqual(len(posted), 2, posted)
        served = h.query(server.port, account["fulldomain"], h.TXT).txt_values()
        self.assertEqual(sorted(served), sorted(posted))

    def logs(self) -> str:
        parts = [f"--- acmezone log ---\n{self.server.log()}"]
        for name in ("unbound", "pebble"):
            path = self.tmp / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name} log ---\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)


if __name__ == "__main__":
    h.main()
