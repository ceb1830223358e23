#!/usr/bin/env python3
"""Port 53 without running as root. Started as root with [server] user = "nobody": the server
binds a port below 1024, then every uid and gid in /proc/PID/status is nobody's, setuid(0) is
out of reach, NoNewPrivs is set, it answers and takes updates, and the CLI run as nobody opens
the same store. A store the account cannot use stops the start with exit 1 before any bind.
Started as nobody with only CAP_NET_BIND_SERVICE (setpriv, as systemd's AmbientCapabilities):
it binds below 1024 and serves; without the capability it cannot. Needs root (skipped
otherwise), the nobody user and nogroup group, and util-linux's setpriv for the last part."""

import base64
import grp
import os
import pwd
import shutil
import subprocess
import time
import unittest
from pathlib import Path

import harness as h

SECRET = base64.b64encode(b"privileges-test-secret-acmezone!").decode()
KEY_TABLE = f'\n[[dns.tsig_keys]]\nname = "zone-key"\nsecret = "{SECRET}"\nzone = true\n'
LOW_PORTS = range(530, 600)


def account():
    try:
        return pwd.getpwnam("nobody"), grp.getgrnam("nogroup")
    except KeyError:
        return None


def low_port() -> int:
    for port in LOW_PORTS:
        if h.port_is_free(port):
            return port
    raise unittest.SkipTest("no free port in 530..599")


def status_of(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.split()
    return out


def nsupdate(port: int, name: str, value: str) -> subprocess.CompletedProcess:
    script = f'server {h.HOST} {port}\nzone {h.ZONE}\nupdate add {name} 60 TXT "{value}"\nsend\n'
    return subprocess.run(["nsupdate", "-t", "5", "-y", f"hmac-sha256:zone-key:{SECRET}"], input=script,
                          capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)


@unittest.skipUnless(os.geteuid() == 0, "needs root (the tests run as root in CI)")
@unittest.skipUnless(account() is not None, "needs the nobody user and the nogroup group")
class Privileges(unittest.TestCase):
    def setUp(self):
        self.nobody, self.nogroup = account()
        self.port = low_port()
        self._files = h.server_files({"dns": {"listen": [f"{h.HOST}:{self.port}"]}})
        self.server = self._files.__enter__()
        self.addCleanup(self._files.__exit__, None, None, None)
        self.server.port = self.port
        # nobody must reach the config (SIGHUP re-reads it) and the data folder.
        os.chmod(self.server.tmp, 0o755)
        self.server.config_path.write_text(self.server.config_path.read_text() + KEY_TABLE)
        self.data = self.server.store_path

    def tearDown(self):
        if self.server.alive():
            self.assertEqual(self.server.stop(), 0, self.server.log())

    def with_user(self, user="nobody", group="nogroup"):
        server = f'\n[server]\nuser = "{user}"\n' + (f'group = "{group}"\n' if group else "")
        self.server.config_path.write_text(self.server.config_path.read_text() + server)

    def serve_expecting_failure(self) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.server.binary, "serve", "--config", str(self.server.config_path)],
                              capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertNotIn("event=ready", proc.stderr)
        self.assertTrue(h.port_is_free(self.port), "nothing was bound")
        return proc

    def assert_all_ids(self, pid: int, uid: int, gid: int) -> dict:
        st = status_of(pid)
        self.assertEqual(st["Uid"], [str(uid)] * 4, st["Uid"])  # real, effective, saved, filesystem
        self.assertEqual(st["Gid"], [str(gid)] * 4, st["Gid"])
        return st

    def test_root_switches_to_the_user_after_binding(self):
        os.mkdir(self.data, 0o700)
        os.chown(self.data, self.nobody.pw_uid, self.nogroup.gr_gid)
        self.with_user()
        self.server.start()
        pid = self.server.proc.pid
        st = self.assert_all_ids(pid, self.nobody.pw_uid, self.nogroup.gr_gid)
        self.assertEqual(st["Groups"], [str(self.nogroup.gr_gid)] if st["Groups"] else [])  # root's groups gone
        self.assertEqual(st["NoNewPrivs"], ["1"])
        self.assertEqual(st["CapEff"], ["0000000000000000"])
        self.assertEqual(st["CapPrm"], ["0000000000000000"])
        self.assertIn(f"event=privileges_dropped user=nobody uid={self.nobody.pw_uid} group=nogroup", self.server.log())
        # Serves on the low port, takes an update, and every file of the store is nobody's.
        self.assertEqual(h.dig(self.port, h.ZONE, "SOA").status, "NOERROR")
        name = h.fqdn(h.unique_label("pv"))
        p = nsupdate(self.port, name, "as-nobody")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(h.query(self.port, name, h.TXT).txt_values(), ["as-nobody"])
        for path in [self.data, *self.data.iterdir()]:
            self.assertEqual(path.stat().st_uid, self.nobody.pw_uid, path)
        # The CLI as nobody opens the same store while the server runs.
        cli = subprocess.run(["setpriv", f"--reuid={self.nobody.pw_uid}", f"--regid={self.nogroup.gr_gid}", "--clear-groups",
                              self.server.binary, "record", "add", "--config", str(self.server.config_path), "cli-added",
                              h.acme_value(7)], capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertEqual(h.query(self.port, h.fqdn("cli-added"), h.TXT).txt_values(), [h.acme_value(7)])
        # SIGHUP after the switch: the config is re-read as nobody.
        self.server.proc.send_signal(1)
        deadline = time.monotonic() + 10
        while "event=reloaded" not in self.server.log() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertIn("event=reloaded", self.server.log())

    def test_missing_store_folder_is_created_for_the_user(self):
        self.assertFalse(self.data.exists())
        self.with_user(group=None)  # the user's primary group
        self.server.start()
        self.assert_all_ids(self.server.proc.pid, self.nobody.pw_uid, self.nobody.pw_gid)
        st = self.data.stat()
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (self.nobody.pw_uid, 0o700))

    def test_store_the_user_cannot_use_fails_before_binding(self):
        os.mkdir(self.data, 0o700)  # root's
        self.with_user()
        proc = self.serve_expecting_failure()
        self.assertIn("step=store", proc.stderr)
        self.assertIn("opened as user nobody", proc.stderr)
        # Files left by an earlier run as root: the same.
        shutil.rmtree(self.data)
        os.mkdir(self.data, 0o700)
        subprocess.run([self.server.binary, "record", "add", "--config", str(self.server.config_path), "x", h.acme_value(1)],
                       check=True, capture_output=True, timeout=h.SUBPROCESS_TIMEOUT)
        os.chown(self.data, self.nobody.pw_uid, self.nogroup.gr_gid)  # the folder only
        proc = self.serve_expecting_failure()
        self.assertIn("opened as user nobody", proc.stderr)

    def test_unknown_user_or_group(self):
        self.with_user(user="no-such-user-acmezone", group=None)
        proc = self.serve_expecting_failure()
        self.assertIn('server.user "no-such-user-acmezone"', proc.stderr)
        self.server.config_path.write_text(self.server.config_path.read_text().replace(
            'user = "no-such-user-acmezone"', 'user = "nobody"\ngroup = "no-such-group-acmezone"'))
        proc = self.serve_expecting_failure()
        self.assertIn('server.group "no-such-group-acmezone"', proc.stderr)
        self.server.config_path.write_text(self.server.config_path.read_text().replace(
            'user = "nobody"\ngroup = "no-such-group-acmezone"', 'user = "root"'))
        proc = self.serve_expecting_failure()
        self.assertIn("is root", proc.stderr)

    @unittest.skipUnless(shutil.which("setpriv"), "needs util-linux's setpriv")
    def test_cap_net_bind_service_without_root(self):
        os.mkdir(self.data, 0o700)
        os.chown(self.data, self.nobody.pw_uid, self.nogroup.gr_gid)
        self.with_user()  # the same user: nothing to switch
        as_nobody = ["setpriv", f"--reuid={self.nobody.pw_uid}", f"--regid={self.nogroup.gr_gid}", "--init-groups"]
        # Without the capability a port below 1024 cannot be bound (unless this kernel lets anyone
        # bind it: containers often set net.ipv4.ip_unprivileged_port_start = 0).
        unprivileged_start = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
        if unprivileged_start > self.port:
            proc = subprocess.run([*as_nobody, self.server.binary, "serve", "--config", str(self.server.config_path)],
                                  capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertIn("step=udp", proc.stderr)
        else:
            print(f"(ip_unprivileged_port_start = {unprivileged_start}: the check without the capability is skipped)")
        # With it (as systemd's AmbientCapabilities=CAP_NET_BIND_SERVICE gives it): the harness
        # starts a wrapper that execs setpriv, which execs the server (one PID throughout).
        wrapper = self.server.tmp / "serve-as-nobody"
        wrapper.write_text("#!/bin/sh\nexec " + " ".join(as_nobody) +
                           f" --inh-caps=+net_bind_service --ambient-caps=+net_bind_service {self.server.binary} \"$@\"\n")
        wrapper.chmod(0o755)
        self.server.binary = str(wrapper)
        self.server.start()
        st = self.assert_all_ids(self.server.proc.pid, self.nobody.pw_uid, self.nogroup.gr_gid)
        self.assertEqual(st["NoNewPrivs"], ["1"])
        self.assertNotIn("privileges_dropped", self.server.log())
        self.assertEqual(h.dig(self.port, h.ZONE, "SOA").status, "NOERROR")
        name = h.fqdn(h.unique_label("cap"))
        p = nsupdate(self.port, name, "with-cap")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(h.query(self.port, name, h.TXT).txt_values(), ["with-cap"])


if __name__ == "__main__":
    h.main()
