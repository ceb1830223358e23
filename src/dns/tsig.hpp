// dns/tsig: transaction signatures (RFC 8945) on OpenSSL HMAC, for the server side: find the
// TSIG RR of a request, verify it in the RFC's order (key, MAC, time, truncation) and sign
// responses, including the unsigned (MAC size 0) error replies of §5.3.2. Names in the MAC
// input are canonical and uncompressed (§4.3.3). Plain functions on caller-owned buffers;
// thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/name.hpp"
#include "dns/wire_reader.hpp"

namespace acmezone::dns {

// RFC 8945 §6. hmac-md5 is only accepted when the operator allows it.
enum class TsigAlgorithm : std::uint8_t { hmac_md5, hmac_sha1, hmac_sha224, hmac_sha256, hmac_sha384, hmac_sha512 };

inline constexpr std::size_t kMaxTsigDigest = 64;  // SHA-512

namespace tsig_error {  // RFC 8945 §3 (TSIG Error field)
inline constexpr std::uint16_t NOERROR = 0, BADSIG = 16, BADKEY = 17, BADTIME = 18, BADTRUNC = 22;
}

// "hmac-sha256" (also the wire spelling "hmac-md5.sig-alg.reg.int"), case-insensitive.
std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text) noexcept;
// From a canonical (lower-case) uncompressed wire name.
std::optional<TsigAlgorithm> tsig_algorithm_from_wire(std::span<const std::uint8_t> canonical) noexcept;
std::string_view tsig_algorithm_text(TsigAlgorithm algorithm) noexcept;   // "hmac-sha256"
std::span<const std::uint8_t> tsig_algorithm_wire(TsigAlgorithm algorithm) noexcept;  // canonical wire
std::size_t tsig_digest_size(TsigAlgorithm algorithm) noexcept;

struct TsigKeyMaterial {
    core::Name name;
    TsigAlgorithm algorithm = TsigAlgorithm::hmac_sha256;
    std::string secret;  // raw bytes
};

// The TSIG RR of a message, located in place (spans point into the message).
struct TsigRecord {
    std::size_t offset = 0;  // where the TSIG RR starts: the message without it is [0, offset)
    WireName key_name;
    WireName algorithm;
    std::uint64_t time_signed = 0;  // 48 bits
    std::uint16_t fudge = 0;
    std::span<const std::uint8_t> mac;
    std::uint16_t original_id = 0;
    std::uint16_t error = 0;
    std::span<const std::uint8_t> other;
};

enum class TsigFind {
    absent,     // no TSIG RR
    found,      // exactly one, the last RR of the additional section (RFC 8945 §5.1)
    malformed,  // elsewhere, more than one, bad RDATA, or not class ANY / TTL 0: FORMERR
    unreadable, // the message itself is broken (the responder's FORMERR)
};

// Walks every section (compression-safe, no allocation).
TsigFind find_tsig(std::span<const std::uint8_t> msg, TsigRecord& out) noexcept;

// True when `msg` is an UPDATE or carries a TSIG RR (well placed or not): such messages do not
// belong to the plain query path. No allocation; cheap when ARCOUNT is 0.
bool needs_signed_path(std::span<const std::uint8_t> msg) noexcept;

// Outcome of RFC 8945 §5.2 checks, in that order.
enum class TsigCheck { ok, formerr, badkey, badsig, badtime, badtrunc };

struct TsigPolicy {
    std::uint16_t fudge = 300;  // seconds we allow (the larger of ours and the request's is not used: ours rules)
    bool allow_truncation = false;  // accept MACs shorter than the digest (§5.2.2.1); otherwise BADTRUNC
};

// Verifies `rec` (found in `msg`) with `key` at time `now`; the caller has looked the key up
// by name (unknown -> BADKEY before calling). An algorithm other than the key's is BADKEY.
TsigCheck verify_tsig(std::span<const std::uint8_t> msg, const TsigRecord& rec, const TsigKeyMaterial& key,
                      std::uint64_t now, const TsigPolicy& policy) noexcept;
// The same checks for the answer to a request we signed (RFC 8945 §5.3): its MAC also covers
// `request_mac`, the MAC our request carried.
TsigCheck verify_tsig_response(std::span<const std::uint8_t> msg, const TsigRecord& rec, const TsigKeyMaterial& key,
                               std::span<const std::uint8_t> request_mac, std::uint64_t now, const TsigPolicy& policy) noexcept;

// The MAC over a message (RFC 8945 §4.3): [prior MAC with 2-octet length] + `message` (the
// header's ID replaced by `original_id`, ARCOUNT as given in the bytes) + the TSIG variables.
// Returns the digest length (0 on an OpenSSL failure).
struct TsigVariables {
    std::uint64_t time_signed = 0;
    std::uint16_t fudge = 300;
    std::uint16_t error = 0;
    std::span<const std::uint8_t> other{};
};
std::size_t tsig_mac(const TsigKeyMaterial& key, std::span<const std::uint8_t> prior_mac, bool has_prior,
                     std::span<const std::uint8_t> message, std::uint16_t original_id, const TsigVariables& vars,
                     std::array<std::uint8_t, kMaxTsigDigest>& out) noexcept;

// Appends a TSIG RR to the message in buf[0, length) and bumps ARCOUNT. The names are wire
// form (written uncompressed); `mac` may be empty (unsigned error replies, §5.3.2). Returns the
// new length, or 0 when it does not fit in `buf`.
std::size_t append_tsig(std::span<std::uint8_t> buf, std::size_t length, std::span<const std::uint8_t> key_name,
                        std::span<const std::uint8_t> algorithm, const TsigVariables& vars,
                        std::span<const std::uint8_t> mac, std::uint16_t original_id) noexcept;

// Signs the response in buf[0, length) (RFC 8945 §5.3): MAC over the request MAC, the
// response and the variables; appends the TSIG. Returns the new length, 0 when it does not fit.
std::size_t sign_response(std::span<std::uint8_t> buf, std::size_t length, const TsigKeyMaterial& key,
                          std::span<const std::uint8_t> request_mac, const TsigVariables& vars) noexcept;

// Later messages of a multi-message answer (AXFR/IXFR, RFC 8945 §5.3.1): the MAC covers the
// previous message's MAC (with its length), this message, and only the timers (time signed,
// fudge). Returns the new length, 0 when it does not fit.
std::size_t sign_next_message(std::span<std::uint8_t> buf, std::size_t length, const TsigKeyMaterial& key,
                              std::span<const std::uint8_t> prior_mac, const TsigVariables& vars) noexcept;
// The timers-only MAC itself (for verifying such a stream); the digest length or 0.
std::size_t tsig_mac_timers_only(const TsigKeyMaterial& key, std::span<const std::uint8_t> prior_mac,
                                 std::span<const std::uint8_t> message, std::uint16_t original_id, const TsigVariables& vars,
                                 std::array<std::uint8_t, kMaxTsigDigest>& out) noexcept;

// Signs a request (client side; used by tests and tools). Returns the new length or 0.
std::size_t sign_request(std::span<std::uint8_t> buf, std::size_t length, const TsigKeyMaterial& key,
                         const TsigVariables& vars) noexcept;

// RFC 4648 base64 (with padding, whitespace ignored); nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace acmezone::dns
