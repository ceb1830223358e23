#!/usr/bin/env python3
"""README.md, run. Every shell block of the README is tagged (`<!-- test: NAME -->`) and named
in readme_plans.PLANS: either run here, as written, with only addresses, ports and paths moved
to loopback and a temporary folder (the substitutions below), or listed command by command with
the reason it cannot run here and what covers it instead (systemd, Docker, Kubernetes, a real
ACME CA). An untagged shell block, a command missing from its plan, or a plan whose block is
gone fails; so does an inline `acmezone ...` naming a command or option the binary lacks.

The operator walkthrough runs top-down against the real binary: the README's production config
with a "public DNS" (unbound, authoritative for the parent zone made from the README's
delegation snippet and for the customer's zone with the CNAME the README shows), a credential
issued and sent as shown, `acmezone check`, the REST and RFC 2136 self-tests, the certbot hook,
credential management, an acme-dns import, an mdb_copy backup taken while updates run (then
served by a second server), the restore, and monitoring. Data blocks (TOML, YAML, zone files,
certbot's ini, the Caddyfile) are parsed and checked against the rest.

Blocks after a `<!-- pending: FEATURE -->` marker document features other changes are adding:
while the marker stays, such a block may fail (reported on stderr, not fatal); once the marker is
removed it must pass.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import unittest
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

import deploy_support as ds
import harness as h
import import_test
import readme_blocks as rb
from readme_plans import PLANS, Data, Elsewhere, Run

README = ds.REPO / "README.md"
ENFORCED = ("acmezone ", "build/acmezone ", "scripts/", "curl ", "dig ", "nsupdate ", "mdb_copy ")
ZONE = "acme.example.net"
CUSTOMER = "www.example.com"
LABEL = f"com-example-www.{ZONE}"
BLOCK_TIMEOUT = 90
HTTP_TIMEOUT = 10

# Which test runs which Run block (the coverage test checks this covers every Run plan).
RUN_BY = {
    "QuickStart": ("quickstart-dig", "quickstart-records", "quickstart-token", "quickstart-rest"),
    "OperatorWalkthrough": ("install", "config-check", "delegation-check", "setcap", "issue", "send", "check",
                            "selftest", "certbot-hook", "manage", "import", "backup", "restore", "monitoring"),
    "ReadmeStatic": ("ctest",),
}


@dataclass
class Context:
    """Where README blocks run: the working folder, the environment, and what to rewrite."""
    cwd: Path
    env: dict
    subs: dict = field(default_factory=dict)

    def apply(self, text: str) -> str:
        """Every substitution at once (longest first), so a replacement is never rewritten."""
        if not self.subs:
            return text
        pattern = re.compile("|".join(re.escape(k) for k in sorted(self.subs, key=len, reverse=True)))
        return pattern.sub(lambda m: self.subs[m.group(0)], text)


def split_digs(output: str) -> list:
    """Several dig outputs printed one after another, parsed one by one."""
    parts = re.split(r"(?m)^(?=; <<>> DiG )", output)
    return [h.parse_client_output(p, 0) for p in parts if p.startswith("; <<>> DiG")]


def txt_values(port: int, name: str) -> set:
    return {row[-1].strip('"') for row in h.dig(port, name, "TXT").rows("ANSWER", "TXT")}


def rest_update(api_port: int, username: str, password: str, subdomain: str, txt: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{api_port}/update", method="POST",
        data=json.dumps({"subdomain": subdomain, "txt": txt}).encode(),
        headers={"X-Api-User": username, "X-Api-Key": password, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def zone_file(origin: str, records: str) -> str:
    """A zone `origin` with its SOA and NS, plus `records` (zone-file text)."""
    return (f"$ORIGIN {origin}.\n$TTL 60\n@ SOA ns.{origin}. hostmaster.{origin}. 1 300 60 86400 60\n"
            f"@ NS ns.{origin}.\nns A 198.51.100.1\n{records}")


def unbound_config(tmp: Path, port: int, zones: dict) -> str:
    text = (f'server:\n  interface: 127.0.0.1\n  port: {port}\n  do-ip6: no\n  do-daemonize: no\n'
            f'  username: ""\n  chroot: ""\n  directory: "{tmp}"\n  pidfile: ""\n  use-syslog: no\n'
            f'  logfile: ""\n  verbosity: 1\n  access-control: 127.0.0.0/8 allow\n  module-config: "iterator"\n')
    for name, path in zones.items():
        # Authoritative only, as the parent's and the customer's name servers on the Internet are.
        text += f'auth-zone:\n  name: "{name}."\n  zonefile: "{path}"\n  for-downstream: yes\n  for-upstream: no\n'
    return text


class ReadmeCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.all_blocks, cls.inline, cls.features = rb.parse(README.read_text())
        cls.blocks = {b.tag: b for b in cls.all_blocks if b.tag}
        cls.ran = {}

    def block(self, tag: str) -> rb.Block:
        self.assertIn(tag, self.blocks, f"README has no block tagged {tag}")
        return self.blocks[tag]

    def shown(self, tag: str, prefix: str) -> list:
        """The output the README shows (comment lines) under the command starting with prefix."""
        hits = [c for c in self.block(tag).commands if c.key.startswith(prefix)]
        self.assertEqual(len(hits), 1, f"block {tag}: expected one command starting with {prefix!r}")
        return hits[0].shown

    def run_block(self, tag: str, ctx: Context, *, env: dict | None = None, as_script: bool = False):
        """Runs the block's commands (minus its plan's skipped ones) with bash -euo pipefail, or the
        block as an executable file. Returns the finished process, or None when a block under a
        pending marker failed (reported on stderr)."""
        block, plan = self.block(tag), PLANS[tag]
        self.assertIsInstance(plan, Run, tag)
        cwd = ds.REPO if plan.cwd == "repo" else ctx.cwd
        if as_script:
            script = ctx.cwd / f"readme-{tag}.sh"
            script.write_text(ctx.apply(block.text))
            script.chmod(0o700)
            cmd = [str(script)]
        else:
            text = "\n".join(c.text for c in block.commands if c.key not in plan.skip)
            cmd = ["bash", "-euo", "pipefail", "-c", ctx.apply(text)]
        p = subprocess.run(cmd, cwd=cwd, env={**ctx.env, **(env or {})}, capture_output=True, text=True,
                           timeout=BLOCK_TIMEOUT)
        if p.returncode != 0 and block.pending:
            sys.stderr.write(f"\nREADME block {tag} is marked pending: {block.pending} and fails (exit "
                             f"{p.returncode}); not fatal while the marker stays:\n"
                             f"{p.stdout[-1200:]}{p.stderr[-1200:]}\n")
            self.ran[tag] = f"pending: {block.pending}"
            return None
        self.assertEqual(p.returncode, 0, f"README block {tag} (line {block.line}) failed:\n--- stdout\n{p.stdout}"
                                          f"\n--- stderr\n{p.stderr}")
        self.ran[tag] = "ok"
        return p

    def assert_ran(self, case: str) -> None:
        missing = [t for t in RUN_BY[case] if t not in self.ran]
        self.assertEqual(missing, [], f"README blocks {case} is responsible for but did not run")

    def make_env(self, tmp: Path) -> dict:
        """PATH finds `acmezone` (the binary under test) first; HOME is private."""
        bindir, home = tmp / "bin", tmp / "home"
        bindir.mkdir(exist_ok=True)
        home.mkdir(exist_ok=True)
        link = bindir / "acmezone"
        if not link.exists():
            link.symlink_to(Path(h.BINARY).resolve())
        return {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(home),
                "LC_ALL": "C.UTF-8"}


# -------------------------------------------------------------------------------------------------
class QuickStart(ReadmeCase):
    """The quick start's blocks against config/acmezone.toml as shipped (ports moved), served from a
    folder laid out like the repository (build/acmezone, config/acmezone.toml, data/)."""

    def test_quick_start(self):
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-readme-qs-")))
            dns_port, api_port = h.free_port(), h.free_port()
            (tmp / "build").mkdir()
            (tmp / "build" / "acmezone").symlink_to(Path(h.BINARY).resolve())
            (tmp / "config").mkdir()
            config = tmp / "config" / "acmezone.toml"
            text = (ds.REPO / "config" / "acmezone.toml").read_text()
            text = ds.rewrite(text, 'listen = ["127.0.0.1:5353"]', f'listen = ["127.0.0.1:{dns_port}"]')
            text = ds.rewrite(text, 'listen = ["127.0.0.1:8053"]', f'listen = ["127.0.0.1:{api_port}"]')
            config.write_text(text)
            ctx = Context(tmp, self.make_env(tmp), {"-p 5353": f"-p {dns_port}",
                                                    "127.0.0.1:8053": f"127.0.0.1:{api_port}"})
            # What scripts/run.sh ends in (`exec acmezone serve --config config/acmezone.toml`).
            server = ds.ServerProcess(h.BINARY, config, "acme.example.test", dns_port, tmp / "server.log", cwd=tmp)
            server.start()
            stack.callback(server.kill)
            self.assertTrue((tmp / "data").is_dir(), "the store should be data/ under the working folder")

            digs = split_digs(self.run_block("quickstart-dig", ctx).stdout)
            self.assertEqual([d.status for d in digs], ["NOERROR", "NXDOMAIN"])
            self.assertTrue(digs[0].rows("ANSWER", "SOA") and "aa" in digs[0].flags)

            out = self.run_block("quickstart-records", ctx).stdout
            for line in self.shown("quickstart-records", "build/acmezone record list"):
                self.assertIn(line, out)
            self.assertEqual(txt_values(dns_port, "mylabel.acme.example.test"), set(), "record del left the value")

            token_out = self.run_block("quickstart-token", ctx).stdout
            token = re.search(r"^token: (\S+)$", token_out, re.M).group(1)
            lines = token_out[token_out.index("[[api.admin_tokens]]"):]
            config.write_text(config.read_text() + "\n" + lines)  # "add the printed lines, restart"
            server.stop()
            server.start()

            ctx.subs["TOKEN=..."] = f"TOKEN={token}"
            out = self.run_block("quickstart-rest", ctx).stdout.splitlines()
            registered = json.loads(out[0])
            self.assertEqual(set(registered), {"username", "password", "fulldomain", "subdomain", "allowfrom"})
            self.assertEqual(out[1], self.shown("quickstart-rest", "curl -s -w '\\n' -H")[0])
            self.assertEqual(out[2:], self.shown("quickstart-rest", "dig "))
            server.stop(signal.SIGINT)  # "Stop it with Ctrl-C (exit status 0)"
        self.assert_ran("QuickStart")


# -------------------------------------------------------------------------------------------------
class OperatorWalkthrough(ReadmeCase):
    """"Running it for real" onwards, in the README's order, as one operator session."""

    def production_config(self, dns_port: int, api_port: int, resolver_port: int, store: Path) -> str:
        text = self.block("production-config").text
        listen = [f'"127.0.0.1:{dns_port}"'] + ([f'"[::1]:{dns_port}"'] if ds.ipv6_loopback_usable() else [])
        text = ds.rewrite(text, 'listen = ["192.0.2.53:53", "[2001:db8::53]:53"]', f"listen = [{', '.join(listen)}]")
        text = ds.rewrite(text, 'listen = ["127.0.0.1:8053"]', f'listen = ["127.0.0.1:{api_port}"]')
        text = ds.rewrite(text, 'resolver = "9.9.9.9:53"', f'resolver = "127.0.0.1:{resolver_port}"')
        return ds.rewrite(text, 'path = "/var/lib/acmezone/data"', f'path = "{store}"')

    def start_public_dns(self, stack: contextlib.ExitStack, tmp: Path) -> int:
        """unbound, authoritative for example.net (with the README's delegation) and example.com
        (with the CNAME the README says `credential issue` prints)."""
        unbound = shutil.which("unbound") or shutil.which("unbound", path="/usr/sbin:/sbin")
        self.assertIsNotNone(unbound, "unbound not found: run scripts/install-deps.sh")
        cname = self.shown("issue", "jq -r .cname")
        self.assertEqual(len(cname), 1)
        zones = {"example.net": tmp / "example.net.zone", "example.com": tmp / "example.com.zone"}
        zones["example.net"].write_text(zone_file("example.net", self.block("parent-zone").text))
        zones["example.com"].write_text(zone_file("example.com", cname[0] + "\n"))
        port = h.free_port()
        (tmp / "unbound.conf").write_text(unbound_config(tmp, port, zones))
        log = open(tmp / "unbound.log", "wb")
        stack.callback(log.close)
        proc = subprocess.Popen([unbound, "-d", "-c", str(tmp / "unbound.conf")], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)

        def stop():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        stack.callback(stop)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.assertIsNone(proc.poll(), (tmp / "unbound.log").read_text(errors="replace"))
            try:
                if h.exchange(port, h.make_query("example.com", h.SOA), "udp", 0.3).rcode == 0:
                    return port
            except (OSError, AssertionError, ValueError):
                pass
            time.sleep(0.05)
        self.fail("unbound did not answer within 20 s:\n" + (tmp / "unbound.log").read_text(errors="replace"))

    def issue_json(self, config: Path, domain: str) -> dict:
        p = subprocess.run([h.BINARY, "credential", "issue", "--config", str(config), "--domain", domain, "--json"],
                           capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def test_operator_walkthrough(self):
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-readme-ops-")))
            tmp.chmod(0o755)  # the setcap step runs a server as nobody from here
            dns, api = h.free_port(), h.free_port()
            public = self.start_public_dns(stack, tmp)
            etc = tmp / "etc" / "acmezone.toml"
            store = tmp / "var" / "lib" / "acmezone" / "data"
            backups = tmp / "backups"
            ops = tmp / "ops"
            installed = tmp / "usr-local-bin" / "acmezone"
            for d in (etc.parent, backups, ops, installed.parent):
                d.mkdir(parents=True)
            etc.write_text(self.production_config(dns, api, public, store))
            ctx = Context(ops, self.make_env(tmp), {
                "/etc/acmezone/acmezone.toml": str(etc),
                "/var/lib/acmezone/data": str(store),
                "/var/backups/acmezone": str(backups),
                "/var/lib/acme-dns/acme-dns.db": str(tmp / "acme-dns.db"),
                "/usr/local/bin/acmezone": str(installed),
                "build/acmezone": str(Path(h.BINARY).resolve()),
                "/etc/letsencrypt/acmedns.json": str(ops / "acmedns.json"),
                "https://acme-api.example.net": f"http://127.0.0.1:{api}",
                "http://127.0.0.1:8053": f"http://127.0.0.1:{api}",
                "@192.0.2.53": f"@127.0.0.1 -p {dns}",
                "server 192.0.2.53 53": f"server 127.0.0.1 {dns}",
                "@198.51.100.1": f"@127.0.0.1 -p {public}",
            })
            server = ds.ServerProcess(h.BINARY, etc, ZONE, dns, tmp / "server.log")
            server.start()
            stack.callback(server.kill)

            # 1-2. Build and install; configure.
            self.run_block("install", ctx)
            self.assertTrue(os.access(installed, os.X_OK))
            self.run_block("config-check", ctx)

            # 3. Delegation: the parent's referral carries the glue of our config; we answer with aa.
            referral, ours = split_digs(self.run_block("delegation-check", ctx).stdout)
            self.assertEqual(referral.status, "NOERROR")
            self.assertIn("ns1.acme.example.net.", [r[4] for r in referral.rows("AUTHORITY", "NS")])
            self.assertIn("192.0.2.53", [r[4] for r in referral.rows("ADDITIONAL", "A")])
            self.assertIn("aa", ours.flags)
            self.assertEqual(len(ours.rows("ANSWER", "SOA")), 1)

            # 4. Port 53 without root: the file capability on the installed copy.
            self.setcap_step(ctx, tmp, installed, public)

            # 5. A credential, what to send, the customer's CNAME checked, both front doors by hand.
            out = self.run_block("issue", ctx).stdout.splitlines()
            self.assertEqual(out, self.shown("issue", "jq -r .cname"))
            cred = json.loads((ops / "www.example.com.json").read_text())
            self.run_block("send", ctx)
            accounts = json.loads((ops / "acmedns.json").read_text())
            self.assertEqual(set(accounts), {CUSTOMER})
            self.assertEqual(accounts[CUSTOMER]["server_url"], f"http://127.0.0.1:{api}")
            self.assertEqual({k: accounts[CUSTOMER][k] for k in ("username", "password", "subdomain", "fulldomain")},
                             {k: cred[k] for k in ("username", "password", "subdomain", "fulldomain")})
            self.assertIn(f'key "{cred["tsig"]["name"]}"', (ops / "www.example.com.key").read_text())
            out = self.run_block("check", ctx).stdout.splitlines()
            self.assertEqual(out[:1], self.shown("check", "acmezone check"))
            out = self.run_block("selftest", ctx).stdout.splitlines()
            self.assertEqual(out[0], self.shown("selftest", "curl ")[0])
            self.assertEqual(set(out[1:]), set(self.shown("selftest", "dig ")))

            # The certbot hook, for the name and its wildcard, as certbot calls it.
            values = [h.acme_value(100), h.acme_value(101)]
            for domain, value in ((CUSTOMER, values[0]), (f"*.{CUSTOMER}", values[1])):
                self.run_block("certbot-hook", ctx, as_script=True,
                               env={"CERTBOT_DOMAIN": domain, "CERTBOT_VALIDATION": value})
            self.assertTrue(set(values) <= txt_values(dns, LABEL))

            # Managing: the rotated password replaces the old one at once.
            out = self.run_block("manage", ctx).stdout
            self.assertIn(CUSTOMER, out)
            self.assertIn("password", out)
            self.assertEqual(rest_update(api, cred["username"], cred["password"], cred["subdomain"], values[0]), 401)

            # Migrating from acme-dns: accounts work with their old passwords.
            account = import_test.Account(7, prefix="$2a$", txt=((h.acme_value(7), 100),))
            subprocess.run(["sqlite3", str(tmp / "acme-dns.db")], input=import_test.SCHEMA + account.sql(),
                           text=True, check=True, capture_output=True, timeout=h.SUBPROCESS_TIMEOUT)
            self.run_block("import", ctx)
            self.assertEqual(txt_values(dns, f"{account.subdomain}.{ZONE}"), {h.acme_value(7)})
            self.assertEqual(rest_update(api, account.username, account.password, account.subdomain,
                                         h.acme_value(8)), 200)

            # Backups while updates run; the copy served by a second server; the restore.
            self.backup_and_restore(stack, ctx, tmp, server, api, public, backups)

            self.run_block("monitoring", ctx)
            server.stop()
        self.assert_ran("OperatorWalkthrough")

    def setcap_step(self, ctx: Context, tmp: Path, installed: Path, public: int) -> None:
        if os.geteuid() != 0:
            self.ran["setcap"] = "skipped: setcap and switching to nobody need root (CI runs as root)"
            sys.stderr.write("\nREADME block setcap skipped: not root\n")
            return
        self.run_block("setcap", ctx)
        getcap = subprocess.run(["getcap", str(installed)], capture_output=True, text=True,
                                timeout=h.SUBPROCESS_TIMEOUT)
        self.assertIn("cap_net_bind_service=ep", getcap.stdout)
        nobody = pwd.getpwnam("nobody")
        low, api = ds.free_low_port(), h.free_port()
        data = tmp / "nobody-data"
        data.mkdir(mode=0o700)
        os.chown(data, nobody.pw_uid, nobody.pw_gid)
        config = tmp / "nobody.toml"
        config.write_text(self.production_config(low, api, public, data))
        config.chmod(0o644)
        server = ds.ServerProcess(str(installed), config, ZONE, low, tmp / "nobody.log",
                                  prefix=("setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                                          "--clear-groups"))
        server.start()
        try:
            status = Path(f"/proc/{server.proc.pid}/status").read_text()
            self.assertRegex(status, rf"(?m)^Uid:\s+{nobody.pw_uid}\s+{nobody.pw_uid}\s+{nobody.pw_uid}\s")
            cap_eff = int(re.search(r"(?m)^CapEff:\s+([0-9a-f]+)$", status).group(1), 16)
            self.assertEqual(cap_eff, 1 << 10, "only CAP_NET_BIND_SERVICE (bit 10) should be effective")
        finally:
            server.stop()

    def backup_and_restore(self, stack, ctx: Context, tmp: Path, server: ds.ServerProcess, api: int, public: int,
                           backups: Path) -> None:
        config = Path(ctx.subs["/etc/acmezone/acmezone.toml"])
        writer = self.issue_json(config, "backup.example.com")
        before = h.acme_value(200)
        self.assertEqual(rest_update(api, writer["username"], writer["password"], writer["subdomain"], before), 200)
        # Updates keep coming while mdb_copy runs, on other labels: three credentials in turn, each
        # about 8 a second, under [limits] update_rate (10/s), so every one must be committed.
        busy = [self.issue_json(config, f"busy{i}.example.com") for i in range(3)]
        stop, statuses = threading.Event(), []

        def keep_writing():
            n = 0
            while not stop.is_set():
                n += 1
                cred = busy[n % len(busy)]
                statuses.append(rest_update(api, cred["username"], cred["password"], cred["subdomain"],
                                            h.acme_value(1000 + n)))
                stop.wait(0.04)
        thread = threading.Thread(target=keep_writing, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not statuses and time.monotonic() < deadline:
                time.sleep(0.01)
            self.run_block("backup", ctx)
        finally:
            stop.set()
            thread.join(timeout=HTTP_TIMEOUT + 5)
        self.assertTrue(statuses and set(statuses) == {200}, f"updates during the backup: {set(statuses)}")
        copies = sorted(backups.iterdir())
        self.assertEqual(len(copies), 1, copies)
        self.assertTrue((copies[0] / "data.mdb").is_file())

        # The copy is a working store: a second server on it serves what was written before.
        dns2, api2 = h.free_port(), h.free_port()
        config2 = tmp / "from-backup.toml"
        config2.write_text(self.production_config(dns2, api2, public, copies[0]))
        second = ds.ServerProcess(h.BINARY, config2, ZONE, dns2, tmp / "from-backup.log")
        second.start()
        try:
            self.assertEqual(txt_values(dns2, writer["fulldomain"]), {before})
        finally:
            second.stop()

        # Restore: a value written after the backup is gone, the one before it is back.
        after = h.acme_value(201)
        self.assertEqual(rest_update(api, writer["username"], writer["password"], writer["subdomain"], after), 200)
        self.assertEqual(txt_values(server.port, writer["fulldomain"]), {before, after})
        ctx.subs["/var/backups/acmezone/20260101-030000"] = str(copies[0])
        server.stop()   # systemctl stop acmezone
        self.run_block("restore", ctx)
        server.start()  # systemctl start acmezone
        self.assertEqual(txt_values(server.port, writer["fulldomain"]), {before})


# -------------------------------------------------------------------------------------------------
class ReadmeStatic(ReadmeCase):
    """Coverage of every block and command, inline commands, and the data blocks."""

    def test_every_block_is_tagged_and_planned(self):
        tags = [b.tag for b in self.all_blocks if b.tag]
        self.assertEqual(sorted(set(tags)), sorted(tags), "a tag is used twice")
        for b in self.all_blocks:
            if b.lang:
                self.assertIsNotNone(b.tag, f"README line {b.line}: a ```{b.lang} block without <!-- test: NAME -->")
        self.assertEqual(sorted(set(tags) - set(PLANS)), [], "tagged blocks readme_plans.PLANS does not know")
        self.assertEqual(sorted(set(PLANS) - set(tags)), [], "plans whose README block is gone")
        run_tags = {t for t, p in PLANS.items() if isinstance(p, Run)}
        covered = {t for tags_ in RUN_BY.values() for t in tags_}
        self.assertEqual(run_tags, covered, "RUN_BY must name every Run block exactly")
        for tag, plan in PLANS.items():
            block = self.blocks[tag]
            if isinstance(plan, Data):
                self.assertFalse(block.is_shell, f"{tag}: a shell block cannot be Data")
            else:
                self.assertTrue(block.is_shell, f"{tag}: Run and Elsewhere are for shell blocks")

    def test_commands_that_do_not_run_here_are_listed_with_a_reason(self):
        for tag, plan in PLANS.items():
            block = self.blocks[tag]
            keys = [c.key for c in block.commands]
            if isinstance(plan, Elsewhere):
                self.assertEqual(sorted(keys), sorted(plan.commands), f"block {tag}: commands differ from the plan")
                reasons = plan.commands.values()
            elif isinstance(plan, Run):
                self.assertEqual(sorted(set(plan.skip) - set(keys)), [], f"block {tag}: skipped commands not in it")
                reasons = plan.skip.values()
            else:
                continue
            for reason in reasons:
                self.assertTrue(reason.why)
                for path, strings in reason.evidence:
                    text = (ds.REPO / path).read_text()
                    for s in strings:
                        self.assertIn(s, text, f"block {tag}: {path} should contain {s!r} ({reason.why})")
        # Every command of the kinds the README is about runs here unless a plan lists it.
        for block in self.all_blocks:
            plan = PLANS.get(block.tag)
            for command in block.commands:
                if command.key.startswith(ENFORCED) or command.key in ("scripts/run.sh", "scripts/test.sh"):
                    listed = isinstance(plan, Elsewhere) and command.key in plan.commands
                    skipped = isinstance(plan, Run) and command.key in plan.skip
                    self.assertTrue(isinstance(plan, Run) or listed or skipped,
                                    f"{command.key!r} (README line {block.line}) is neither run nor listed")

    def test_scripts_the_quick_start_names(self):
        run_sh = (ds.REPO / "scripts" / "run.sh").read_text()
        body = [l for l in run_sh.splitlines() if l.strip() and not l.lstrip().startswith("#")]
        self.assertIn('config="${CONFIG:-config/acmezone.toml}"', body)
        self.assertIn("scripts/install-deps.sh", body)
        self.assertIn('BUILD_DIR="$build_dir" scripts/build.sh', body)
        self.assertEqual(body[-1], 'exec "$build_dir/acmezone" serve --config "$config"')
        self.assertIn("exec scripts/test.sh", (ds.REPO / ".ci" / "run").read_text())

    def test_inline_commands_exist(self):
        for span, pending in self.inline:
            if re.fullmatch(r"(config|docker|scripts|tests|src|bench|fuzz|\.ci)/[\w./*-]*", span):
                exists = any(ds.REPO.glob(span)) if "*" in span else (ds.REPO / span).exists()
                if not exists and pending:
                    sys.stderr.write(f"\ninline `{span}` (pending: {pending}): no such file yet\n")
                    continue
                self.assertTrue(exists, f"README names `{span}`, which is not in the repository")
                continue
            ours = span in ("acmezone", "build/acmezone") or span.startswith(("acmezone ", "build/acmezone ", "scripts/"))
            if not ours:
                if span.startswith(ENFORCED):
                    keys = [c.key for b in self.all_blocks for c in b.commands]
                    self.assertTrue(any(k.startswith(span) for k in keys), f"inline `{span}` matches no command")
                continue
            with self.subTest(span=span):
                words = span.split()
                if words[0].startswith("scripts/"):
                    script = ds.REPO / words[0]
                    self.assertTrue(os.access(script, os.X_OK), f"`{span}`: no such script")
                    if words[0] == "scripts/install-deps.sh" and len(words) > 1:
                        ds.install_deps_list(words[1])
                    continue
                path = []
                for word in words[1:]:
                    if word.startswith("-") or not ds.binary_has_command(h.BINARY, *path, word):
                        break
                    path.append(word)
                help_text = subprocess.run([h.BINARY, *path, "--help"], capture_output=True, text=True,
                                           timeout=h.SUBPROCESS_TIMEOUT).stdout
                rest = words[1 + len(path):]
                problems = [w for w in rest if w.startswith("-") and w.split("=")[0] not in help_text]
                if rest and not rest[0].startswith("-") and "Positionals:" not in help_text:
                    problems.append(rest[0])  # neither a subcommand nor an argument of this command
                if problems and pending:
                    sys.stderr.write(f"\ninline `{span}` (pending: {pending}): the binary lacks {problems}\n")
                    continue
                self.assertEqual(problems, [], f"`{span}`: not a command or option of the binary")

    def test_substitutions_only_name_what_the_readme_says(self):
        text = README.read_text()
        for key in ("/etc/acmezone/acmezone.toml", "/var/lib/acmezone/data", "/var/backups/acmezone",
                    "/var/lib/acme-dns/acme-dns.db", "/usr/local/bin/acmezone", "/etc/letsencrypt/acmedns.json",
                    "https://acme-api.example.net", "http://127.0.0.1:8053", "@192.0.2.53", "server 192.0.2.53 53",
                    "@198.51.100.1", "/var/backups/acmezone/20260101-030000", "-p 5353", "TOKEN=..."):
            self.assertIn(key, text, f"readme_test.py rewrites {key!r}, which the README no longer has")

    def test_data_blocks(self):
        production = tomllib.loads(self.blocks["production-config"].text)
        glue = {}
        for record in production["zone"]["records"]:
            owner, rtype, value = record.split()[:3]
            glue[(owner, rtype)] = value
        parent = self.blocks["parent-zone"].text
        for (owner, rtype), value in glue.items():
            if rtype in ("A", "AAAA"):
                self.assertRegex(parent, rf"(?m)^{owner}\.acme\s+IN\s+{rtype}\s+{re.escape(value)}$",
                                 "the parent's glue must match [zone] records")
                self.assertTrue(any(a.startswith((value + ":", f"[{value}]:")) for a in production["dns"]["listen"]))
        for tag, text in (("parent-zone", zone_file("example.net", self.blocks["parent-zone"].text)),
                          ("caa", self.blocks["caa"].text)):
            with tempfile.NamedTemporaryFile("w", suffix=".zone") as zone:
                zone.write(text)
                zone.flush()
                p = subprocess.run(["ldns-read-zone", zone.name], capture_output=True, text=True,
                                   timeout=h.SUBPROCESS_TIMEOUT)
            self.assertEqual(p.returncode, 0, f"{tag}: {p.stderr}")
            if tag == "caa":
                self.assertIn("accounturi=", p.stdout)
        ini = dict(line.split(" = ", 1) for line in self.blocks["certbot-ini"].text.splitlines() if line.strip())
        e2e = (ds.REPO / "tests" / "e2e" / "certbot_alias_test.py").read_text()
        self.assertEqual({k for k in ini}, set(re.findall(r"(dns_rfc2136_\w+) = ", e2e)))
        self.assertEqual((ini["dns_rfc2136_server"], ini["dns_rfc2136_name"], ini["dns_rfc2136_algorithm"]),
                         ("192.0.2.53", LABEL + ".", "HMAC-SHA256"))
        issuer = yaml.safe_load(self.blocks["cert-manager-acmedns"].text)
        acmedns = issuer["spec"]["acme"]["solvers"][0]["dns01"]["acmeDNS"]
        self.assertEqual(acmedns["host"], "https://acme-api.example.net")
        self.assertEqual(acmedns["accountSecretRef"], {"name": "acmezone-acmedns", "key": "acmedns.json"})
        self.assertIn("acmezone-acmedns --from-file=acmedns.json",
                      self.blocks["cert-manager-acmedns-secret"].commands[0].key)
        issuer = yaml.safe_load(self.blocks["cert-manager-rfc2136"].text)
        dns01 = issuer["spec"]["acme"]["solvers"][0]["dns01"]
        self.assertEqual(dns01["cnameStrategy"], "Follow")
        self.assertEqual(dns01["rfc2136"]["nameserver"], "192.0.2.53:53")
        self.assertEqual(dns01["rfc2136"]["tsigKeyName"], LABEL + ".")
        self.assertIn(dns01["rfc2136"]["tsigAlgorithm"], ("HMACSHA1", "HMACSHA256", "HMACSHA512"))
        secret = dns01["rfc2136"]["tsigSecretSecretRef"]
        self.assertIn(f"{secret['name']} --from-literal={secret['key']}=",
                      self.blocks["cert-manager-rfc2136-secret"].commands[0].key)
        traefik = yaml.safe_load(self.blocks["traefik"].text)
        self.assertEqual(traefik["certificatesResolvers"]["acmezone"]["acme"]["dnsChallenge"]["provider"], "acme-dns")
        self.assertIn("dns acmedns /etc/caddy/acmedns.json", self.blocks["caddyfile"].text)

    def test_config_fragments_load(self):
        """The TOML fragments (logging, RRL, secondaries) with a minimal [zone] are configs the binary serves
        (and `acmezone config check` accepts, where it exists)."""
        has_check = ds.binary_has_command(h.BINARY, "config", "check")
        for tag in ("logging", "rrl", "secondaries"):
            block = self.blocks[tag]
            tomllib.loads(block.text)
            with tempfile.TemporaryDirectory(prefix="acmezone-readme-frag-") as tmpdir:
                tmp, port = Path(tmpdir), h.free_port()
                config = tmp / "fragment.toml"
                config.write_text(f'[zone]\nname = "{ZONE}"\nnameservers = ["ns1.{ZONE}"]\n'
                                  f'hostmaster = "hostmaster@example.net"\nrecords = ["ns1 A 192.0.2.53"]\n\n'
                                  f'[dns]\nlisten = ["127.0.0.1:{port}"]\n\n[store]\npath = "{tmp / "data"}"\n\n'
                                  f'{block.text}')
                try:
                    if has_check:
                        p = subprocess.run([h.BINARY, "config", "check", str(config)], capture_output=True,
                                           text=True, timeout=h.SUBPROCESS_TIMEOUT)
                        self.assertEqual(p.returncode, 0, p.stderr)
                    server = ds.ServerProcess(h.BINARY, config, ZONE, port, tmp / "server.log")
                    try:
                        server.start()
                    finally:
                        server.kill() if not server.alive() else server.stop()
                except AssertionError as error:
                    if not block.pending:
                        raise AssertionError(f"README fragment {tag} is not a working config: {error}")
                    sys.stderr.write(f"\nREADME fragment {tag} (pending: {block.pending}) fails: {error}\n")

    def test_ctest_filters_select_tests(self):
        build = Path(h.BINARY).resolve().parent
        self.assertTrue((build / "CTestTestfile.cmake").is_file(), f"{build} is not a CMake build folder with tests")
        with tempfile.TemporaryDirectory(prefix="acmezone-readme-ctest-") as tmpdir:
            # A copy of the CTest files (they name everything by absolute path): even `ctest -N`
            # rewrites Testing/Temporary/LastTest.log, which the ctest running this test writes.
            for testfile in build.rglob("CTestTestfile.cmake"):
                target = Path(tmpdir) / testfile.relative_to(build)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(testfile, target)
            ctx = Context(ds.REPO, dict(os.environ), {"ctest --test-dir build": f"ctest -N --test-dir {tmpdir}"})
            out = self.run_block("ctest", ctx).stdout
        totals = [int(n) for n in re.findall(r"^Total Tests: (\d+)$", out, re.M)]
        self.assertEqual(len(totals), 3, out)
        self.assertTrue(all(n > 0 for n in totals), f"a README ctest filter selects no test: {totals}")


if __name__ == "__main__":
    h.main()
