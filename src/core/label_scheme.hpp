// core/label_scheme: customer names and the labels made from them. A customer name (the name a
// certificate is for, whose _acme-challenge CNAMEs into our zone) is normalised first, then one
// of three schemes makes the label directly below our zone apex. Pure functions; thread-safe.
//
// Normalisation: IDN U-labels become A-labels (libidn2, IDNA2008 non-transitional, NFC), ASCII
// is lower-cased, one trailing dot and one leading "*." (a wildcard is validated at its base
// name) are removed. The result must be a host name a CA can issue for: at least two labels,
// each 1..63 of [a-z0-9-] not starting or ending with '-' (RFC 1123 §2.1, RFC 5890 §2.3.1),
// at most 253 characters in text form.
//
// Schemes:
//  - uuid:    a random RFC 9562 version 4 UUID (acme-dns style), 36 characters.
//  - hash:    base32 (RFC 4648 alphabet, lower-case, no padding) of the first 20 bytes of
//             SHA-256(normalised name): 32 characters of [a-z2-7]. Stable and pre-computable.
//  - reverse: the labels in reverse order joined by '-', each '-' inside a label doubled:
//             www.example.com -> com-example-www, xn--bcher-kva.example -> example-xn----bcher--kva.
//             One-to-one: labels never start or end with '-', so in the output a run of one '-'
//             is always a separator and a run of 2m dashes is always m dashes inside one label
//             (an odd run longer than one cannot occur); decode_reverse undoes it. A result
//             longer than 63 octets falls back to `hash` (IssuedLabel::fell_back says so).
//             reverse labels always contain '-' and hash labels never do, so the two cannot meet.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace acmezone::core {

enum class LabelScheme { uuid, hash, reverse };

// "uuid" | "hash" | "reverse"; nullopt otherwise.
std::optional<LabelScheme> parse_label_scheme(std::string_view text) noexcept;
const char* to_string(LabelScheme scheme) noexcept;

// The normalised customer name (no trailing dot), or invalid_argument naming the problem.
Result<std::string> normalise_customer_name(std::string_view text);

// The `hash` label of an already normalised name.
std::string hash_label(std::string_view normalised);
// The `reverse` encoding of an already normalised name, whatever its length.
std::string reverse_encode(std::string_view normalised);
// The name a reverse encoding stands for; nullopt for text that no name encodes to.
std::optional<std::string> reverse_decode(std::string_view label);

struct IssuedLabel {
    std::string label;     // the label below the zone apex
    LabelScheme scheme;    // the scheme actually used (hash after a fallback)
    bool fell_back = false;  // reverse was asked for but the result exceeded 63 octets
};

// The label for a normalised name under `scheme` (uuid ignores the name).
IssuedLabel make_label(std::string_view normalised, LabelScheme scheme);

}  // namespace acmezone::core
