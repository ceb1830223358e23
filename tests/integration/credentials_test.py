#!/usr/bin/env python3
"""Credentials for admins, end to end on the real binary: issue through the CLI and the admin
API (the same JSON), list/show/rotate/disable/enable/revoke, the scope of each credential at
/update, conflicts and --replace, admin token failures, the audit log through `acmezone audit`
and GET /admin/audit, /register with a domain in token mode, and deleting a label's TXT
values. DNS answers are checked with dig."""

import base64
import contextlib
import json
import re
import subprocess
import unittest

import harness as h
from api_test import curl

CNAME_RE = re.compile(r"^_acme-challenge\.(\S+)\. CNAME (\S+)\.$")
ISSUE_KEYS = {"username", "password", "subdomain", "fulldomain", "allowfrom", "cname", "tsig", "disabled",
              "created_at", "last_used_at", "names", "notes"}


class CredentialsCase(h.ServerTestCase):
    token = ""
    server: h.Server

    @classmethod
    def setUpClass(cls) -> None:
        p = subprocess.run([h.BINARY, "token", "new", "--name", "ops"], capture_output=True, text=True,
                           timeout=h.SUBPROCESS_TIMEOUT)
        assert p.returncode == 0, p.stderr
        cls.token = re.search(r"^token: (\S+)$", p.stdout, re.M).group(1)
        sha = re.search(r'^sha256 = "([0-9a-f]{64})"$', p.stdout, re.M).group(1)
        cls.api_port = h.free_port()
        cls._stack = contextlib.ExitStack()
        cls.server = cls._stack.enter_context(h.server_files(
            {"api": {"listen": [f"127.0.0.1:{cls.api_port}"], "registration": "token"}}))
        with open(cls.server.config_path, "a") as f:
            f.write(f'\n[[api.admin_tokens]]\nname = "ops"\nsha256 = "{sha}"\n'
                    '\n[credentials]\ndefault_scheme = "reverse"\n\n[audit]\nretention_days = 90\n')
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

    # -- helpers ------------------------------------------------------------------------------
    def admin(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"Authorization": "Bearer " + (self.token if token is None else token)}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return curl(self.base + path, method=method, data=None if body is None else json.dumps(body), headers=headers)

    def cli_json(self, *args: str, check: bool = True):
        proc = self.server.cli(*args, "--json", check=check)
        return proc, (json.loads(proc.stdout) if proc.returncode == 0 else None)

    def cli_issue(self, *domains: str, scheme: str = "reverse", extra: tuple = ()) -> dict:
        args = ["credential", "issue"]
        for d in domains:
            args += ["--domain", d]
        _, out = self.cli_json(*args, "--scheme", scheme, *extra)
        return out

    def update(self, cred: dict, value: str, subdomain: str | None = None, password: str | None = None):
        body = json.dumps({"subdomain": subdomain or cred["subdomain"], "txt": value})
        return curl(self.base + "/update", data=body, headers={
            "X-Api-User": cred["username"], "X-Api-Key": password or cred["password"], "Content-Type": "application/json"})

    def txt(self, subdomain: str) -> list:
        res = h.dig(self.port, f"{subdomain}.{h.ZONE}", "TXT")
        return sorted(row[-1].strip('"') for row in res.rows("ANSWER", "TXT"))

    def audit(self, *args: str) -> list:
        # `audit` is one word: harness.cli puts --config after the first two arguments.
        proc = self.server.cli("audit", "--json", "--limit", "10000", *args)
        return json.loads(proc.stdout)["events"]

    def check_issue_shape(self, out: dict, names: list) -> None:
        self.assertEqual(set(out), ISSUE_KEYS)
        self.assertRegex(out["username"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertRegex(out["password"], r"^[A-Za-z0-9_-]{40}$")
        self.assertEqual(len(out["names"]), len(names))
        self.assertEqual([n["domain"] for n in out["names"]], names)
        first = out["names"][0]
        self.assertEqual((out["subdomain"], out["fulldomain"], out["cname"]),
                         (first["subdomain"], first["fulldomain"], first["cname"]))
        for n in out["names"]:
            self.assertEqual(n["fulldomain"], f"{n['subdomain']}.{h.ZONE}")
            self.assertEqual(n["cname"], f"_acme-challenge.{n['domain']}. CNAME {n['fulldomain']}.")
        tsig = out["tsig"]
        self.assertEqual(tsig["name"], f"{out['subdomain']}.{h.ZONE}.")
        self.assertEqual(tsig["algorithm"], "hmac-sha256")
        self.assertEqual(len(base64.b64decode(tsig["secret"])), 32)

    # -- tests --------------------------------------------------------------------------------
    def test_issue_through_cli_and_api_gives_the_same_json(self):
        cli = self.cli_issue("www.example.com")
        self.check_issue_shape(cli, ["www.example.com"])
        self.assertEqual(cli["subdomain"], "com-example-www")
        self.assertEqual(cli["cname"], "_acme-challenge.www.example.com. CNAME com-example-www.acme.example.test.")
        self.assertEqual(cli["names"][0]["scheme"], "reverse")

        r = self.admin("POST", "/admin/credentials",
                       {"domains": ["A.Example.org.", "xn--bcher-kva.example.org"], "scheme": "reverse",
                        "allowfrom": ["127.0.0.0/8"]})
        self.assertEqual(r.status, 201, r.body)
        api = r.json()
        self.check_issue_shape(api, ["a.example.org", "xn--bcher-kva.example.org"])
        self.assertEqual([n["subdomain"] for n in api["names"]], ["org-example-a", "org-example-xn----bcher--kva"])
        self.assertEqual(api["allowfrom"], ["127.0.0.0/8"])
        # Every name of the credential works at /update; each value shows in DNS.
        for i, n in enumerate(api["names"]):
            value = h.acme_value(100 + i)
            self.assertEqual(self.update(api, value, subdomain=n["subdomain"]).status, 200)
            self.assertEqual(self.txt(n["subdomain"]), [value])

        # hash and uuid through the API; a bad scheme and bad names are 400 with codes.
        r = self.admin("POST", "/admin/credentials", {"domain": "h.example.org", "scheme": "hash"})
        self.assertEqual(r.status, 201, r.body)
        self.assertRegex(r.json()["subdomain"], r"^[a-z2-7]{32}$")
        for body, code in (({"domain": "x.example.org", "scheme": "nope"}, "invalid_scheme"),
                           ({"domain": "bad_name.example.org"}, "invalid_domain"),
                           ({"domain": "single"}, "invalid_domain"),
                           ({}, "invalid_domain"),
                           ({"domain": "y.example.org", "allowfrom": ["10.0.0.1"]}, "invalid_allowfrom_cidr")):
            r = self.admin("POST", "/admin/credentials", body)
            self.assertEqual((r.status, r.json()["error"]), (400, code), body)
            self.assertIn("message", r.json())
        p = self.server.cli("credential", "issue", "--domain", "bad_name.example.org", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("letters, digits", p.stderr)

    def test_lifecycle_scope_rotate_disable_enable_revoke(self):
        a = self.cli_issue("shop.example.net")
        b = self.cli_issue("blog.example.net")
        v = [h.acme_value(i) for i in range(10)]
        self.assertEqual(self.update(a, v[0]).status, 200)
        self.assertEqual(self.txt("net-example-shop"), [v[0]])
        # A credential cannot write another's label.
        r = self.update(a, v[1], subdomain=b["subdomain"])
        self.assertEqual((r.status, r.body), (401, '{"error": "forbidden"}'))
        self.assertEqual(self.txt(b["subdomain"]), [])

        # list / show, CLI and API; never a secret.
        _, listed = self.cli_json("credential", "list", "--name", "example.net")
        users = {c["username"] for c in listed["credentials"]}
        self.assertTrue({a["username"], b["username"]} <= users)
        r = self.admin("GET", "/admin/credentials?name=shop.example.net")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([c["username"] for c in r.json()["credentials"]], [a["username"]])
        self.assertNotIn("password", r.body)
        self.assertNotIn("secret", r.body)
        _, shown = self.cli_json("credential", "show", a["username"])
        self.assertIsNotNone(shown["last_used_at"])  # the update above was recorded
        r = self.admin("GET", f"/admin/credentials/{a['username']}")
        self.assertEqual(r.json(), shown)
        r = self.admin("GET", "/admin/credentials?unused_since=1d")
        self.assertIn(b["username"], [c["username"] for c in r.json()["credentials"]])
        self.assertNotIn(a["username"], [c["username"] for c in r.json()["credentials"]])
        table = self.server.cli("credential", "list").stdout
        self.assertIn("shop.example.net -> net-example-shop", table)

        # Rotate (CLI): the old secret stops at once, the new one works.
        _, rotated = self.cli_json("credential", "rotate", a["username"])
        self.assertNotEqual(rotated["password"], a["password"])
        self.assertEqual(self.update(a, v[2]).status, 401)
        self.assertEqual(self.update(a, v[2], password=rotated["password"]).status, 200)
        # Rotate (API) with a new TSIG secret.
        r = self.admin("POST", f"/admin/credentials/{a['username']}/rotate", {"tsig": True})
        self.assertEqual(r.status, 200, r.body)
        again = r.json()
        self.assertNotEqual(again["tsig"]["secret"], a["tsig"]["secret"])
        self.assertEqual(self.update(a, v[3], password=rotated["password"]).status, 401)
        a["password"] = again["password"]

        # Disable (API) -> 401; enable (CLI) -> works again.
        r = self.admin("POST", f"/admin/credentials/{a['username']}/disable")
        self.assertEqual((r.status, r.json()["disabled"]), (200, True))
        self.assertEqual(self.update(a, v[4]).status, 401)
        _, enabled = self.cli_json("credential", "enable", a["username"])
        self.assertFalse(enabled["disabled"])
        self.assertEqual(self.update(a, v[5]).status, 200)
        self.assertTrue(self.txt("net-example-shop"))
        # And the other way round: disable (CLI) -> 401; enable (API) -> works again.
        _, disabled = self.cli_json("credential", "disable", a["username"])
        self.assertTrue(disabled["disabled"])
        self.assertEqual(self.update(a, v[4]).status, 401)
        r = self.admin("POST", f"/admin/credentials/{a['username']}/enable")
        self.assertEqual((r.status, r.json()["disabled"]), (200, False))
        self.assertEqual(self.update(a, v[4]).status, 200)

        # Revoke (API): labels' TXT gone from DNS, /update 401, show 404.
        r = self.admin("DELETE", f"/admin/credentials/{a['username']}")
        self.assertEqual((r.status, r.json()), (200, {"revoked": a["username"]}))
        self.assertEqual(self.txt("net-example-shop"), [])
        self.assertEqual(self.update(a, v[6]).status, 401)
        r = self.admin("GET", f"/admin/credentials/{a['username']}")
        self.assertEqual((r.status, r.json()["error"]), (404, "credential_not_found"))
        # Revoke (CLI) of the other one.
        self.assertEqual(self.update(b, v[7]).status, 200)
        self.server.cli("credential", "revoke", b["username"])
        self.assertEqual(self.txt(b["subdomain"]), [])
        self.assertEqual(self.server.cli("credential", "revoke", b["username"], check=False).returncode, 1)

        # The audit shows each step, with its actor.
        kinds = [(e["kind"], e["actor"]) for e in self.audit("--label", "net-example-shop")]
        for step in (("issue", "cli"), ("update", a["username"]), ("rotate", "cli"), ("rotate", "ops"),
                     ("disable", "ops"), ("enable", "cli"), ("revoke", "ops"), ("update", "ops")):
            self.assertIn(step, kinds)

    def test_conflict_and_replace(self):
        first = self.cli_issue("app.example.io")
        p = self.server.cli("credential", "issue", "--domain", "app.example.io", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("already has credential", p.stderr)
        r = self.admin("POST", "/admin/credentials", {"domain": "APP.example.io", "scheme": "uuid"})
        self.assertEqual((r.status, r.json()["error"]), (409, "conflict"))
        self.assertEqual(self.update(first, h.acme_value(20)).status, 200)

        second = self.cli_issue("app.example.io", extra=("--replace",))
        self.assertEqual(second["subdomain"], "io-example-app")
        self.assertEqual(self.txt("io-example-app"), [])  # the old values went with the old owner
        self.assertEqual(self.update(first, h.acme_value(21)).status, 401)
        self.assertEqual(self.update(second, h.acme_value(22)).status, 200)
        r = self.admin("GET", f"/admin/credentials/{first['username']}")
        self.assertEqual(r.status, 404)  # it had no other name

    def test_admin_token_failures_are_401_and_audited(self):
        for token in ("wrong", ""):
            r = self.admin("GET", "/admin/credentials", token=token)
            self.assertEqual((r.status, r.json()["error"]), (401, "forbidden"))
        r = curl(self.base + "/admin/audit", method="GET")
        self.assertEqual(r.status, 401)
        failures = self.audit("--kind", "admin_auth_failure")
        self.assertGreaterEqual(len(failures), 3)
        self.assertTrue(all(e["source"].startswith("api:127.0.0.1") for e in failures))
        self.assertNotIn("wrong", json.dumps(failures))  # the token presented is never recorded
        # GET /admin/audit pages with a cursor.
        r = self.admin("GET", "/admin/audit?kind=admin_auth_failure&limit=1")
        self.assertEqual(r.status, 200, r.body)
        page = r.json()
        self.assertEqual(len(page["events"]), 1)
        self.assertIsNotNone(page["next"])
        r = self.admin("GET", f"/admin/audit?kind=admin_auth_failure&limit=1&after={page['next']}")
        self.assertNotEqual(r.json()["events"][0]["cursor"], page["events"][0]["cursor"])
        self.assertEqual(self.admin("GET", "/admin/audit?limit=0").status, 400)
        self.assertEqual(self.admin("PUT", "/admin/credentials").status, 405)
        self.assertEqual(self.admin("GET", "/admin/nothing").status, 404)

    def test_register_with_domain_in_token_mode(self):
        r = curl(self.base + "/register", data=json.dumps({"domain": "portal.example.edu", "scheme": "reverse"}),
                 headers={"Authorization": "Bearer " + self.token})
        self.assertEqual(r.status, 201, r.body)
        account = r.json()
        self.assertEqual(list(account), ["username", "password", "fulldomain", "subdomain", "allowfrom"])
        self.assertEqual(account["subdomain"], "edu-example-portal")
        self.assertEqual(self.update(account, h.acme_value(30)).status, 200)
        r = curl(self.base + "/register", data=json.dumps({"domain": "portal.example.edu"}),
                 headers={"Authorization": "Bearer " + self.token})
        self.assertEqual((r.status, r.json()["error"]), (409, "conflict"))
        r = curl(self.base + "/register", data=json.dumps({"domain": "x.example.edu", "scheme": "rot13"}),
                 headers={"Authorization": "Bearer " + self.token})
        self.assertEqual((r.status, r.json()["error"]), (400, "invalid_scheme"))
        self.assertIn(("register", "ops"), [(e["kind"], e["actor"]) for e in self.audit("--label", "edu-example-portal")])

    def test_delete_txt_of_a_label(self):
        c = self.cli_issue("mx.example.co")
        self.assertEqual(self.update(c, h.acme_value(40)).status, 200)
        r = self.admin("DELETE", f"/admin/labels/{c['subdomain']}/txt")
        self.assertEqual((r.status, r.json()), (200, {"label": c["subdomain"], "deleted": True}))
        self.assertEqual(self.txt(c["subdomain"]), [])
        r = self.admin("DELETE", "/admin/labels/Mixed/txt")  # a static record's owner
        self.assertEqual((r.status, r.json()["error"]), (403, "reserved_label"))
        self.assertIn("delete_txt", [e["kind"] for e in self.audit("--actor", "ops", "--label", c["subdomain"])])


if __name__ == "__main__":
    h.main()
