// core/credential: what an admin (or acme-dns style /register) issues to one customer: a
// username, the hash of its secret (never the secret), the source ranges it may write from,
// and the labels (names directly below the zone apex) it owns. Plain data; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace acmezone::core {

struct Credential {
    std::string username;              // lower-case UUID for acme-dns accounts
    std::string secret_hash;           // see core/secret_hash.hpp ("hmac-sha256$..." or bcrypt)
    std::vector<std::string> allowfrom;  // CIDRs as written (brackets removed); empty: anywhere
    std::vector<std::string> labels;   // lower-case labels it may write TXT at (one for acme-dns accounts)
    std::int64_t created_at = 0;       // Unix seconds
    bool disabled = false;

    friend bool operator==(const Credential&, const Credential&) = default;
};

}  // namespace acmezone::core
