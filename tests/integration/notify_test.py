"""NOTIFY (RFC 1996) to real secondaries and the propagation check. Knot and NSD run as
secondaries of acmezone (same set-up as transfer_test) and accept NOTIFY from the primary signed
with the transfer key (Knot: acl action notify; NSD: allow-notify). The zone's SOA refresh and
retry are 3600 s, and nothing here calls knotc zone-refresh or nsd-control: only NOTIFY can
explain a secondary catching up. Checks: a burst of REST and RFC 2136 updates converges on both;
GET /admin/propagation and `acmezone propagation` report all caught up, and not caught up while
NSD is stopped; /update?wait_propagation=1 answers "propagated": true; the time from a 200 on
/update to the TXT being served by both secondaries (median and p99, printed). bench/propagation
runs the same measurement over a few hundred updates.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

import harness as h
from transfer_test import JOURNAL_MAX, Knot, Nsd, UPDATE_KEY, UPDATE_SECRET, XFR_SECRET, axfr_rows, challenge, run, soa_serial, wait_for

ADMIN_TOKEN = "notify-test-admin-token-0123456789abcdef"
LATENCY_UPDATES = int(os.environ.get("ACMEZONE_PROPAGATION_UPDATES", "50"))
POLL_INTERVAL = 0.005  # seconds between TXT polls while measuring


def percentile(values: list, p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def txt_values(port: int, name: str, timeout: float = 0.5) -> list:
    try:
        reply = h.exchange(port, h.make_query(name, h.TXT), "udp", timeout)
    except AssertionError:
        return []
    return sorted(b"".join(rr.data).decode() for rr in reply.answer if rr.type == h.TXT)


class Deployment:
    """acmezone with [dns.notify] targets Knot and NSD (signed with the transfer key), SOA
    refresh 3600 s, and an admin token for /admin/propagation."""

    def __init__(self, stack: contextlib.ExitStack, nsd_reload_timeout: int | None = None):
        self.api_port = h.free_port()
        self.server = stack.enter_context(h.server_files({
            "zone": {"soa": {"serial_policy": "unixtime", "refresh": 3600, "retry": 3600},
                     "journal": {"max_entries": 4096}},
            "dns": {"transfer": {"allow": ["127.0.0.1/32"], "keys": ["xfr-key"]}},
            "api": {"listen": [f"127.0.0.1:{self.api_port}"], "registration": "open"},
            "limits": {"update_rate": 100000, "update_burst": 100000},
        }))
        self.knot = Knot(self.server.tmp, self.server.port)
        self.nsd = Nsd(self.server.tmp, self.server.port)
        # NSD's response rate limiting would drop the measurement's polls (200 qps by default);
        # it reloads at most once a second by default (xfrd-reload-timeout).
        extra = "    rrl-ratelimit: 0\n"
        if nsd_reload_timeout is not None:
            extra += f"    xfrd-reload-timeout: {nsd_reload_timeout}\n"
        self.nsd.conf.write_text(self.nsd.conf.read_text().replace("    verbosity: 2\n", "    verbosity: 2\n" + extra))
        stack.callback(self.knot.stop)
        stack.callback(self.nsd.stop)
        config = h.merge(self.server.config, {
            "dns": {"notify": {"targets": [f"{h.HOST}:{self.knot.port} key xfr-key", f"{h.HOST}:{self.nsd.port} key xfr-key"],
                               "initial_interval_ms": 250}},
            "propagation": {"timeout_ms": 1000, "wait_timeout_ms": 10000},
        })
        sha = hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()
        self.extra = (f'\n[[dns.transfer_keys]]\nname = "xfr-key"\nsecret = "{XFR_SECRET}"\n'
                      f'\n[[dns.tsig_keys]]\nname = "zone-key"\nsecret = "{UPDATE_SECRET}"\nzone = true\n'
                      f'\n[[api.admin_tokens]]\nname = "ops"\nsha256 = "{sha}"\n')
        self.server.config_path.write_text(h.to_toml(config) + self.extra)
        self.server.start()
        self.port = self.server.port
        self.knot.start()
        self.nsd.start()

    def stop(self) -> int:
        self.knot.stop()
        self.nsd.stop()
        return self.server.stop()

    # -- REST ---------------------------------------------------------------------------------
    def register(self) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/register", data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def update(self, account: dict, value: str, query: str = "") -> tuple[int, dict]:
        body = json.dumps({"subdomain": account["subdomain"], "txt": value}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/update{query}", data=body, method="POST",
                                     headers={"X-Api-User": account["username"], "X-Api-Key": account["password"],
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())

    def admin_propagation(self, label: str) -> tuple[int, dict]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}/admin/propagation?label={label}",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def cli_propagation(self, label: str) -> subprocess.CompletedProcess:
        return run([h.BINARY, "propagation", "--config", str(self.server.config_path), "--label", label, "--json"], timeout=30)

    def nsupdate(self, commands: list) -> subprocess.CompletedProcess:
        script = f"server {h.HOST} {self.port}\nzone {h.ZONE}\n" + "\n".join(commands) + "\nsend\n"
        return run(["nsupdate", "-t", "5", "-y", UPDATE_KEY], input=script)

    def wait_converged(self, timeout: float = 30.0) -> int:
        """Both secondaries serve the primary's serial and records, with no refresh asked for."""
        serial = soa_serial(self.port)
        want = axfr_rows(self.port, f"hmac-sha256:xfr-key:{XFR_SECRET}")[1]
        for secondary in (self.knot, self.nsd):
            wait_for(lambda: soa_serial(secondary.port) == serial and axfr_rows(secondary.port)[1] == want,
                     f"{type(secondary).__name__} to reach serial {serial} by NOTIFY\n{secondary.log()}", timeout)
        return serial

    def measure(self, updates: int) -> dict:
        """Seconds from a 200 on /update to the new TXT being served: by Knot, by NSD, by both."""
        account = self.register()
        name = f"{account['subdomain']}.{h.ZONE}"
        out = {"knot": [], "nsd": [], "both": []}
        ports = {"knot": self.knot.port, "nsd": self.nsd.port}
        for i in range(updates):
            value = challenge(900000 + i)
            status, _ = self.update(account, value)
            assert status == 200
            t0 = time.monotonic()
            pending = dict(ports)
            deadline = t0 + 30
            while pending:
                for who, port in list(pending.items()):
                    if value in txt_values(port, name):
                        out[who].append(time.monotonic() - t0)
                        del pending[who]
                if not pending:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"update {i}: not served by {sorted(pending)} after 30 s")
                time.sleep(POLL_INTERVAL)
            out["both"].append(time.monotonic() - t0)
        return out


def latency_summary(latencies: dict) -> str:
    lines = []
    for who in ("knot", "nsd", "both"):
        ms = [x * 1000 for x in latencies[who]]
        lines.append(f"update-to-{who} latency over {len(ms)} updates: median {statistics.median(ms):.1f} ms, "
                     f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms")
    return "\n".join(lines)


@unittest.skipUnless(shutil.which("knotd") and shutil.which("nsd"), "knotd and nsd are needed (scripts/install-deps.sh)")
class NotifyToSecondaries(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls._stack = contextlib.ExitStack()
        try:
            cls.d = Deployment(cls._stack)
        except BaseException:
            cls._stack.close()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            code = cls.d.stop()
            if code != 0:
                raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{cls.d.server.log()}")
        finally:
            cls._stack.close()

    def test_1_burst_converges_by_notify_alone(self):
        self.d.wait_converged()
        accounts = [self.d.register() for _ in range(3)]
        for i in range(9):
            status, _ = self.d.update(accounts[i % 3], challenge(100 + i))
            self.assertEqual(status, 200)
        for i in range(6):
            proc = self.d.nsupdate([f'update add burst{i}.{h.ZONE} 60 TXT "{challenge(200 + i)}"'])
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        serial = self.d.wait_converged()
        self.assertIn((f"burst5.{h.ZONE}.", "TXT", f'"{challenge(205)}"'), axfr_rows(self.d.knot.port)[1])
        # The secondaries were told (their logs name the NOTIFY), and fetched differences.
        self.assertIn("notify", self.d.knot.log().lower())
        self.assertIn("notify", self.d.nsd.log().lower())
        self.assertIn("event=transfer kind=ixfr_diff", self.d.server.log())
        self.assertEqual(soa_serial(self.d.nsd.port), serial)
        # Both answered every signed NOTIFY with an answer signed by the same key (RFC 8945 §5.3).
        self.assertNotIn("event=notify_unverified", self.d.server.log())

    def test_2_propagation_reports_all_caught_up(self):
        account = self.d.register()
        status, _ = self.d.update(account, challenge(400))
        self.assertEqual(status, 200)
        self.d.wait_converged()
        status, report = self.d.admin_propagation(account["subdomain"])
        self.assertEqual(status, 200, report)
        self.assertTrue(report["all_caught_up"], report)
        self.assertEqual(report["serial"], soa_serial(self.d.port))
        self.assertEqual(report["label"], f"{account['subdomain']}.{h.ZONE}.")
        self.assertEqual(report["txt"], [challenge(400)])
        self.assertEqual(sorted(ns["address"] for ns in report["nameservers"]),
                         sorted([f"{h.HOST}:{self.d.knot.port}", f"{h.HOST}:{self.d.nsd.port}"]))
        for ns in report["nameservers"]:
            self.assertEqual(ns, {"address": ns["address"], "serial": report["serial"], "caught_up": True,
                                  "txt": [challenge(400)], "matches": True, "error": None})
        proc = self.d.cli_propagation(account["subdomain"])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertTrue(json.loads(proc.stdout)["all_caught_up"])
        # Without the admin token: 403; a label outside the zone: 400.
        req = urllib.request.Request(f"http://127.0.0.1:{self.d.api_port}/admin/propagation?label=x")
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(caught.exception.code, 401)
        status, _ = self.d.admin_propagation("elsewhere.example.org.")
        self.assertEqual(status, 400)

    def test_3_not_caught_up_while_a_secondary_is_stopped(self):
        self.d.wait_converged()
        account = self.d.register()
        self.d.nsd.stop()
        try:
            status, body = self.d.update(account, challenge(500), "?wait_propagation=1")
            self.assertEqual(status, 200)
            self.assertIs(body["propagated"], False)  # bounded wait, then 200 anyway: the update is durable
            status, report = self.d.admin_propagation(account["subdomain"])
            self.assertEqual(status, 200)
            self.assertFalse(report["all_caught_up"], report)
            by_address = {ns["address"]: ns for ns in report["nameservers"]}
            nsd = by_address[f"{h.HOST}:{self.d.nsd.port}"]
            self.assertFalse(nsd["caught_up"])
            self.assertIsNotNone(nsd["error"])
            self.assertTrue(by_address[f"{h.HOST}:{self.d.knot.port}"]["caught_up"])
            proc = self.d.cli_propagation(account["subdomain"])
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertFalse(json.loads(proc.stdout)["all_caught_up"])
        finally:
            self.d.nsd.start()
        # NSD asks the primary itself when it starts again; the next update is NOTIFY-driven.
        status, body = self.d.update(account, challenge(501), "?wait_propagation=1")
        self.assertEqual(status, 200)
        self.assertIs(body["propagated"], True, self.d.server.log()[-3000:])
        self.d.wait_converged()

    def test_4_wait_propagation_and_plain_update_shapes(self):
        account = self.d.register()
        status, body = self.d.update(account, challenge(600), "?wait_propagation=1")
        self.assertEqual((status, body), (200, {"txt": challenge(600), "propagated": True}))
        # Served by both the moment the answer came.
        for port in (self.d.knot.port, self.d.nsd.port):
            self.assertIn(challenge(600), txt_values(port, f"{account['subdomain']}.{h.ZONE}"))
        status, body = self.d.update(account, challenge(601))
        self.assertEqual((status, body), (200, {"txt": challenge(601)}))  # acme-dns's shape, unchanged
        # The admin API's TXT deletion waits the same way.
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.d.api_port}/admin/labels/{account['subdomain']}/txt?wait_propagation=1",
            method="DELETE", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = json.loads(r.read())
        self.assertEqual(body, {"label": account["subdomain"], "deleted": True, "propagated": True})
        for port in (self.d.knot.port, self.d.nsd.port):
            self.assertEqual(txt_values(port, f"{account['subdomain']}.{h.ZONE}"), [])

    def test_5_update_to_secondary_latency(self):
        self.d.wait_converged()
        latencies = self.d.measure(LATENCY_UPDATES)
        summary = latency_summary(latencies)
        print("\n" + summary, file=sys.stderr)
        # NOTIFY -> IXFR on loopback: well under a second for Knot (dns-standards §4.6); NSD
        # batches its reloads (xfrd-reload-timeout, 1 s by default). Never the 3600 s refresh timer.
        self.assertLess(statistics.median(latencies["knot"]), 1.0, summary)
        self.assertLess(statistics.median(latencies["both"]), 2.5, summary)
        self.assertLess(max(latencies["both"]), 15.0, summary)

    def test_6_notify_at_start_up(self):
        """What was written while the server was down reaches the secondaries when it starts."""
        self.d.wait_converged()
        self.assertEqual(self.d.server.stop(), 0, self.d.server.log())
        label = "written-while-down"
        proc = run([h.BINARY, "record", "add", "--config", str(self.d.server.config_path), label, challenge(700)])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.d.server.start()
        # The secondaries' refresh timer is 3600 s: only the start-up NOTIFY explains this.
        serial = self.d.wait_converged()
        for port in (self.d.knot.port, self.d.nsd.port):
            self.assertIn(challenge(700), txt_values(port, f"{label}.{h.ZONE}"))
            self.assertEqual(soa_serial(port), serial)


if __name__ == "__main__":
    h.main()
