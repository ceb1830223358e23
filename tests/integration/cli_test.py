#!/usr/bin/env python3
"""The acmezone command line: version, help, config errors (exit 2), bind failures (exit 1),
record add/list/del, signals (exit 0) and the store folder's mode."""

import os
import re
import signal
import socket
import stat
import subprocess
import unittest

import harness as h
from harness import SOA, TXT, ZONE, fqdn


def run(*args, timeout=h.SUBPROCESS_TIMEOUT):
    return subprocess.run([h.BINARY, *args], capture_output=True, text=True, timeout=timeout)


class Basics(unittest.TestCase):
    def test_version(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), f"acmezone {h.VERSION}")

    def test_help_names_the_commands(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        for word in ("serve", "record"):
            self.assertIn(word, p.stdout)

    def test_unknown_command_fails(self):
        p = run("no-such-command")
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip(), "says why")


class ConfigErrors(unittest.TestCase):
    """A bad config stops `serve` with exit 2 and `config error: <key>: <problem>`, before binding."""

    def serve_expecting_config_error(self, server, key):
        proc = subprocess.run([server.binary, "serve", "--config", str(server.config_path)],
                              capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertRegex(proc.stderr, rf"config error: [^\n]*{re.escape(key)}", proc.stderr)
        self.assertNotIn("event=ready", proc.stderr)
        self.assertTrue(h.port_is_free(server.port), "port left free")
        return proc

    def test_missing_file(self):
        with h.server_files() as server:
            server.config_path.unlink()
            self.serve_expecting_config_error(server, str(server.config_path))

    def test_unknown_keys(self):
        cases = {"dns.bogus": {"dns": {"bogus": 1}},
                 "zone.soa.minimun": {"zone": {"soa": {"minimun": 5}}},
                 "extra": {"extra": {"x": 1}}}
        for key, overrides in cases.items():
            with self.subTest(key=key), h.server_files(overrides) as server:
                self.serve_expecting_config_error(server, key)

    def test_bad_values(self):
        cases = {
            "dns.listen": {"dns": {"listen": ["127.0.0.1:notaport"]}},
            "zone.records": {"zone": {"records": ["foo BADTYPE x"]}},
            "zone.name": {"zone": {"name": "not a..name"}},
            "zone.txt_ttl": {"zone": {"txt_ttl": "one"}},
        }
        for key, overrides in cases.items():
            with self.subTest(key=key), h.server_files(overrides) as server:
                self.serve_expecting_config_error(server, key)
        with h.server_files() as server:
            server.config_path.write_text("[zone\nname = ")  # not TOML at all
            proc = subprocess.run([server.binary, "serve", "--config", str(server.config_path)],
                                  capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("config error", proc.stderr)

    def test_record_command_with_bad_config(self):
        with h.server_files({"dns": {"bogus": 1}}) as server:
            p = server.cli("record", "list", check=False)
            self.assertEqual(p.returncode, 2)
            self.assertIn("dns.bogus", p.stderr)


class BindFailure(unittest.TestCase):
    def test_port_taken_exits_1_naming_the_address(self):
        for kind, name in ((socket.SOCK_STREAM, "tcp"), (socket.SOCK_DGRAM, "udp")):
            with self.subTest(taken=name), h.server_files() as server, socket.socket(socket.AF_INET, kind) as holder:
                holder.bind((h.HOST, server.port))
                if kind == socket.SOCK_STREAM:
                    holder.listen()
                proc = subprocess.run([server.binary, "serve", "--config", str(server.config_path)],
                                      capture_output=True, text=True, timeout=h.SUBPROCESS_TIMEOUT)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertIn(f"{h.HOST}:{server.port}", proc.stderr)
                self.assertNotIn("event=ready", proc.stderr)


class Records(unittest.TestCase):
    def test_add_list_del_while_serving(self):
        with h.start_server() as server:
            label = h.unique_label("cli")
            v1, v2 = h.acme_value(21), h.acme_value(22)
            server.record_add(label, v1)
            server.record_add(label, v2)
            server.record_add(label, v2)  # a duplicate value is not stored twice (RFC 2181 §5)
            lines = server.record_list()
            mine = sorted(line for line in lines if line.split()[0].lower() == fqdn(label))
            self.assertEqual(mine, sorted([f'{fqdn(label)} {h.TXT_TTL} IN TXT "{v}"' for v in (v1, v2)]))
            self.assertEqual(sorted(h.query(server.port, fqdn(label), TXT).txt_values()), sorted([v1, v2]))

            server.record_del(label, v1)
            mine = [line for line in server.record_list() if line.split()[0].lower() == fqdn(label)]
            self.assertEqual(mine, [f'{fqdn(label)} {h.TXT_TTL} IN TXT "{v2}"'])
            server.record_del(label)
            self.assertFalse(any(line.split()[0].lower() == fqdn(label) for line in server.record_list()))
            self.assertEqual(h.query(server.port, fqdn(label), TXT).rcode_text, "NXDOMAIN")

    def test_list_format_every_line(self):
        with h.start_server() as server:
            server.record_add("alpha", "first value")
            server.record_add("b.beta", h.acme_value(23))
            lines = server.record_list()
            self.assertTrue(lines)
            pattern = re.compile(r'^\S+\.acme\.example\.test\. \d+ IN TXT ".*"$')
            for line in lines:
                self.assertRegex(line, pattern)
            self.assertIn(f'{fqdn("alpha")} {h.TXT_TTL} IN TXT "first value"', lines)

    def test_add_before_serving_is_served(self):
        with h.server_files() as server:
            server.record_add("early", h.acme_value(24))
            server.start()
            try:
                self.assertEqual(h.query(server.port, fqdn("early"), TXT).txt_values(), [h.acme_value(24)])
            finally:
                self.assertEqual(server.stop(), 0, server.log())

    def test_add_refused_at_reserved_or_outside_names(self):
        with h.start_server() as server:
            for label in ("@", "Mixed", "mixed", "x.other.test.", ""):
                with self.subTest(label=label):
                    p = server.cli("record", "add", label, h.acme_value(25), check=False)
                    self.assertNotEqual(p.returncode, 0, f"record add {label!r} should fail")
                    self.assertTrue(p.stderr.strip(), "a clear message on stderr")
                    self.assertNotIn("Traceback", p.stderr)
            r = h.query(server.port, ZONE, TXT)
            self.assertEqual((r.rcode_text, r.answer), ("NOERROR", []))

    def test_del_of_missing_label_is_not_a_crash(self):
        with h.start_server() as server:
            p = server.cli("record", "del", "never-added", check=False)
            self.assertIn(p.returncode, (0, 1))
            self.assertTrue(server.alive())


class Lifecycle(unittest.TestCase):
    def test_sigterm_and_sigint_exit_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name), h.server_files() as server:
                server.start()
                self.assertIn("event=ready", server.log())
                self.assertEqual(server.stop(sig), 0, server.log())
                self.assertTrue(h.port_is_free(server.port), "sockets released on exit")

    def test_ipv4_and_ipv6_listeners(self):
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
                probe.bind(("::1", 0))
        except OSError:
            self.skipTest("no ::1 on this machine")
        with h.server_files() as server:
            if not h.port_is_free(server.port, "::1"):
                self.skipTest("port taken on ::1")
            server.config["dns"]["listen"].append(f"[::1]:{server.port}")
            server.config_path.write_text(h.to_toml(server.config))
            server.start()
            try:
                for tcp in (False, True):
                    cmd = ["dig", "@::1", "-p", str(server.port), "+time=2", "+tries=1", "SOA", ZONE]
                    r = h.run_client(cmd + (["+tcp"] if tcp else []))
                    self.assertEqual(r.status, "NOERROR")
                    self.assertIn("aa", r.flags)
            finally:
                self.assertEqual(server.stop(), 0, server.log())

    def test_store_folder_mode_0700(self):
        with h.start_server() as server:
            mode = stat.S_IMODE(os.stat(server.store_path).st_mode)
            self.assertEqual(mode, 0o700, oct(mode))

    def test_restart_keeps_records(self):
        with h.server_files() as server:
            server.start()
            server.record_add("kept", h.acme_value(26))
            self.assertEqual(server.stop(), 0)
            server.start()
            try:
                r = h.query(server.port, fqdn("kept"), TXT, "tcp")
                self.assertEqual(r.txt_values(), [h.acme_value(26)])
                self.assertTrue(server.answers_soa(transport="tcp"))
                self.assertEqual(h.query(server.port, ZONE, SOA).rcode_text, "NOERROR")
            finally:
                self.assertEqual(server.stop(), 0, server.log())


if __name__ == "__main__":
    h.main()
