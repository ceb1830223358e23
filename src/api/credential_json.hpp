// api/credential_json: THE JSON form of a credential, used by the admin API and by the CLI's
// --json (app calls it), so both print the same thing. Shape (fields in this order):
//   {"username", "password" (issue/rotate only), "subdomain", "fulldomain", "allowfrom",
//    "cname", "tsig": {"name", "algorithm", "secret" (base64; issue/rotate only)} | null,
//    "disabled", "created_at", "last_used_at" (RFC 3339 UTC or null),
//    "names": [{"domain", "subdomain", "fulldomain", "cname", "scheme"}, ...], "notes": [...]}
// The top-level subdomain/fulldomain/cname are those of the first name, so the object can be
// pasted into an acme-dns client's storage as is; "names" has one entry per customer name.
// "cname" is the exact zone-file line the customer publishes:
//   _acme-challenge.www.example.com. CNAME com-example-www.acme.example.net.
// Also the audit event form. Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "api/json_body.hpp"
#include "core/zone.hpp"
#include "store/audit.hpp"
#include "store/credential_admin.hpp"

namespace acmezone::api {

Json credential_json(const store::CredentialView& view, const core::Zone& zone);
// {"time": RFC 3339 with ns, "kind", "actor", "label", "source", "outcome", "detail", "cursor"}
Json audit_event_json(const store::AuditEvent& event);

// The CNAME line for one label of a credential; "" when the label has no customer name.
std::string cname_line(const core::Label& label, const core::Zone& zone);
// Unix seconds as RFC 3339 UTC ("2024-06-01T12:00:00Z").
std::string rfc3339(std::int64_t unix_seconds);
std::string base64(std::string_view bytes);

}  // namespace acmezone::api
