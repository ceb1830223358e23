// core/txt: the TXT value rules (RFC 1035 §3.3.14). A TXT RDATA is one or more
// character-strings of at most 255 octets; a value is their concatenation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace acmezone::core {

inline constexpr std::size_t kMaxTxtRdata = 65535;
inline constexpr std::size_t kAcmeTokenLength = 43;  // base64url(SHA-256) without padding, RFC 8555 §8.4

// Splits a value into 255-octet character-strings. Empty value -> one empty string.
Result<std::string> txt_rdata_from_value(std::string_view value);
// Concatenates the character-strings; fails on malformed RDATA.
Result<std::string> txt_value_from_rdata(std::string_view rdata);
// True when rdata is a well-formed sequence of character-strings.
bool is_valid_txt_rdata(std::string_view rdata) noexcept;
// Exactly 43 characters of [A-Za-z0-9_-]: what an ACME dns-01 challenge writes.
bool is_acme_challenge_value(std::string_view value) noexcept;

}  // namespace acmezone::core
