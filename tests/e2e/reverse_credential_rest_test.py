"""End-to-end: an admin issues a `reverse` credential for www.example.test; the customer publishes
the exact CNAME line the CLI printed; lego (exec provider + curl /update with the printed username,
password and subdomain) obtains a certificate for www.example.test from pebble; the audit log shows
the issue and the update. Topology and tools: see e2e_support.py.
"""

from __future__ import annotations

import e2e_support as e
from e2e_support import h

DOMAIN = f"www.{e.CUSTOMER}"


class ReverseCredentialRest(e.E2ETestCase):
    tools_needed = ("pebble", "lego", "unbound", "openssl", "curl")

    def test_issued_credential_obtains_a_certificate(self) -> None:
        server = self.start_acmezone()
        cred = self.issue_credential(DOMAIN, "reverse")
        self.assertEqual(cred["subdomain"], "test-example-www", cred)
        self.assertEqual(cred["cname"], f"_acme-challenge.{DOMAIN}. CNAME test-example-www.{h.ZONE}.", cred)

        dns_port = self.start_unbound([cred["cname"]], probe=f"_acme-challenge.{DOMAIN}")
        directory = self.start_pebble(dns_port)
        script, values_log = self.write_exec_script(cred["username"], cred["password"], cred["subdomain"])
        p, lego_dir = self.lego_exec(directory, dns_port, [DOMAIN], script)
        self.assert_lego_certificate(p, lego_dir, [DOMAIN])

        posted = values_log.read_text().split()
        self.assertEqual(len(posted), 1, posted)
        self.assertEqual(h.query(server.port, cred["fulldomain"], h.TXT).txt_values(), posted)

        events = self.audit_events()
        kinds = [(ev["kind"], ev["actor"], ev["label"], ev["outcome"]) for ev in events]
        issue = [ev for ev in events if ev["kind"] == "issue"]
        update = [ev for ev in events if ev["kind"] == "update"]
        self.assertEqual(len(issue), 1, kinds)
        self.assertEqual(issue[0]["actor"], "cli", issue[0])
        self.assertEqual(len(update), 1, kinds)
        self.assertEqual(update[0]["actor"], cred["username"], update[0])
        self.assertEqual(update[0]["label"], cred["subdomain"], update[0])
        self.assertLess(events.index(issue[0]), events.index(update[0]), kinds)


if __name__ == "__main__":
    e.main()
