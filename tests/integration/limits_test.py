#!/usr/bin/env python3
"""[limits] on the REST API of the real binary, driven with curl: a credential that posts more
/update requests than its bucket holds gets 429 {"error": "rate_limited"} with Retry-After while
another credential is unaffected, the bucket refills, a [[limits.override]] gives one credential
its own budget, and a source address that keeps failing authentication is refused with 429
(other addresses are not)."""

import contextlib
import json
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import harness as h

CURL_TIMEOUT = 10
RATE, BURST, AUTH_FAILURES = 1, 3, 5
RATE_LIMITED = '{"error": "rate_limited"}'


def curl(url: str, *, data: str = "", headers: dict | None = None) -> tuple[int, dict, str]:
    with tempfile.NamedTemporaryFile() as head:
        cmd = ["curl", "-sS", "--max-time", str(CURL_TIMEOUT), "-X", "POST", "-D", head.name, "-o", "-",
               "-w", "\n%{http_code}", "--data-binary", data]
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        p = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=CURL_TIMEOUT + 5)
        if p.returncode != 0:
            raise AssertionError(f"curl failed ({p.returncode}): {p.stderr}")
        parsed = {}
        for line in Path(head.name).read_text(errors="replace").splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                parsed[k.strip().lower()] = v.strip()
        body, _, status = p.stdout.rpartition("\n")
        return int(status), parsed, body


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = contextlib.ExitStack()
        cls.api_port = h.free_port()
        cls.server = cls.stack.enter_context(h.server_files({
            "api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "open",
                    "trusted_proxies": ["127.0.0.1/32"]},
            "limits": {"update_rate": RATE, "update_burst": BURST, "auth_failures_per_minute": AUTH_FAILURES},
        }))
        cls.server.start()
        cls.base = f"http://127.0.0.1:{cls.api_port}"
        cls.seed = 0

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.stack.close()
        if code != 0:
            raise AssertionError(f"acmezone exited {code}")

    def register(self) -> dict:
        status, _, body = curl(self.base + "/register")
        self.assertEqual(status, 201, body)
        return json.loads(body)

    def update(self, account: dict, *, key: str | None = None, client: str | None = None) -> tuple[int, dict, str]:
        type(self).seed += 1
        headers = {"X-Api-User": account["username"], "X-Api-Key": key or account["password"]}
        if client:
            headers["X-Forwarded-For"] = client
        body = json.dumps({"subdomain": account["subdomain"], "txt": h.acme_value(self.seed)})
        return curl(self.base + "/update", data=body, headers=headers)

    def restart_with(self, extra_toml: str) -> None:
        self.assertEqual(self.server.stop(), 0)
        with open(self.server.config_path, "a") as f:
            f.write("\n" + extra_toml)
        self.server.start()

    def test_a_burst_over_the_limit_gets_429_and_others_are_unaffected(self):
        noisy, quiet = self.register(), self.register()
        statuses = [self.update(noisy)[0] for _ in range(BURST)]
        self.assertEqual(statuses, [200] * BURST)
        status, headers, body = self.update(noisy)
        refused_value = h.acme_value(type(self).seed)
        self.assertEqual((status, body), (429, RATE_LIMITED))
        self.assertEqual(headers.get("retry-after"), "1")  # one token at 1/s, rounded up
        self.assertEqual(headers.get("content-type"), "application/json")
        # Another credential has its own bucket.
        self.assertEqual(self.update(quiet)[0], 200)
        # The refused request wrote nothing.
        served = h.dig(self.server.port, f"{noisy['subdomain']}.{h.ZONE}", "TXT").rows("ANSWER", "TXT")
        self.assertNotIn(f'"{refused_value}"', [row[-1] for row in served])

        # The bucket refills at RATE per second: a later attempt goes through.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            status = self.update(noisy)[0]
            if status == 200:
                break
            self.assertEqual(status, 429)
            time.sleep(0.25)
        self.assertEqual(status, 200, "the bucket never refilled")

    def test_override_gives_one_credential_its_own_budget(self):
        generous, ordinary = self.register(), self.register()
        self.restart_with(f'[[limits.override]]\nusername = "{generous["username"]}"\nrate = 100\nburst = 10\n')
        self.assertEqual([self.update(generous)[0] for _ in range(10)], [200] * 10)
        self.assertEqual([self.update(ordinary)[0] for _ in range(BURST + 1)], [200] * BURST + [429])

    def test_failed_authentications_block_the_source_address(self):
        account = self.register()
        attacker, bystander = "192.0.2.66", "192.0.2.77"
        for _ in range(AUTH_FAILURES):
            status, _, body = self.update(account, key="W" * 40, client=attacker)
            self.assertEqual((status, body), (401, '{"error": "forbidden"}'))
        # Budget spent: even the right key from that address waits.
        status, headers, body = self.update(account, client=attacker)
        self.assertEqual((status, body), (429, RATE_LIMITED))
        self.assertEqual(headers.get("retry-after"), "12")  # one failure per 60/5 s
        # The credential itself and other addresses are not locked out.
        self.assertEqual(self.update(account, client=bystander)[0], 200)
        self.assertIn("outcome=rate_limited reason=auth_failures", self.server.log())
        # Each failure is in the audit log with its source; the rate-limited tries add none.
        proc = self.server.cli("audit", "--json", "--limit", "10000", "--kind", "update_auth_failure")
        events = [e for e in json.loads(proc.stdout)["events"] if e["source"] == "api:" + attacker]
        self.assertEqual(len(events), AUTH_FAILURES)
        self.assertTrue(all(e["actor"] == account["username"] and e["outcome"] == "forbidden" for e in events), events)
        self.assertTrue(all(e["detail"] == "wrong_key" for e in events), events)

    def test_bad_limits_config_is_refused(self):
        with h.server_files({"limits": {"update_burst": 0}}) as server:
            p = subprocess.run([h.BINARY, "serve", "--config", str(server.config_path)], capture_output=True,
                               text=True, timeout=h.SUBPROCESS_TIMEOUT)
            self.assertEqual(p.returncode, 2)
            self.assertIn("limits.update_burst", p.stderr)


if __name__ == "__main__":
    h.main()
