// core/credential: what an admin (or acme-dns style /register) issues to one customer: a
// username, the hash of its secret (never the secret), the source ranges it may write from,
// and the labels (names directly below the zone apex) it owns. Plain data; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace acmezone::core {

// One label owned by a credential: the name directly below the zone apex that it writes TXT
// at, and the customer name it serves (whose _acme-challenge CNAMEs to it).
struct Label {
    std::string name;    // lower-case label
    std::string domain;  // customer name, canonical text without trailing dot; "" for acme-dns /register accounts
    std::string scheme;  // how the label was made: "uuid", "hash", "reverse", or "" (given by hand / imported)

    friend bool operator==(const Label&, const Label&) = default;
};

struct Credential {
    std::string username;              // lower-case UUID for acme-dns accounts
    std::string secret_hash;           // see core/secret_hash.hpp ("hmac-sha256$..." or bcrypt)
    std::vector<std::string> allowfrom;  // CIDRs as written (brackets removed); empty: anywhere
    std::vector<Label> labels;         // the labels it may write TXT at (one for acme-dns accounts)
    std::int64_t created_at = 0;       // Unix seconds
    bool disabled = false;
    std::int64_t last_used_at = 0;     // Unix seconds of the last accepted update (coarse: see store/credentials); 0 never

    friend bool operator==(const Credential&, const Credential&) = default;

    // The label with this (lower-case) name, or nullptr.
    const Label* find_label(std::string_view name) const noexcept {
        for (const auto& label : labels)
            if (label.name == name) return &label;
        return nullptr;
    }
};

}  // namespace acmezone::core
