#!/usr/bin/env python3
"""`acmezone config check FILE`: a good file prints its effective settings as TOML (defaults
filled in, secrets redacted) and exits 0; a bad key or value exits 2 naming the key; every
shipped file in config/ is accepted and every key it sets is printed. The shipped systemd unit:
`systemd-analyze verify` (when installed), and its ExecStart/ExecReload command lines run
against the real binary."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import tomllib
import unittest
from pathlib import Path

import harness as h

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
SHIPPED = sorted(CONFIG_DIR.glob("*.toml"))
UNIT = CONFIG_DIR / "acmezone.service"
TSIG_SECRET = "c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MDEyMzQ="
TOKEN_SHA = "5f" * 32


def check(path) -> subprocess.CompletedProcess:
    return subprocess.run([h.BINARY, "config", "check", str(path)], capture_output=True, text=True,
                          timeout=h.SUBPROCESS_TIMEOUT)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def leaves(table: dict, prefix: str = "") -> set:
    """Every key path of a TOML document; arrays of tables as "key[]" plus their fields."""
    out = set()
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out |= leaves(value, path)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                out |= leaves(item, path + "[]")
        else:
            out.add(path)
    return out


class ConfigCheck(unittest.TestCase):
    def write(self, tmp: Path, text: str) -> Path:
        path = tmp / "acmezone.toml"
        path.write_text(text)
        return path

    def test_good_file_prints_effective_settings(self):
        with h.server_files({"log": {"level": "debug"}}) as server:
            with open(server.config_path, "a") as f:
                f.write(f'\n[[dns.tsig_keys]]\nname = "ops-key"\nsecret = "{TSIG_SECRET}"\nzone = true\n')
            p = check(server.config_path)
            self.assertEqual(p.returncode, 0, p.stderr)
            settings = tomllib.loads(p.stdout)
            # As configured, normalised...
            self.assertEqual(settings["zone"]["name"], h.ZONE + ".")
            self.assertEqual(settings["dns"]["listen"], [f"{h.HOST}:{server.port}"])
            self.assertEqual(settings["log"]["level"], "debug")
            self.assertIn("mixed.acme.example.test. 3600 IN A 127.0.0.2".lower(),
                          [r.lower() for r in settings["zone"]["records"]])
            # ... and defaults filled in for what the file leaves out.
            self.assertEqual(settings["zone"]["txt_max_age_seconds"], 0)
            self.assertEqual(settings["dns"]["update"]["fudge_seconds"], 300)
            self.assertEqual(settings["api"]["enabled"], False)
            self.assertEqual(settings["limits"]["update_rate"], 10)
            self.assertEqual(settings["credentials"]["default_scheme"], "reverse")
            self.assertEqual(settings["server"], {"user": "", "group": ""})
            for section in ("zone", "dns", "api", "store", "log", "check", "limits", "credentials", "audit", "server"):
                self.assertIn(section, settings)
            # Secrets never printed.
            self.assertEqual(settings["dns"]["tsig_keys"][0]["secret"], "<redacted>")
            self.assertNotIn(TSIG_SECRET, p.stdout + p.stderr)

    def test_secrets_redacted(self):
        with h.server_files({"api": {"listen": [f"{h.HOST}:{h.free_port()}"]}}) as server:
            with open(server.config_path, "a") as f:
                f.write(f'\n[[api.admin_tokens]]\nname = "ops"\nsha256 = "{TOKEN_SHA}"\n'
                        f'\n[[dns.tsig_keys]]\nname = "k1"\nalgorithm = "hmac-sha512"\nsecret = "{TSIG_SECRET}"\n'
                        'names = ["_acme-challenge.intranet"]\n')
            p = check(server.config_path)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn(TOKEN_SHA, p.stdout)
            self.assertNotIn(TSIG_SECRET, p.stdout)
            settings = tomllib.loads(p.stdout)
            self.assertEqual(settings["api"]["admin_tokens"], [{"name": "ops", "sha256": "<redacted>"}])
            key = settings["dns"]["tsig_keys"][0]
            self.assertEqual((key["name"], key["algorithm"], key["secret"], key["names"]),
                             ("k1.", "hmac-sha512", "<redacted>", ["_acme-challenge.intranet"]))

    def test_bad_key_and_bad_value_name_the_key(self):
        cases = {
            "dns.lisen": {"dns": {"lisen": ["127.0.0.1:53"]}},
            "log.modules.http": {"log": {"modules": {"http": "warn"}}},
            "server.uid": {"server": {"uid": 0}},
            "zone.soa.ttl": {"zone": {"soa": {"ttl": -1}}},
            "log.format": {"log": {"format": "xml"}},
            "log.modules.dns": {"log": {"modules": {"dns": "loud"}}},
            "server.user": {"server": {"user": "bad name"}},
            "dns.listen": {"dns": {"listen": ["127.0.0.1:99999"]}},
        }
        for key, overrides in cases.items():
            with self.subTest(key=key), h.server_files(overrides) as server:
                p = check(server.config_path)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stderr, rf"^config error: [^\n]*{re.escape(key)}", p.stderr)
                self.assertEqual(p.stdout, "")

    def test_missing_file_and_not_toml(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = check(Path(tmp) / "nope.toml")
            self.assertEqual(p.returncode, 2)
            self.assertIn("nope.toml", p.stderr)
            p = check(self.write(Path(tmp), "[zone\nname = "))
            self.assertEqual(p.returncode, 2)
            self.assertIn("config error", p.stderr)
        p = subprocess.run([h.BINARY, "config", "check"], capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(p.returncode, 2)

    def test_every_shipped_config_is_accepted_and_fully_printed(self):
        self.assertTrue(SHIPPED, f"no config files in {CONFIG_DIR}")
        for path in SHIPPED:
            with self.subTest(file=path.name):
                p = check(path)
                self.assertEqual(p.returncode, 0, p.stderr)
                printed = leaves(tomllib.loads(p.stdout))
                written = leaves(tomllib.loads(path.read_text()))
                # Every key a shipped file sets shows in the effective settings (a new option
                # that config_print forgets fails here).
                self.assertEqual(written - printed, set())

    def test_production_config(self):
        p = check(CONFIG_DIR / "acmezone.production.toml")
        self.assertEqual(p.returncode, 0, p.stderr)
        settings = tomllib.loads(p.stdout)
        self.assertEqual(settings["dns"]["listen"], ["0.0.0.0:53", "[::]:53"])
        self.assertEqual(settings["store"]["path"], "/var/lib/acmezone")
        self.assertEqual(settings["server"], {"user": "acmezone", "group": "acmezone"})
        self.assertEqual(settings["log"]["format"], "json")


def unit_sections(text: str) -> dict:
    """systemd unit syntax: [Section] then Key=Value lines (a key may repeat)."""
    sections: dict = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        m = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if m:
            current = sections.setdefault(m.group(1), {})
            continue
        m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)=(.*)", line)
        if m is None or current is None:
            raise AssertionError(f"not a unit line: {raw!r}")
        current.setdefault(m.group(1), []).append(m.group(2))
    return sections


class SystemdUnit(unittest.TestCase):
    def setUp(self):
        self.unit = unit_sections(UNIT.read_text())
        self.service = self.unit["Service"]

    def test_hardening_keys(self):
        want = {
            "User": "acmezone", "DynamicUser": "no", "StateDirectory": "acmezone",
            "AmbientCapabilities": "CAP_NET_BIND_SERVICE", "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
            "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
            "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
            "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
            "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "MemoryDenyWriteExecute": "yes",
            "LockPersonality": "yes", "ReadWritePaths": "/var/lib/acmezone", "Restart": "on-failure",
            "ExecReload": "/bin/kill -HUP $MAINPID",
        }
        for key, value in want.items():
            with self.subTest(key=key):
                self.assertIn(value, self.service.get(key, []))
        self.assertIn("@system-service", self.service["SystemCallFilter"])
        # The state directory is the production config's store.
        prod = tomllib.loads((CONFIG_DIR / "acmezone.production.toml").read_text())
        self.assertEqual(prod["store"]["path"], "/var/lib/" + self.service["StateDirectory"][0])

    def test_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            # verify wants ExecStart's program to exist: point it at the binary under test.
            text = UNIT.read_text().replace("/usr/local/bin/acmezone", os.path.abspath(h.BINARY))
            path = Path(tmp) / "acmezone.service"
            path.write_text(text)
            p = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True,
                               timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
            problems = [line for line in (p.stdout + p.stderr).splitlines()
                        if "acmezone.service" in line and "Failed to resolve user" not in line]
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(problems, [], p.stdout + p.stderr)

    def test_exec_lines_match_the_real_cli(self):
        """ExecStart as written (binary and config path swapped for the test's) starts the
        server; ExecReload's signal reloads it; SIGTERM (KillSignal) stops it with exit 0."""
        argv = shlex.split(self.service["ExecStart"][0])
        self.assertEqual(argv[0], "/usr/local/bin/acmezone")
        self.assertEqual(argv[1:3], ["serve", "--config"])
        self.assertEqual(self.service.get("KillSignal", ["SIGTERM"]), ["SIGTERM"])
        with h.server_files() as server:
            argv = [h.BINARY, *argv[1:]]
            argv[argv.index("--config") + 1] = str(server.config_path)
            log = open(server.log_path, "wb")
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
                server.proc = proc
                wait_for(lambda: "event=ready" in server.log() or proc.poll() is not None, 10, "ready")
                self.assertIsNone(proc.poll(), server.log())
                self.assertTrue(server.answers_soa())
                proc.send_signal(signal.SIGHUP)  # ExecReload
                wait_for(lambda: "event=reloaded" in server.log(), 10, "reloaded")
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=15), 0, server.log())
            finally:
                log.close()


if __name__ == "__main__":
    h.main()
