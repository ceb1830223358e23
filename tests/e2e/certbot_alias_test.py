"""End-to-end: stock certbot with certbot-dns-rfc2136 obtains a certificate for example.test and
*.example.test through acmezone's alias mode.

certbot-dns-rfc2136 does not follow the customer's CNAME: it looks for "the zone" of
`_acme-challenge.example.test` with TSIG-signed SOA queries sent to acmezone, which in alias mode
answers them (AA, SOA owned by the queried name) for the credential's customer names, then sends a
signed UPDATE adding TXT at `_acme-challenge.example.test`; acmezone applies it to the credential's
label, where the customer's CNAME leads pebble. Cleanup deletes each value. Topology: e2e_support.py.
"""

from __future__ import annotations

import os

import e2e_support as e
from e2e_support import h


class CertbotAlias(e.E2ETestCase):
    tools_needed = ("pebble", "certbot", "unbound", "openssl")

    def test_apex_and_wildcard_issued_in_alias_mode(self) -> None:
        server = self.start_acmezone()
        cred = self.issue_credential(e.CUSTOMER, "reverse")
        tsig = cred["tsig"]
        self.assertIsInstance(tsig, dict, cred)

        # Alias mode reveals nothing to unsigned queries: the customer's name is not our zone.
        self.assertEqual(h.exchange(server.port, h.make_query(e.CHALLENGE, h.SOA)).rcode, 5)

        dns_port = self.start_unbound([cred["cname"]])
        directory = self.start_pebble(dns_port)
        ini = self.tmp / "rfc2136.ini"
        ini.touch(mode=0o600)
        ini.write_text(f"dns_rfc2136_server = 127.0.0.1\n"
                       f"dns_rfc2136_port = {server.port}\n"
                       f"dns_rfc2136_name = {tsig['name']}\n"
                       f"dns_rfc2136_secret = {tsig['secret']}\n"
                       # Upper case: any other spelling silently falls back to HMAC-MD5.
                       f"dns_rfc2136_algorithm = {tsig['algorithm'].upper()}\n")
        certbot_dir = self.tmp / "certbot"
        domains = [e.CUSTOMER, f"*.{e.CUSTOMER}"]
        cmd = [self.tools["certbot"], "certonly", "--non-interactive", "--agree-tos", "--email", "t@example.test",
               "--server", directory, "--dns-rfc2136", "--dns-rfc2136-credentials", str(ini),
               "--dns-rfc2136-propagation-seconds", "1",
               *[arg for d in domains for arg in ("-d", d)],
               "--config-dir", str(certbot_dir / "config"), "--work-dir", str(certbot_dir / "work"),
               "--logs-dir", str(certbot_dir / "logs")]
        env = {**os.environ, "HOME": str(self.tmp), "REQUESTS_CA_BUNDLE": str(self.ca_pem)}
        p = self.run_client("certbot", cmd, env)
        if p.returncode != 0:
            log = certbot_dir / "logs" / "letsencrypt.log"
            tail = log.read_text(errors="replace")[-6000:] if log.exists() else ""
            self.fail(f"certbot failed ({p.returncode}):\n{p.stdout}{p.stderr}\n--- certbot log ---\n{tail}\n"
                      f"{self.logs()}")

        crt = certbot_dir / "config" / "live" / e.CUSTOMER / "cert.pem"
        self.assertTrue(crt.is_file(), f"no certificate at {crt}:\n{p.stdout}{p.stderr}")
        self.assertEqual(e.certificate_sans(crt), {f"DNS:{d}" for d in domains})

        # Both values were applied to the credential's label (audit: one update each, written by
        # this credential) and cleaned up afterwards.
        updates = self.audit_events("--kind", "update")
        self.assertEqual(len(updates), 4, updates)  # add per name, then delete per value
        for ev in updates:
            self.assertEqual((ev["actor"], ev["label"], ev["outcome"]), (cred["username"], cred["subdomain"], "ok"), ev)
            self.assertTrue(ev["source"].startswith("rfc2136 "), ev)
        self.assertEqual(h.query(server.port, cred["fulldomain"], h.TXT).txt_values(), [])
        # The UPDATEs named the customer's name as their zone (alias mode), not acme.example.test.
        self.assertIn(f"zone={e.CHALLENGE}. ", server.log())
        self.assertNotIn(f"zone={h.ZONE}. source", server.log())


if __name__ == "__main__":
    e.main()
