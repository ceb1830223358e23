#!/usr/bin/env python3
"""The acme-dns compatible REST API of the real binary, driven with curl: every status code and
error body byte for byte, case-insensitive JSON keys, the two-value rotation seen with dig,
allowfrom and X-Forwarded-For, registration modes, base path, limits, and TLS with a
throwaway certificate reloaded on SIGHUP."""

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
import unittest
from pathlib import Path

import harness as h
from harness import TXT

CURL_TIMEOUT = 10  # seconds, for every curl call


class Reply:
    def __init__(self, status: int, headers: dict, body: str):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def curl(url: str, *, method: str = "POST", data: str | None = None, headers: dict | None = None,
         extra: tuple = ()) -> Reply:
    """One request with curl; returns the status, the headers (lower-case names) and the body."""
    with tempfile.NamedTemporaryFile() as head, tempfile.NamedTemporaryFile() as body:
        cmd = ["curl", "-sS", "--max-time", str(CURL_TIMEOUT), "-X", method, "-D", head.name, "-o", body.name,
               "-w", "%{http_code}", *extra]
        for name, value in (headers or {}).items():
            cmd += ["-H", f"{name}: {value}"]
        if data is not None:
            cmd += ["--data-binary", data]
        cmd.append(url)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=CURL_TIMEOUT + 5)
        if p.returncode != 0:
            raise AssertionError(f"curl failed ({p.returncode}): {p.stderr}")
        parsed = {}
        for line in Path(head.name).read_text(errors="replace").splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                parsed[k.strip().lower()] = v.strip()
        return Reply(int(p.stdout), parsed, Path(body.name).read_text(errors="replace"))


REGISTER_SHAPE = re.compile(
    r'^\{"username":"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})",'
    r'"password":"([A-Za-z0-9_-]{40})",'
    r'"fulldomain":"([0-9a-f-]{36})\.' + re.escape(h.ZONE) + r'",'
    r'"subdomain":"([0-9a-f-]{36})",'
    r'"allowfrom":\[(.*)\]\}$')

FORBIDDEN = '{"error": "forbidden"}'


class ApiServerCase(h.ServerTestCase):
    """A server with the API on a free loopback port; `api` holds the [api] overrides and
    `extra_toml` raw lines appended to the config (the harness writes no arrays of tables)."""

    api: dict = {}
    extra_toml: str = ""
    server: h.Server

    @classmethod
    def setUpClass(cls) -> None:
        cls.api_port = h.free_port()
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(
            h.server_files({"api": {"listen": [f"127.0.0.1:{cls.api_port}"], **cls.api}}))
        if cls.extra_toml:
            with open(cls.server.config_path, "a") as f:
                f.write("\n" + cls.extra_toml)
        cls.server.start()
        cls.port = cls.server.port
        cls.base = f"http://127.0.0.1:{cls.api_port}"

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            code = cls.server.stop()
            if code != 0:
                raise AssertionError(f"acmezone exited {code} after SIGTERM:\n{cls.server.log()}")
        finally:
            cls._stack.close()

    def register(self, body: str | None = None, path: str = "/register", headers: dict | None = None) -> dict:
        r = curl(self.base + path, data=body, headers=headers)
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.headers.get("content-type"), "application/json")
        self.assertRegex(r.body, REGISTER_SHAPE)
        return r.json()

    def update(self, account: dict, txt: str, *, keys=("subdomain", "txt"), subdomain: str | None = None,
               headers: dict | None = None, key: str | None = None) -> Reply:
        body = json.dumps({keys[0]: subdomain if subdomain is not None else account["subdomain"], keys[1]: txt})
        all_headers = {"X-Api-User": account["username"], "X-Api-Key": key or account["password"],
                       "Content-Type": "application/json", **(headers or {})}
        return curl(self.base + "/update", data=body, headers=all_headers)

    def txt_values(self, subdomain: str) -> list:
        res = h.dig(self.port, f"{subdomain}.{h.ZONE}", "TXT")
        return sorted(row[-1].strip('"') for row in res.rows("ANSWER", "TXT"))


class OpenRegistration(ApiServerCase):
    api = {"registration": "open"}

    def test_register_reply_is_acme_dns_shaped(self):
        for path in ("/register", "//register", "/register/"):
            account = self.register(path=path)
            self.assertNotEqual(account["username"], account["subdomain"])
            self.assertEqual(account["allowfrom"], [])
        r = curl(self.base + "/register", data='{"AllowFrom":["[::1]/128","192.168.100.1/24"]}')
        self.assertEqual(r.status, 201)
        self.assertTrue(r.body.endswith('"allowfrom":["::1/128","192.168.100.1/24"]}'), r.body)

    def test_register_errors(self):
        cases = [("{", 400, '{"error": "malformed_json_payload"}'),
                 ('{"allowfrom":"10.0.0.0/8"}', 400, '{"error": "malformed_json_payload"}'),
                 ('{"allowfrom":["10.0.0.1"]}', 400, '{"error": "invalid_allowfrom_cidr"}'),
                 ('{"allowfrom":["10.0.0.0/8",""]}', 400, '{"error": "invalid_allowfrom_cidr"}')]
        for body, status, expected in cases:
            r = curl(self.base + "/register", data=body)
            self.assertEqual((r.status, r.body), (status, expected), body)
            self.assertEqual(r.headers.get("content-type"), "application/json")

    def test_update_and_two_value_rotation(self):
        account = self.register()
        values = [h.acme_value(i) for i in (1, 2, 3)]
        # Go clients send capitalised keys.
        r = self.update(account, values[0], keys=("SubDomain", "Txt"))
        self.assertEqual((r.status, r.body), (200, '{"txt": "%s"}' % values[0]))
        self.assertEqual(r.headers.get("content-type"), "application/json")
        self.assertEqual(self.txt_values(account["subdomain"]), [values[0]])  # a 200 means served
        self.assertEqual(self.update(account, values[1]).status, 200)
        self.assertEqual(self.txt_values(account["subdomain"]), sorted(values[:2]))
        self.assertEqual(self.update(account, values[2], keys=("SUBDOMAIN", "TXT")).status, 200)
        self.assertEqual(self.txt_values(account["subdomain"]), sorted(values[1:]))  # the oldest is gone
        res = h.dig(self.port, f"{account['subdomain']}.{h.ZONE}", "TXT")
        self.assertTrue(all(int(row[1]) == h.TXT_TTL for row in res.rows("ANSWER", "TXT")))

    def test_update_forbidden_and_validation(self):
        account = self.register()
        other = self.register()
        good = h.acme_value(7)
        cases = [
            ("wrong key", dict(key="A" * 40), FORBIDDEN),
            ("short key", dict(key="A" * 39), FORBIDDEN),
            ("other account's subdomain", dict(subdomain=other["subdomain"]), FORBIDDEN),
            ("subdomain case differs", dict(subdomain=account["subdomain"].upper()), FORBIDDEN),
        ]
        for what, kwargs, expected in cases:
            r = self.update(account, good, **kwargs)
            self.assertEqual((r.status, r.body), (401, expected), what)
        unknown = dict(account, username="00000000-0000-4000-8000-000000000000")
        self.assertEqual(self.update(unknown, good).body, FORBIDDEN)
        bad_user = dict(account, username="not-a-uuid")
        self.assertEqual(self.update(bad_user, good).status, 401)
        # Authentication comes first: a stranger with a bad value hears 401, not 400.
        self.assertEqual(self.update(account, "short", key="B" * 40).status, 401)
        r = self.update(account, "short")
        self.assertEqual((r.status, r.body), (400, '{"error": "bad_txt"}'))
        r = self.update(account, good + "=")
        self.assertEqual((r.status, r.body), (400, '{"error": "bad_txt"}'))
        # Malformed JSON leaves the subdomain empty: forbidden, as acme-dns.
        r = curl(self.base + "/update", data="{not json",
                 headers={"X-Api-User": account["username"], "X-Api-Key": account["password"]})
        self.assertEqual((r.status, r.body), (401, FORBIDDEN))
        # Only the first JSON value counts.
        body = json.dumps({"subdomain": account["subdomain"], "txt": good}) + " trailing bytes"
        r = curl(self.base + "/update", data=body,
                 headers={"X-Api-User": account["username"], "X-Api-Key": account["password"]})
        self.assertEqual(r.status, 200, r.body)

    def test_allowfrom_uses_the_tcp_peer(self):
        ten = self.register('{"allowfrom":["10.0.0.0/8"]}')
        local = self.register('{"allowfrom":["127.0.0.0/8"]}')
        value = h.acme_value(11)
        self.assertEqual(self.update(ten, value).body, FORBIDDEN)
        # No trusted proxies: a forged X-Forwarded-For changes nothing.
        self.assertEqual(self.update(ten, value, headers={"X-Forwarded-For": "10.1.2.3"}).status, 401)
        self.assertEqual(self.update(local, value).status, 200)

    def test_http_level_errors_are_json(self):
        r = curl(self.base + "/nothing", method="GET")
        self.assertEqual((r.status, r.body), (404, '{"error": "not_found"}'))
        r = curl(self.base + "/register", method="GET")
        self.assertEqual((r.status, r.body), (405, '{"error": "method_not_allowed"}'))
        self.assertIn("POST", r.headers.get("allow", ""))
        account = self.register()
        big = json.dumps({"subdomain": account["subdomain"], "txt": "x" * 70000})
        r = curl(self.base + "/update", data=big, headers={"X-Api-User": account["username"], "X-Api-Key": account["password"]})
        self.assertEqual((r.status, r.body), (413, '{"error": "payload_too_large"}'))
        self.assertEqual(r.headers.get("content-type"), "application/json")
        many = {f"X-Filler-{i}": "a" * 1000 for i in range(10)}  # 10 kB in all, each line short
        r = curl(self.base + "/update", data="{}", headers=many)
        self.assertEqual((r.status, r.body), (431, '{"error": "headers_too_large"}'))
        r = curl(self.base + "/update", data="{}", headers={"X-Filler": "a" * 9000})  # one line over the HTTP layer's limit
        self.assertEqual((r.status, r.body), (400, '{"error": "bad_request"}'))

    def test_health(self):
        r = curl(self.base + "/health", method="GET")
        self.assertEqual((r.status, r.body), (200, ""))

    def test_secrets_never_logged(self):
        account = self.register()
        self.assertEqual(self.update(account, h.acme_value(21)).status, 200)
        self.assertEqual(self.update(account, h.acme_value(22), key="C" * 40).status, 401)
        log = self.server.log_path.read_text(errors="replace")
        self.assertIn(f"event=update account={account['username']} subdomain={account['subdomain']} client=127.0.0.1 outcome=ok",
                      log)
        self.assertNotIn(account["password"], log)
        self.assertNotIn("C" * 40, log)
        for path in Path(self.server.store_path).iterdir():  # only hashes are stored
            self.assertNotIn(account["password"].encode(), path.read_bytes(), path)


class TokenRegistrationWithBasePath(ApiServerCase):
    token = ""

    @classmethod
    def setUpClass(cls) -> None:
        p = subprocess.run([h.BINARY, "token", "new", "--name", "ops"], capture_output=True, text=True,
                           timeout=h.SUBPROCESS_TIMEOUT)
        assert p.returncode == 0, p.stderr
        cls.token = re.search(r"^token: (\S+)$", p.stdout, re.M).group(1)
        sha = re.search(r'^sha256 = "([0-9a-f]{64})"$', p.stdout, re.M).group(1)
        cls.api = {"registration": "token", "base_path": "/acme-dns/"}
        cls.extra_toml = f'[[api.admin_tokens]]\nname = "ops"\nsha256 = "{sha}"\n'
        super().setUpClass()

    def test_token_required(self):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + self.token}):
            r = curl(self.base + "/acme-dns/register", headers=headers)
            self.assertEqual((r.status, r.body), (401, FORBIDDEN), headers)
        account = self.register(path="/acme-dns/register", headers={"Authorization": "Bearer " + self.token})
        self.assertNotIn(self.token, self.server.log_path.read_text(errors="replace"))
        r = curl(self.base + "/acme-dns//update/", data=json.dumps({"subdomain": account["subdomain"], "txt": h.acme_value(3)}),
                 headers={"X-Api-User": account["username"], "X-Api-Key": account["password"]})
        self.assertEqual(r.status, 200, r.body)
        r = curl(self.base + "/register", headers={"Authorization": "Bearer " + self.token})
        self.assertEqual((r.status, r.body), (404, '{"error": "not_found"}'))


class RegistrationOff(ApiServerCase):
    api = {"registration": "off"}

    def test_off(self):
        r = curl(self.base + "/register")
        self.assertEqual((r.status, r.body), (404, '{"error": "registration_disabled"}'))
        self.assertEqual(r.headers.get("content-type"), "application/json")


class TrustedProxy(ApiServerCase):
    api = {"registration": "open", "trusted_proxies": ["127.0.0.1/32"]}

    def test_right_most_untrusted_hop(self):
        ten = self.register('{"allowfrom":["10.0.0.0/8"]}')
        value = h.acme_value(5)
        self.assertEqual(self.update(ten, value, headers={"X-Forwarded-For": "10.1.2.3"}).status, 200)
        # A client prepending an allowed address does not get in (acme-dns's bypass).
        self.assertEqual(self.update(ten, value, headers={"X-Forwarded-For": "10.1.2.3, 192.0.2.1"}).status, 401)
        self.assertEqual(self.update(ten, value).status, 401)  # the proxy itself is not in 10/8


def make_cert(folder: Path, name: str, serial: int) -> tuple:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-set_serial", str(serial)],
                   check=True, capture_output=True, timeout=h.SUBPROCESS_TIMEOUT)
    return cert, key


def served_serial(port: int) -> str:
    s = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost"],
                       input="", capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
    x = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=s.stdout, capture_output=True, text=True,
                       timeout=h.SUBPROCESS_TIMEOUT)
    return x.stdout.strip()


class Tls(ApiServerCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.certs = tempfile.TemporaryDirectory(prefix="acmezone-tls-")
        folder = Path(cls.certs.name)
        cls.cert, cls.key = folder / "api.pem", folder / "api.key"
        first_cert, first_key = make_cert(folder, "first", 4097)
        os.replace(first_cert, cls.cert)
        os.replace(first_key, cls.key)
        cls.folder = folder
        cls.api = {"registration": "open", "tls": "cert", "tls_cert": str(cls.cert), "tls_key": str(cls.key)}
        super().setUpClass()
        cls.base = f"https://127.0.0.1:{cls.api_port}"

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls.certs.cleanup()

    def https(self, path: str, cafile: Path, **kwargs) -> Reply:
        return curl(self.base + path, extra=("--cacert", str(cafile)), **kwargs)

    def test_https_and_reload_on_sighup(self):
        ca1 = self.folder / "ca1.pem"
        ca1.write_bytes(self.cert.read_bytes())
        self.assertEqual(self.https("/health", ca1, method="GET").status, 200)
        r = self.https("/register", ca1)
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(served_serial(self.api_port), "serial=1001")
        # TLS 1.1 is refused.
        p = subprocess.run(["curl", "-sS", "--max-time", str(CURL_TIMEOUT), "--cacert", str(ca1), "--tls-max", "1.1",
                            self.base + "/health"], capture_output=True, text=True, timeout=CURL_TIMEOUT + 5)
        self.assertNotEqual(p.returncode, 0)

        # A broken pair on SIGHUP: logged, the old certificate stays in use.
        self.cert.write_text("not a certificate\n")
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_until(lambda: "event=reload_failed" in self.server.log(), what="reload_failed in the log")
        self.assertTrue(self.server.alive())
        self.assertEqual(self.https("/health", ca1, method="GET").status, 200)

        # A new pair: served by new connections, the listener stays up.
        new_cert, new_key = make_cert(self.folder, "second", 8193)
        os.replace(new_key, self.key)
        os.replace(new_cert, self.cert)
        ca2 = self.folder / "ca2.pem"
        ca2.write_bytes(self.cert.read_bytes())
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_until(lambda: served_serial(self.api_port) == "serial=2001", timeout=10, what="the new certificate")
        self.assertEqual(self.https("/health", ca2, method="GET").status, 200)


class PlainHttpRefused(unittest.TestCase):
    def test_non_loopback_needs_tls_or_consent(self):
        with h.server_files({"api": {"listen": ["0.0.0.0:1"]}}) as server:
            p = subprocess.run([h.BINARY, "serve", "--config", str(server.config_path)], capture_output=True, text=True,
                               timeout=h.SUBPROCESS_TIMEOUT)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("api.listen[0]", p.stderr)
            self.assertIn("plain HTTP", p.stderr)


if __name__ == "__main__":
    h.main()
