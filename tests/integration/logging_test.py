#!/usr/bin/env python3
"""The server log, in text and in JSON lines: every update (REST and RFC 2136) and every admin
action is logged with the credential, the label(s) and the client address; no secret ever is
(admin token, passwords from issue/rotate/register, X-Api-Key values, wrong keys and tokens,
TSIG secrets from the config and from credentials): the test runs all of them with known values
and greps the whole log. In JSON mode every line must parse with json.loads."""

import base64
import contextlib
import json
import re
import subprocess
import time
import unittest

import harness as h
from api_test import curl

ZONE_KEY_SECRET = base64.b64encode(b"logging-test-zone-key-secret-123").decode()
WRONG_KEY = "WrongApiKey-0123456789abcdefghijklmnopqrst"
BAD_TOKEN = "BadAdminToken-0123456789abcdefghijklmnop"
CONTROL_VALUE = "a\nevent=forged line\x01"


def start(server: h.Server, ready_marker: str) -> None:
    """Server.start with a readiness marker for either log format."""
    server._log = open(server.log_path, "wb")
    server.proc = subprocess.Popen([server.binary, "serve", "--config", str(server.config_path)],
                                   stdin=subprocess.DEVNULL, stdout=server._log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"acmezone exited early with {server.proc.returncode}:\n{server.log()}")
        if ready_marker in server.log() and server.answers_soa(timeout=0.2):
            return
        time.sleep(0.02)
    server.kill()
    raise AssertionError(f"acmezone not ready:\n{server.log()}")


def parse_text_line(line: str) -> dict:
    """'<time> <level> <module> event=x k=v k="quoted"' -> fields (the same split as the JSON sink)."""
    m = re.match(r"^(\S+) (\S+) (\S+) (.*)$", line)
    assert m, f"not a log line: {line!r}"
    fields = {"ts": m.group(1), "level": m.group(2), "module": m.group(3)}
    for key, quoted, plain in re.findall(r'([A-Za-z0-9_.-]+)=(?:"((?:[^"]|"(?! [A-Za-z0-9_.-]+=))*)"|(\S*))', m.group(4)):
        fields.setdefault(key, quoted if quoted else plain)
    return fields


class LoggingCase:
    """The scenario, run once per format by the subclasses below."""

    log_format = "text"

    def test_actions_are_logged_with_who_what_where_and_no_secret(self):
        token_out = subprocess.run([h.BINARY, "token", "new", "--name", "ops"], capture_output=True, text=True,
                                   timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(token_out.returncode, 0, token_out.stderr)
        token = re.search(r"^token: (\S+)$", token_out.stdout, re.M).group(1)
        sha = re.search(r'^sha256 = "([0-9a-f]{64})"$', token_out.stdout, re.M).group(1)
        api_port = h.free_port()
        secrets = [token, WRONG_KEY, BAD_TOKEN, ZONE_KEY_SECRET]
        overrides = {"api": {"listen": [f"127.0.0.1:{api_port}"], "registration": "token"},
                     "log": {"format": self.log_format, "level": "info"}}
        with h.server_files(overrides) as server:
            with open(server.config_path, "a") as f:
                f.write(f'\n[[api.admin_tokens]]\nname = "ops"\nsha256 = "{sha}"\n'
                        f'\n[[dns.tsig_keys]]\nname = "zone-key"\nsecret = "{ZONE_KEY_SECRET}"\nzone = true\n')
            start(server, "event=ready" if self.log_format == "text" else '"event":"ready"')
            base = f"http://127.0.0.1:{api_port}"

            def admin(method, path, body=None, bearer=token):
                headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
                return curl(base + path, method=method, data=None if body is None else json.dumps(body), headers=headers)

            def rest_update(user, key, subdomain, value):
                return curl(base + "/update", data=json.dumps({"subdomain": subdomain, "txt": value}),
                            headers={"X-Api-User": user, "X-Api-Key": key, "Content-Type": "application/json"})

            # Admin API: issue, then every action on the credential.
            r = admin("POST", "/admin/credentials", {"domains": ["www.example.com"], "scheme": "reverse"})
            self.assertEqual(r.status, 201, r.body)
            issued = r.json()
            secrets += [issued["password"], issued["tsig"]["secret"]]
            user, label = issued["username"], issued["subdomain"]
            value = h.acme_value(1)
            self.assertEqual(rest_update(user, issued["password"], label, value).status, 200)
            self.assertEqual(rest_update(user, WRONG_KEY, label, value).status, 401)
            # RFC 2136 with the credential's key and with the config's zone key.
            for key_name, secret, name in ((issued["tsig"]["name"], issued["tsig"]["secret"], h.fqdn(label)),
                                           ("zone-key", ZONE_KEY_SECRET, h.fqdn("zk-label"))):
                script = (f"server {h.HOST} {server.port}\nzone {h.ZONE}\nupdate add {name} 60 TXT \"{h.acme_value(2)}\"\n"
                          "send\n")
                p = subprocess.run(["nsupdate", "-y", f"hmac-sha256:{key_name}:{secret}"], input=script,
                                   capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            r = admin("POST", f"/admin/credentials/{user}/rotate", {"tsig": True})
            self.assertEqual(r.status, 200, r.body)
            secrets += [r.json()["password"], r.json()["tsig"]["secret"]]
            for op in ("disable", "enable"):
                self.assertEqual(admin("POST", f"/admin/credentials/{user}/{op}").status, 200)
            self.assertEqual(admin("GET", f"/admin/credentials/{user}").status, 200)
            self.assertEqual(admin("GET", "/admin/credentials").status, 200)
            self.assertEqual(admin("GET", "/admin/audit?limit=5").status, 200)
            self.assertEqual(admin("DELETE", f"/admin/labels/{label}/txt").status, 200)
            self.assertEqual(admin("GET", "/admin/credentials", bearer=BAD_TOKEN).status, 401)
            # /register with a domain, and the CLI issuing (its output is not the server's log).
            r = admin("POST", "/register", {"domain": "reg.example.org"})
            self.assertEqual(r.status, 201, r.body)
            secrets.append(r.json()["password"])
            registered = r.json()
            cli = server.cli("credential", "issue", "--domain", "cli.example.net", "--json")
            secrets += [json.loads(cli.stdout)["password"], json.loads(cli.stdout)["tsig"]["secret"]]
            # A value with control characters cannot forge a log line.
            self.assertIn(rest_update(registered["username"], registered["password"], CONTROL_VALUE, h.acme_value(3)).status,
                          (400, 401))
            self.assertEqual(admin("DELETE", f"/admin/credentials/{user}").status, 200)
            code = server.stop()
            self.assertEqual(code, 0, server.log())

            raw = server.log_path.read_bytes()
            text = raw.decode("utf-8")  # the log is valid UTF-8
            for secret in secrets:
                self.assertNotIn(secret, text, "a secret is in the log")
                self.assertNotIn(secret.encode(), raw)
            lines = [line for line in text.splitlines() if line]
            self.assertGreater(len(lines), 20)
            if self.log_format == "json":
                records = [json.loads(line) for line in lines]  # every line parses
                for rec in records:
                    self.assertTrue({"ts", "level", "module", "event"} <= set(rec), rec)
                    self.assertTrue(all(isinstance(v, str) for v in rec.values()), rec)
            else:
                records = [parse_text_line(line) for line in lines]

            def find(event, **fields):
                found = [r for r in records if r.get("event") == event and all(r.get(k) == v for k, v in fields.items())]
                self.assertTrue(found, f"no {event} {fields} line in:\n{text[-4000:]}")
                return found

            find("update", account=user, subdomain=label, client="127.0.0.1", outcome="ok")
            find("update", account=user, client="127.0.0.1", outcome="forbidden")
            applied = find("update_applied", actor=user, names=label)
            self.assertIn("127.0.0.1", applied[0]["source"])
            self.assertIn("127.0.0.1", find("update_applied", actor="tsig:zone-key.", names="zk-label")[0]["source"])
            find("admin_issue", actor="ops", client="127.0.0.1", account=user, labels=label, outcome="ok")
            for event in ("admin_rotate", "admin_disable", "admin_enable", "admin_show", "admin_revoke"):
                find(event, actor="ops", client="127.0.0.1", account=user, labels=label, outcome="ok")
            find("admin_list", actor="ops", client="127.0.0.1", outcome="ok")
            find("admin_audit", actor="ops", client="127.0.0.1", outcome="ok")
            find("admin_delete_txt", actor="ops", client="127.0.0.1", label=label, outcome="ok")
            find("admin_auth", client="127.0.0.1", outcome="forbidden")
            find("register", account=registered["username"], subdomain=registered["subdomain"], client="127.0.0.1",
                 outcome="ok")
            # The label a credential tried outside its scope is named (escaped: no forged line).
            tried = find("update", account=registered["username"], client="127.0.0.1", reason="other_subdomain")[0]
            self.assertTrue(tried["subdomain"].startswith("a\nevent=forged" if self.log_format == "json" else "a\\nevent=forged"),
                            tried)
            self.assertEqual([r for r in records if r.get("event") == "forged"], [])


class TextLog(LoggingCase, unittest.TestCase):
    log_format = "text"


class JsonLog(LoggingCase, unittest.TestCase):
    log_format = "json"


if __name__ == "__main__":
    h.main()
