"""End-to-end: a credential cannot obtain a certificate for a name it was not issued for.

Two credentials: one for example.test (whose label the customer's CNAME names) and a foreign one
for other.test. lego (exec provider + curl /update) with the foreign credential writes the
challenge value to the foreign credential's own label, which is allowed; but pebble follows the
customer's CNAME to the example.test credential's label, finds only the owner's own (older) value
there and the order fails: "Correct value not found".
Writing the example.test credential's label with the foreign credential is refused with 401.
Topology and tools: e2e_support.py.
"""

from __future__ import annotations

import e2e_support as e
from e2e_support import h


class ForeignCredentialRejected(e.E2ETestCase):
    tools_needed = ("pebble", "lego", "unbound", "openssl", "curl")

    def test_foreign_credential_cannot_validate_customer_name(self) -> None:
        server = self.start_acmezone()
        owner = self.issue_credential(e.CUSTOMER, "reverse")
        foreign = self.issue_credential("other.test", "reverse")
        self.assertNotEqual(owner["subdomain"], foreign["subdomain"])

        # The foreign credential may not write the customer's label, not even with its own password.
        status, body = self.post_update(foreign["username"], foreign["password"], owner["subdomain"], h.acme_value(1))
        self.assertEqual(status, 401, body)
        self.assertEqual(h.query(server.port, owner["fulldomain"], h.TXT).txt_values(), [])

        # The owner's label holds a value of its own (not this order's), so pebble finds a TXT
        # there and must judge it: the foreign value is what would have to show up.
        decoy = h.acme_value(2)
        status, body = self.post_update(owner["username"], owner["password"], owner["subdomain"], decoy)
        self.assertEqual(status, 200, body)

        dns_port = self.start_unbound([owner["cname"]])
        directory = self.start_pebble(dns_port)
        script, values_log = self.write_exec_script(foreign["username"], foreign["password"], foreign["subdomain"])
        p, lego_dir = self.lego_exec(directory, dns_port, [e.CUSTOMER], script)
        output = p.stdout + p.stderr
        self.assertNotEqual(p.returncode, 0, f"lego succeeded with a foreign credential:\n{output}")
        self.assertFalse((lego_dir / "certificates" / f"{e.CUSTOMER}.crt").exists())
        # The failure is pebble's validation at the customer's CNAME target, not a broken update:
        # the value reached the foreign label, and the owner's label kept only its own value.
        self.assertRegex(output, r"\[example\.test\] acme: error: 403 :: urn:ietf:params:acme:error:unauthorized :: "
                                 r"Correct value not found for DNS challenge", output)
        posted = values_log.read_text().split()
        self.assertEqual(len(posted), 1, posted)
        self.assertEqual(h.query(server.port, foreign["fulldomain"], h.TXT).txt_values(), posted)
        self.assertEqual(h.query(server.port, owner["fulldomain"], h.TXT).txt_values(), [decoy])


if __name__ == "__main__":
    e.main()
