// store/credential_admin: what an admin does with credentials, shared by the admin API and the
// CLI (both call this; neither knows the other): issue (labels by scheme, secret, TSIG key),
// list, show, rotate, disable/enable, revoke, and deleting a label's TXT values. Credential
// and label changes use short write transactions of their own, each with its audit event in
// the same transaction; TXT records change only through the Writer (which audits them as
// `update` events). Thread-safe as its parts are; one object per request or command is cheap.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/credential.hpp"
#include "core/label_scheme.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/audit.hpp"
#include "store/store.hpp"
#include "store/tsig_keys.hpp"
#include "store/writer.hpp"

namespace acmezone::store {

inline constexpr std::size_t kMaxNamesPerCredential = 100;
inline constexpr std::string_view kIssuedTsigAlgorithm = "hmac-sha256";
inline constexpr std::size_t kIssuedTsigBytes = 32;

// Who asks, for the audit log: an admin token's name ("api:<address>" source) or "cli" ("local").
struct AdminActor {
    std::string name;
    std::string source;
};

struct IssueRequest {
    std::vector<std::string> domains;    // customer names as given (normalised here)
    core::LabelScheme scheme = core::LabelScheme::reverse;
    std::vector<std::string> allowfrom;  // CIDRs (acme-dns form; brackets removed)
    bool replace = false;                // take over names that another credential holds
    AuditKind audit_kind = AuditKind::issue;  // register for /register with a domain
};

// A credential as shown to an admin. Secrets are filled in only by issue and rotate.
struct CredentialView {
    core::Credential credential;
    std::optional<std::string> password;  // issue / rotate only
    std::vector<TsigKey> tsig_keys;       // secrets cleared unless show_tsig_secret
    bool show_tsig_secret = false;
    std::vector<std::string> notes;       // e.g. a reverse label that fell back to hash
};

struct CredentialFilter {
    std::optional<std::string> name;       // a customer name: the name itself or a name below it
    std::optional<std::string> label;      // exact label
    std::optional<std::string> scheme;     // some label made with this scheme
    std::optional<std::int64_t> used_since;    // last use at or after (Unix seconds)
    std::optional<std::int64_t> unused_since;  // no use since (Unix seconds; never used counts)
    std::optional<bool> disabled;
};

class CredentialAdmin {
public:
    CredentialAdmin(Store& store, Writer& writer, std::shared_ptr<const core::Zone> zone);

    core::Result<CredentialView> issue(const IssueRequest& request, const AdminActor& actor);
    core::Result<std::vector<CredentialView>> list(const CredentialFilter& filter) const;
    core::Result<CredentialView> show(std::string_view username) const;
    // A new secret; the old one stops working with this commit. `new_tsig`: new TSIG secrets too.
    core::Result<CredentialView> rotate(std::string_view username, bool new_tsig, const AdminActor& actor);
    core::Result<CredentialView> set_disabled(std::string_view username, bool disabled, const AdminActor& actor);
    // Removes the credential, its labels, its TSIG keys, and its labels' TXT records.
    core::Status revoke(std::string_view username, const AdminActor& actor);
    // Deletes every TXT value at <label>.<apex>; true when there were some.
    core::Result<bool> delete_txt(std::string_view label, const AdminActor& actor);

    const core::Zone& zone() const noexcept { return *zone_; }

private:
    core::Status clear_txt(const std::vector<std::string>& labels, const AdminActor& actor);
    core::Result<std::vector<TsigKey>> keys_of(std::string_view username, bool with_secret) const;

    Store& store_;
    Writer& writer_;
    std::shared_ptr<const core::Zone> zone_;
};

// "1700000000" (Unix seconds), or an age before `now`: "90d", "12h", "30m", "45s".
core::Result<std::int64_t> parse_time_spec(std::string_view text, std::int64_t now);

// The zone apex as text without the trailing dot (what acme-dns calls the domain).
std::string apex_text(const core::Zone& zone);

}  // namespace acmezone::store
