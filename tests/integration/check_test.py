#!/usr/bin/env python3
"""`acmezone check` and GET /admin/check against a real resolver on loopback: unbound holds the
customer zone example.test as an auth-zone with _acme-challenge CNAMEs in every state (delegated,
missing, elsewhere, pointing at another credential's label, at a label nobody owns, through a
chain) and a stub zone for our zone; a UDP socket that never answers stands for a dead resolver,
whose time-outs must be reported as errors, never as "missing". Credentials come from
`acmezone credential issue` (reverse labels) and, for an acme-dns style account whose label
names no customer, from /register plus `check --label`."""

import contextlib
import hashlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import harness as h

CUSTOMER = "example.test"
READY_TIMEOUT = 20
CURL_TIMEOUT = 15
ADMIN_TOKEN = "check-test-admin-token-0123456789abcdefghijklmnop"

# customer name -> how its _acme-challenge is set up
DELEGATED, GONE, AWAY, STOLEN, ORPHAN, CHAIN = (f"{n}.{CUSTOMER}" for n in
                                                ("www", "gone", "away", "stolen", "orphan", "chain"))
LEGACY = f"legacy.{CUSTOMER}"


def unbound_conf(tmp: Path, port: int, acme_port: int, zonefile: Path) -> str:
    # As in tests/e2e: no validator offline, .test made transparent, loopback stubs allowed.
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


class DelegationCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        unbound = shutil.which("unbound") or shutil.which("unbound", path="/usr/sbin:/sbin")
        if unbound is None:
            raise AssertionError("unbound not found: run scripts/install-deps.sh")
        cls.stack = contextlib.ExitStack()
        try:
            cls.setup(unbound)
        except BaseException:
            cls.stack.close()
            raise

    @classmethod
    def setup(cls, unbound: str) -> None:
        cls.tmp = Path(cls.stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-check-")))
        cls.resolver_port = h.free_port()
        cls.api_port = h.free_port()
        cls.server = cls.stack.enter_context(h.server_files({
            "api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open"},
            "check": {"resolver": f"127.0.0.1:{cls.resolver_port}", "timeout_ms": 2000, "retries": 1},
        }))
        sha = hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()
        with open(cls.server.config_path, "a") as f:
            f.write(f'\n[[api.admin_tokens]]\nname = "ops"\nsha256 = "{sha}"\n')
        cls.server.start()
        cls.stack.callback(cls.stop_server)

        cls.creds = {name: cls.issue(name) for name in (DELEGATED, GONE, AWAY, STOLEN, ORPHAN, CHAIN)}
        cls.legacy = json.loads(cls.http("POST", "/register")[1])

        label = {name: c["subdomain"] for name, c in cls.creds.items()}
        assert label[DELEGATED] == "test-example-www", label  # reverse scheme
        zonefile = cls.tmp / "example.test.zone"
        zonefile.write_text(
            f"$ORIGIN {CUSTOMER}.\n$TTL 1\n"
            f"@ SOA ns.{CUSTOMER}. hostmaster.{CUSTOMER}. 1 300 60 86400 1\n@ NS ns.{CUSTOMER}.\nns A 127.0.0.1\n"
            f"_acme-challenge.www CNAME {label[DELEGATED]}.{h.ZONE}.\n"
            f"gone A 127.0.0.9\n"  # the name exists, its _acme-challenge does not
            f"_acme-challenge.away CNAME _acme-challenge.away.other-provider.invalid.\n"
            f"_acme-challenge.stolen CNAME {label[DELEGATED]}.{h.ZONE}.\n"
            f"_acme-challenge.orphan CNAME nobody-owns-this.{h.ZONE}.\n"
            f"_acme-challenge.chain CNAME hop.{CUSTOMER}.\n"
            f"hop CNAME {label[CHAIN]}.{h.ZONE}.\n"
            f"_acme-challenge.legacy CNAME {cls.legacy['fulldomain']}.\n")
        conf = cls.tmp / "unbound.conf"
        conf.write_text(unbound_conf(cls.tmp, cls.resolver_port, cls.server.port, zonefile))
        log = open(cls.tmp / "unbound.log", "wb")
        cls.stack.callback(log.close)
        cls.unbound = subprocess.Popen([unbound, "-d", "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT)
        cls.stack.callback(cls.stop_unbound)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if cls.unbound.poll() is not None:
                raise AssertionError(f"unbound exited {cls.unbound.returncode}:\n{(cls.tmp / 'unbound.log').read_text()}")
            try:
                reply = h.exchange(cls.resolver_port, h.make_query(f"_acme-challenge.{DELEGATED}", h.CNAME, rd=True),
                                   "udp", 0.5)
                if reply.rcode == 0 and any(rr.type == h.CNAME for rr in reply.answer):
                    break
            except (OSError, AssertionError, ValueError):
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("unbound did not answer in time")

        # A "resolver" that takes queries and never answers.
        cls.dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        cls.dead.bind((h.HOST, 0))
        cls.stack.callback(cls.dead.close)
        cls.dead_config = cls.tmp / "dead.toml"
        cls.dead_config.write_text(cls.server.config_path.read_text().replace(
            f'resolver = "127.0.0.1:{cls.resolver_port}"', f'resolver = "127.0.0.1:{cls.dead.getsockname()[1]}"').replace(
            "timeout_ms = 2000", "timeout_ms = 300"))

    @classmethod
    def stop_server(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"acmezone exited {code}:\n{cls.server.log()}")

    @classmethod
    def stop_unbound(cls):
        if cls.unbound.poll() is None:
            cls.unbound.terminate()
            try:
                cls.unbound.wait(timeout=10)
            except subprocess.TimeoutExpired:
                cls.unbound.kill()
                cls.unbound.wait(timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    # -- helpers --------------------------------------------------------------------------------
    @classmethod
    def issue(cls, name: str) -> dict:
        p = cls.server.cli("credential", "issue", "--domain", name, "--scheme", "reverse", "--json")
        return json.loads(p.stdout)

    @classmethod
    def http(cls, method: str, path: str, *, token: str | None = None, data: str | None = None,
             headers: dict | None = None) -> tuple[int, str]:
        cmd = ["curl", "-sS", "--max-time", str(CURL_TIMEOUT), "-X", method, "-o", "-", "-w", "\n%{http_code}"]
        if token:
            cmd += ["-H", f"Authorization: Bearer {token}"]
        for k, v in (headers or {}).items():
            cmd += ["-H", f"{k}: {v}"]
        if data is not None:
            cmd += ["--data-binary", data]
        p = subprocess.run([*cmd, f"http://127.0.0.1:{cls.api_port}{path}"], capture_output=True, text=True,
                           timeout=CURL_TIMEOUT + 5)
        if p.returncode != 0:
            raise AssertionError(f"curl failed: {p.stderr}")
        body, _, status = p.stdout.rpartition("\n")
        return int(status), body

    def check(self, *args: str, config: Path | None = None) -> tuple[int, dict | str]:
        cmd = [h.BINARY, "check", "--config", str(config or self.server.config_path), *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if "--json" in args and p.stdout.strip():
            return p.returncode, json.loads(p.stdout)
        return p.returncode, p.stdout + p.stderr

    # -- tests ----------------------------------------------------------------------------------
    def test_each_state_from_the_cli(self):
        www = self.creds[DELEGATED]
        cases = {
            DELEGATED: ("delegated", f"{www['subdomain']}.{h.ZONE}.", ""),
            GONE: ("missing", "", ""),
            AWAY: ("elsewhere", "_acme-challenge.away.other-provider.invalid.", ""),
            STOLEN: ("other_credential", f"{www['subdomain']}.{h.ZONE}.", www["username"]),
            ORPHAN: ("other_credential", f"nobody-owns-this.{h.ZONE}.", ""),
            CHAIN: ("delegated", f"{self.creds[CHAIN]['subdomain']}.{h.ZONE}.", ""),
        }
        for name, (state, target, target_owner) in cases.items():
            with self.subTest(name=name):
                rc, out = self.check(name, "--json")
                self.assertEqual(out["state"], state, out)
                self.assertEqual(rc, 0 if state == "delegated" else 1)
                self.assertEqual(out["domain"], name)
                self.assertEqual(out["query"], f"_acme-challenge.{name}.")
                self.assertEqual(out["target"], target)
                self.assertEqual(out["username"], self.creds[name]["username"])
                self.assertEqual(out["expected"], f"{self.creds[name]['subdomain']}.{h.ZONE}.")
                self.assertEqual(out.get("target_username", ""), target_owner)
        # The chain is named in the detail; upper case and a trailing dot are normalised.
        self.assertIn(f"via hop.{CUSTOMER}.", self.check(CHAIN, "--json")[1]["detail"])
        self.assertEqual(self.check("WWW.Example.TEST.", "--json")[1]["state"], "delegated")
        # Readable output.
        rc, text = self.check(GONE)
        self.assertEqual(rc, 1)
        self.assertIn(f"{GONE}: missing", text)
        self.assertIn("NXDOMAIN", text)

    def test_acme_dns_style_account_by_label(self):
        rc, out = self.check(LEGACY, "--label", self.legacy["subdomain"], "--json")
        self.assertEqual((rc, out["state"], out["username"]), (0, "delegated", self.legacy["username"]))
        rc, text = self.check(LEGACY)
        self.assertEqual(rc, 2)
        self.assertIn("no credential has a label for legacy.example.test", text)
        rc, text = self.check(LEGACY, "--label", "no-such-label")
        self.assertEqual(rc, 2)
        self.assertIn("no credential owns the label no-such-label", text)
        rc, text = self.check("not a name!")
        self.assertEqual(rc, 2)

    def test_a_dead_resolver_is_an_error_never_missing(self):
        started = time.monotonic()
        rc, out = self.check(GONE, "--json", config=self.dead_config)
        self.assertEqual((rc, out["state"]), (1, "error"), out)
        self.assertIn("no answer from 127.0.0.1:", out["detail"])
        # Two attempts of 0.3 s, no sleeping between them.
        self.assertLess(time.monotonic() - started, 10)
        rc, out = self.check("--all", "--json", config=self.dead_config)
        self.assertEqual(rc, 1)
        self.assertEqual(out["gone"], [])
        self.assertEqual(len(out["errors"]), len(self.creds))

    def test_all_lists_gone_and_never_used(self):
        # One credential gets used; the others never are.
        www = self.creds[DELEGATED]
        status, body = self.http("POST", "/update", headers={"X-Api-User": www["username"], "X-Api-Key": www["password"]},
                                 data=json.dumps({"subdomain": www["subdomain"], "txt": h.acme_value(1)}))
        self.assertEqual(status, 200, body)
        rc, out = self.check("--all", "--json")
        self.assertEqual(rc, 1)
        self.assertEqual(out["checked"], len(self.creds))
        self.assertEqual(out["delegated"], 2)
        self.assertEqual(sorted(r["domain"] for r in out["gone"]), sorted([GONE, AWAY, STOLEN, ORPHAN]))
        self.assertEqual(out["errors"], [])
        never = {e["username"] for e in out["never_used"]}
        self.assertNotIn(www["username"], never)
        self.assertTrue({c["username"] for n, c in self.creds.items() if n != DELEGATED} <= never, never)
        self.assertEqual([u["username"] for u in out["unchecked"]], [self.legacy["username"]])
        rc, text = self.check("--all")
        self.assertIn("checked 6 name(s)", text)
        self.assertIn("delegation gone", text)
        self.assertIn("never used", text)

    def test_admin_api(self):
        status, body = self.http("GET", f"/admin/check?domain={DELEGATED}", token=ADMIN_TOKEN)
        self.assertEqual(status, 200, body)
        out = json.loads(body)
        self.assertEqual((out["state"], out["username"]), ("delegated", self.creds[DELEGATED]["username"]))
        # The same JSON as the CLI.
        self.assertEqual(out, self.check(DELEGATED, "--json")[1])
        status, body = self.http("GET", f"/admin/check?domain={STOLEN}", token=ADMIN_TOKEN)
        self.assertEqual((status, json.loads(body)["state"]), (200, "other_credential"))
        status, body = self.http("GET", f"/admin/check?domain={LEGACY}&label={self.legacy['subdomain']}",
                                 token=ADMIN_TOKEN)
        self.assertEqual((status, json.loads(body)["state"]), (200, "delegated"))
        self.assertEqual(self.http("GET", f"/admin/check?domain={DELEGATED}")[0], 401)
        self.assertEqual(self.http("GET", f"/admin/check?domain={DELEGATED}", token="wrong")[0], 401)
        status, body = self.http("GET", "/admin/check?domain=unknown.example.test", token=ADMIN_TOKEN)
        self.assertEqual((status, json.loads(body)["error"]), (404, "not_found"))
        status, body = self.http("GET", "/admin/check", token=ADMIN_TOKEN)
        self.assertEqual((status, json.loads(body)["error"]), (400, "bad_request"))
        self.assertEqual(self.http("POST", f"/admin/check?domain={DELEGATED}", token=ADMIN_TOKEN)[0], 405)


if __name__ == "__main__":
    h.main()
