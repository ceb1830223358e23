#!/usr/bin/env python3
"""`acmezone import acme-dns`: a database made with the sqlite3 CLI using exactly acme-dns's
schema (reference/acme-dns.md §4) is imported into a running server; the accounts then work
unchanged: /update with the original password (bcrypt $2a$, $2b$ and $2y$, hash as TEXT and as
BLOB) answers 200, dig sees the imported TXT values (the two newest non-empty per subdomain),
allowfrom is kept, bad rows are reported, and a second run skips what is there."""

import contextlib
import json
import shutil
import subprocess
import tempfile
import unittest
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # deprecated since 3.11 (removed in 3.13); Debian 12 ships 3.11

import harness as h

CURL_TIMEOUT = 10

# acme-dns's tables, verbatim (SQLite flavour).
SCHEMA = """
CREATE TABLE IF NOT EXISTS acmedns(Name TEXT, Value TEXT);
INSERT INTO acmedns (Name, Value) VALUES ('db_version', '1');
CREATE TABLE IF NOT EXISTS records(
    Username TEXT UNIQUE NOT NULL PRIMARY KEY,
    Password TEXT UNIQUE NOT NULL,
    Subdomain TEXT UNIQUE NOT NULL,
    AllowFrom TEXT);
CREATE TABLE IF NOT EXISTS txt(
    Subdomain TEXT NOT NULL,
    Value   TEXT NOT NULL DEFAULT '',
    LastUpdate INT);
CREATE INDEX IF NOT EXISTS idx_txt_subdomain ON txt(Subdomain);
"""


def bcrypt(password: str, prefix: str) -> str:
    """A cost-10 bcrypt hash with the given prefix. libxcrypt makes $2b$; for ASCII passwords
    shorter than 72 bytes $2a$, $2b$ and $2y$ compute the same hash, so only the prefix differs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
    assert hashed.startswith("$2b$10$"), hashed
    return prefix + hashed[4:]


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Account:
    def __init__(self, seed: int, *, prefix: str, blob: bool = False, allowfrom: str = "[]",
                 subdomain: str | None = None, txt: tuple = ()):
        self.username = f"{seed:08x}-1111-4111-8111-{seed:012x}"
        self.password = f"P{seed:02d}" + "x" * 37  # 40 characters, as acme-dns makes them
        self.subdomain = subdomain or f"{seed:08x}-2222-4222-8222-{seed:012x}"
        self.hash = bcrypt(self.password, prefix)
        self.blob = blob
        self.allowfrom = allowfrom
        self.txt = txt  # (value, last_update) rows

    def sql(self) -> str:
        password = ("X'" + self.hash.encode().hex() + "'") if self.blob else sql_text(self.hash)
        allowfrom = "NULL" if self.allowfrom is None else sql_text(self.allowfrom)
        rows = [f"INSERT INTO records VALUES ({sql_text(self.username)}, {password}, {sql_text(self.subdomain)}, "
                f"{allowfrom});"]
        rows += [f"INSERT INTO txt VALUES ({sql_text(self.subdomain)}, {sql_text(v)}, {t});" for v, t in self.txt]
        return "\n".join(rows)


V = [h.acme_value(i) for i in range(10)]

# 2a, stored as a BLOB (as acme-dns's Go driver may), three values + an empty row: newest two kept.
BLOB_2A = Account(1, prefix="$2a$", blob=True, txt=((V[0], 100), (V[1], 200), (V[2], 300), ("", 400)))
# 2y, upper-case subdomain (hand-edited databases), allowfrom that includes loopback, one value.
UPPER_2Y = Account(2, prefix="$2y$", allowfrom='["127.0.0.1/32", "[::1]/128"]',
                   subdomain="ABCDEF01-2222-4222-8222-000000000002", txt=((V[3], 50), ("", 0)))
# 2b, allowfrom that excludes loopback: /update from here must be refused.
FENCED_2B = Account(3, prefix="$2b$", allowfrom='["10.0.0.0/8"]', txt=((V[4], 10), (V[5], 20)))


class ImportAcmeDns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("sqlite3") is None:
            raise AssertionError("sqlite3 not found: run scripts/install-deps.sh")
        cls.stack = contextlib.ExitStack()
        cls.api_port = h.free_port()
        cls.server = cls.stack.enter_context(h.start_server({"api": {"listen": [f"127.0.0.1:{cls.api_port}"]}}))
        cls.tmp = Path(cls.stack.enter_context(tempfile.TemporaryDirectory(prefix="acmezone-import-")))
        cls.db = cls.tmp / "acme-dns.db"
        bad_hash = ("abababab-1111-4111-8111-000000000004", "'not-a-bcrypt-hash'", "'c0ffee04'", "'[]'")
        null_allowfrom = ("abababab-1111-4111-8111-000000000005", sql_text(bcrypt("y" * 40, "$2a$")), "'c0ffee05'", "NULL")
        script = SCHEMA + "\n".join(a.sql() for a in (BLOB_2A, UPPER_2Y, FENCED_2B)) + "\n" + "\n".join(
            f"INSERT INTO records VALUES ('{u}', {p}, {s}, {a});" for u, p, s, a in (bad_hash, null_allowfrom))
        subprocess.run(["sqlite3", str(cls.db)], input=script, text=True, check=True, capture_output=True,
                       timeout=h.SUBPROCESS_TIMEOUT)
        kinds = subprocess.run(["sqlite3", str(cls.db), "SELECT typeof(Password) FROM records ORDER BY Username"],
                               text=True, check=True, capture_output=True, timeout=h.SUBPROCESS_TIMEOUT).stdout.split()
        assert "blob" in kinds and "text" in kinds, kinds

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    # -- helpers --------------------------------------------------------------------------------
    def run_import(self, *extra: str) -> subprocess.CompletedProcess:
        return self.server.cli("import", "acme-dns", "--sqlite", str(self.db), *extra, check=False)

    def update(self, account: Account, txt: str, subdomain: str | None = None) -> tuple[int, str]:
        body = json.dumps({"subdomain": subdomain or account.subdomain.lower(), "txt": txt})
        p = subprocess.run(["curl", "-sS", "--max-time", str(CURL_TIMEOUT), "-o", "-", "-w", "\n%{http_code}",
                            "-H", f"X-Api-User: {account.username}", "-H", f"X-Api-Key: {account.password}",
                            "--data-binary", body, f"http://127.0.0.1:{self.api_port}/update"],
                           capture_output=True, text=True, timeout=CURL_TIMEOUT + 5)
        self.assertEqual(p.returncode, 0, p.stderr)
        text, _, status = p.stdout.rpartition("\n")
        return int(status), text

    def txt(self, label: str) -> list:
        res = h.dig(self.server.port, f"{label}.{h.ZONE}", "TXT")
        return sorted(row[-1].strip('"') for row in res.rows("ANSWER", "TXT"))

    # -- the test (one flow: dry run, import, use, re-run) --------------------------------------
    def test_import_then_clients_keep_working(self):
        dry = self.run_import("--dry-run")
        self.assertEqual(dry.returncode, 1, dry.stdout + dry.stderr)  # two invalid rows
        self.assertIn("dry run (nothing written): 5 account(s) read, 3 to import, 0 already present (skipped), "
                      "2 invalid, 5 TXT value(s) to write", dry.stdout)
        self.assertEqual(self.txt(BLOB_2A.subdomain), [], "a dry run wrote records")

        first = self.run_import()
        self.assertEqual(first.returncode, 1, first.stdout + first.stderr)
        out = first.stdout
        self.assertIn("5 account(s) read, 3 imported, 0 already present (skipped), 2 invalid, 5 TXT value(s) written", out)
        self.assertIn("invalid abababab-1111-4111-8111-000000000004: Password is not a bcrypt hash", out)
        self.assertIn("invalid abababab-1111-4111-8111-000000000005: AllowFrom is not a JSON array", out)
        self.assertIn("lower-cased", first.stderr)

        # TXT values: the two newest non-empty per subdomain, served at once.
        self.assertEqual(self.txt(BLOB_2A.subdomain), sorted([V[1], V[2]]))
        self.assertEqual(self.txt(UPPER_2Y.subdomain.lower()), [V[3]])
        self.assertEqual(self.txt(FENCED_2B.subdomain), sorted([V[4], V[5]]))

        # The original passwords work over /update ($2a$ BLOB, $2y$), and keep working after
        # the first use re-hashed them; the newest two values rotate as in acme-dns.
        for account in (BLOB_2A, UPPER_2Y):
            label = account.subdomain.lower()
            status, body = self.update(account, V[6])
            self.assertEqual((status, body), (200, json.dumps({"txt": V[6]})), account.username)
            status, _ = self.update(account, V[7])
            self.assertEqual(status, 200, "second update after the re-hash")
            self.assertEqual(self.txt(label), sorted([V[6], V[7]]))
        self.assertIn("event=rehash", self.server.log())

        # allowfrom came along: loopback is outside 10.0.0.0/8.
        status, body = self.update(FENCED_2B, V[8])
        self.assertEqual((status, body), (401, '{"error": "forbidden"}'))
        # A wrong password is still refused.
        wrong = Account(1, prefix="$2a$")
        wrong.password = "W" * 40
        self.assertEqual(self.update(wrong, V[8])[0], 401)

        # Idempotent: a second run skips every stored username and writes nothing.
        second = self.run_import()
        self.assertIn("5 account(s) read, 0 imported, 3 already present (skipped), 2 invalid, 0 TXT value(s) written",
                      second.stdout)
        self.assertIn(f"exists {BLOB_2A.username}: username already in the store: skipped", second.stdout)
        self.assertEqual(self.txt(BLOB_2A.subdomain), sorted([V[6], V[7]]))

    def test_missing_or_foreign_file_is_a_clear_error(self):
        missing = self.run_import_path(self.tmp / "nope.db")
        self.assertEqual(missing.returncode, 2)
        self.assertIn("no such file", missing.stderr)
        other = self.tmp / "other.db"
        subprocess.run(["sqlite3", str(other), "CREATE TABLE t(x);"], check=True, timeout=h.SUBPROCESS_TIMEOUT)
        foreign = self.run_import_path(other)
        self.assertEqual(foreign.returncode, 2)
        self.assertIn("not an acme-dns database", foreign.stderr)

    def run_import_path(self, path: Path) -> subprocess.CompletedProcess:
        return self.server.cli("import", "acme-dns", "--sqlite", str(path), check=False)


if __name__ == "__main__":
    h.main()
