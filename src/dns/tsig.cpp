#include "dns/tsig.hpp"

#include <cstring>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "core/rr.hpp"

namespace acmezone::dns {

namespace {

// Canonical wire names; the literal's terminating NUL is the root label.
constexpr char kMd5[] = "\x08hmac-md5\x07sig-alg\x03reg\x03int";
constexpr char kSha1[] = "\x09hmac-sha1";
constexpr char kSha224[] = "\x0bhmac-sha224";
constexpr char kSha256[] = "\x0bhmac-sha256";
constexpr char kSha384[] = "\x0bhmac-sha384";
constexpr char kSha512[] = "\x0bhmac-sha512";

struct AlgorithmInfo {
    TsigAlgorithm algorithm;
    std::string_view text;
    std::span<const std::uint8_t> wire;
    const char* digest;  // OpenSSL digest name
    std::size_t size;
};

template <std::size_t N>
std::span<const std::uint8_t> wire_of(const char (&literal)[N]) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(literal), N};
}

const AlgorithmInfo kAlgorithms[] = {
    {TsigAlgorithm::hmac_md5, "hmac-md5", wire_of(kMd5), "MD5", 16},
    {TsigAlgorithm::hmac_sha1, "hmac-sha1", wire_of(kSha1), "SHA1", 20},
    {TsigAlgorithm::hmac_sha224, "hmac-sha224", wire_of(kSha224), "SHA224", 28},
    {TsigAlgorithm::hmac_sha256, "hmac-sha256", wire_of(kSha256), "SHA256", 32},
    {TsigAlgorithm::hmac_sha384, "hmac-sha384", wire_of(kSha384), "SHA384", 48},
    {TsigAlgorithm::hmac_sha512, "hmac-sha512", wire_of(kSha512), "SHA512", 64},
};

const AlgorithmInfo& info(TsigAlgorithm a) noexcept { return kAlgorithms[static_cast<std::size_t>(a)]; }

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (core::fold_case(static_cast<std::uint8_t>(a[i])) != core::fold_case(static_cast<std::uint8_t>(b[i]))) return false;
    return true;
}

std::uint16_t get_u16(std::span<const std::uint8_t> m, std::size_t at) noexcept {
    return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}
std::uint32_t get_u32(std::span<const std::uint8_t> m, std::size_t at) noexcept {
    return (std::uint32_t{m[at]} << 24) | (std::uint32_t{m[at + 1]} << 16) | (std::uint32_t{m[at + 2]} << 8) | m[at + 3];
}

void put_u16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
void put_u48(std::uint8_t* p, std::uint64_t v) noexcept {
    for (int i = 0; i < 6; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * (5 - i)));
}

// Reads the TSIG RDATA (RFC 8945 §4.2) at [pos, pos + rdlength).
bool read_tsig_rdata(std::span<const std::uint8_t> msg, std::size_t pos, std::size_t end, TsigRecord& out) noexcept {
    if (read_name(msg.first(end), pos, out.algorithm) != NameError::none) return false;
    if (pos + 10 > end) return false;
    std::uint64_t t = 0;
    for (int i = 0; i < 6; ++i) t = (t << 8) | msg[pos + static_cast<std::size_t>(i)];
    out.time_signed = t;
    out.fudge = get_u16(msg, pos + 6);
    const std::size_t mac_size = get_u16(msg, pos + 8);
    pos += 10;
    if (pos + mac_size + 6 > end) return false;
    out.mac = msg.subspan(pos, mac_size);
    pos += mac_size;
    out.original_id = get_u16(msg, pos);
    out.error = get_u16(msg, pos + 2);
    const std::size_t other_len = get_u16(msg, pos + 4);
    pos += 6;
    if (pos + other_len != end) return false;
    out.other = msg.subspan(pos, other_len);
    return true;
}

struct EvpMacDeleter {
    void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
};
struct EvpMacCtxDeleter {
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

EVP_MAC* hmac() noexcept {
    static const std::unique_ptr<EVP_MAC, EvpMacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    return mac.get();
}

// The TSIG variables of RFC 8945 §4.3.3, names canonical.
std::size_t write_variables(const TsigKeyMaterial& key, const TsigVariables& vars, std::uint8_t* out) noexcept {
    std::uint8_t* p = out;
    const auto name = key.name.canonical_wire();
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    put_u16(p, core::rrclass::ANY);
    p += 2;
    std::memset(p, 0, 4);  // TTL
    p += 4;
    const auto alg = tsig_algorithm_wire(key.algorithm);
    std::memcpy(p, alg.data(), alg.size());
    p += alg.size();
    put_u48(p, vars.time_signed);
    put_u16(p + 6, vars.fudge);
    put_u16(p + 8, vars.error);
    put_u16(p + 10, static_cast<std::uint16_t>(vars.other.size()));
    p += 12;
    return static_cast<std::size_t>(p - out);
}

}  // namespace

std::optional<TsigAlgorithm> tsig_algorithm_from_text(std::string_view text) noexcept {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    if (iequals(text, "hmac-md5.sig-alg.reg.int")) return TsigAlgorithm::hmac_md5;
    for (const auto& a : kAlgorithms)
        if (iequals(text, a.text)) return a.algorithm;
    return std::nullopt;
}

std::optional<TsigAlgorithm> tsig_algorithm_from_wire(std::span<const std::uint8_t> canonical) noexcept {
    for (const auto& a : kAlgorithms)
        if (canonical.size() == a.wire.size() && std::memcmp(canonical.data(), a.wire.data(), a.wire.size()) == 0)
            return a.algorithm;
    return std::nullopt;
}

std::string_view tsig_algorithm_text(TsigAlgorithm a) noexcept { return info(a).text; }
std::span<const std::uint8_t> tsig_algorithm_wire(TsigAlgorithm a) noexcept { return info(a).wire; }
std::size_t tsig_digest_size(TsigAlgorithm a) noexcept { return info(a).size; }

TsigFind find_tsig(std::span<const std::uint8_t> msg, TsigRecord& out) noexcept {
    Header h;
    if (!read_header(msg, h)) return TsigFind::unreadable;
    std::size_t pos = kHeaderSize;
    WireName scratch;
    for (unsigned i = 0; i < h.qdcount; ++i) {
        if (read_name(msg, pos, scratch) != NameError::none || pos + 4 > msg.size()) return TsigFind::unreadable;
        pos += 4;
    }
    const unsigned total = unsigned{h.ancount} + h.nscount + h.arcount;
    bool found = false;
    for (unsigned i = 0; i < total; ++i) {
        const std::size_t start = pos;
        if (read_name(msg, pos, scratch) != NameError::none || pos + 10 > msg.size()) return TsigFind::unreadable;
        const std::uint16_t type = get_u16(msg, pos);
        const std::uint16_t rrclass = get_u16(msg, pos + 2);
        const std::uint32_t ttl = get_u32(msg, pos + 4);
        const std::size_t rdlength = get_u16(msg, pos + 8);
        pos += 10;
        if (pos + rdlength > msg.size()) return TsigFind::unreadable;
        if (type == core::rrtype::TSIG) {
            // RFC 8945 §5.1: one TSIG, the last RR of the additional section; class ANY, TTL 0.
            if (found || i + 1 != total || h.arcount == 0 || rrclass != core::rrclass::ANY || ttl != 0)
                return TsigFind::malformed;
            out.key_name = scratch;
            if (!read_tsig_rdata(msg, pos, pos + rdlength, out)) return TsigFind::malformed;
            out.offset = start;
            found = true;
        }
        pos += rdlength;
    }
    if (pos != msg.size()) return TsigFind::unreadable;
    return found ? TsigFind::found : TsigFind::absent;
}

bool needs_signed_path(std::span<const std::uint8_t> msg) noexcept {
    if (peek_opcode(msg) == opcode::UPDATE) return true;
    Header h;
    if (!read_header(msg, h) || h.arcount == 0) return false;
    TsigRecord rec;
    const TsigFind found = find_tsig(msg, rec);
    return found == TsigFind::found || found == TsigFind::malformed;
}

namespace {

// The MAC with the header's ID and ARCOUNT replaced (no copy of the message is made).
std::size_t mac_impl(const TsigKeyMaterial& key, std::span<const std::uint8_t> prior_mac, bool has_prior,
                     std::span<const std::uint8_t> message, std::uint16_t original_id, std::uint16_t arcount,
                     const TsigVariables& vars, std::array<std::uint8_t, kMaxTsigDigest>& out, bool timers_only = false) noexcept {
    if (message.size() < kHeaderSize || key.secret.empty() || hmac() == nullptr) return 0;
    std::unique_ptr<EVP_MAC_CTX, EvpMacCtxDeleter> ctx(EVP_MAC_CTX_new(hmac()));
    if (!ctx) return 0;
    const AlgorithmInfo& a = info(key.algorithm);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(a.digest), 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.secret.data()), key.secret.size(), params) != 1)
        return 0;
    bool ok = true;
    if (has_prior) {  // RFC 8945 §4.3.1: the request MAC, with its length
        std::uint8_t len[2];
        put_u16(len, static_cast<std::uint16_t>(prior_mac.size()));
        ok = ok && EVP_MAC_update(ctx.get(), len, 2) == 1;
        ok = ok && (prior_mac.empty() || EVP_MAC_update(ctx.get(), prior_mac.data(), prior_mac.size()) == 1);
    }
    std::uint8_t header[kHeaderSize];
    std::memcpy(header, message.data(), kHeaderSize);
    put_u16(header, original_id);  // §4.3.2: the original ID, whatever the transit ID is
    put_u16(header + 10, arcount);
    ok = ok && EVP_MAC_update(ctx.get(), header, kHeaderSize) == 1;
    ok = ok && (message.size() == kHeaderSize ||
                EVP_MAC_update(ctx.get(), message.data() + kHeaderSize, message.size() - kHeaderSize) == 1);
    std::uint8_t variables[2 * core::kMaxNameWire + 32];
    if (timers_only) {  // RFC 8945 §5.3.1: later messages of a stream cover the timers alone
        put_u48(variables, vars.time_signed);
        put_u16(variables + 6, vars.fudge);
        ok = ok && EVP_MAC_update(ctx.get(), variables, 8) == 1;
    } else {
        const std::size_t n = write_variables(key, vars, variables);
        ok = ok && EVP_MAC_update(ctx.get(), variables, n) == 1;
        ok = ok && (vars.other.empty() || EVP_MAC_update(ctx.get(), vars.other.data(), vars.other.size()) == 1);
    }
    std::size_t written = 0;
    ok = ok && EVP_MAC_final(ctx.get(), out.data(), &written, out.size()) == 1;
    return ok ? written : 0;
}

}  // namespace

std::size_t tsig_mac(const TsigKeyMaterial& key, std::span<const std::uint8_t> prior_mac, bool has_prior,
                     std::span<const std::uint8_t> message, std::uint16_t original_id, const TsigVariables& vars,
                     std::array<std::uint8_t, kMaxTsigDigest>& out) noexcept {
    if (message.size() < kHeaderSize) return 0;
    return mac_impl(key, prior_mac, has_prior, message, original_id, get_u16(message, 10), vars, out);
}

namespace {

// RFC 8945 §5.2 for a request (no prior MAC) or §5.3 for the answer to our signed request
// (the MAC also covers the request's MAC).
TsigCheck verify(std::span<const std::uint8_t> msg, const TsigRecord& rec, const TsigKeyMaterial& key,
                 std::span<const std::uint8_t> request_mac, bool is_response, std::uint64_t now,
                 const TsigPolicy& policy) noexcept {
    // §5.2.1: the algorithm must be the key's.
    const auto algorithm = tsig_algorithm_from_wire(rec.algorithm.canonical_span());
    if (!algorithm || *algorithm != key.algorithm) return TsigCheck::badkey;
    // §5.2.2.1: a MAC longer than the digest, or shorter than max(10, digest/2), is FORMERR.
    const std::size_t digest = tsig_digest_size(key.algorithm);
    const std::size_t mac_size = rec.mac.size();
    if (mac_size > digest || mac_size < std::max<std::size_t>(10, (digest + 1) / 2)) return TsigCheck::formerr;
    // §5.2.2: recompute over the message without the TSIG, ARCOUNT one less.
    if (rec.offset < kHeaderSize || rec.offset > msg.size()) return TsigCheck::formerr;
    std::array<std::uint8_t, kMaxTsigDigest> computed{};
    const TsigVariables vars{rec.time_signed, rec.fudge, rec.error, rec.other};
    const std::size_t got = mac_impl(key, request_mac, is_response, msg.first(rec.offset), rec.original_id,
                                     static_cast<std::uint16_t>(get_u16(msg, 10) - 1), vars, computed);
    if (got != digest) return TsigCheck::badsig;
    if (CRYPTO_memcmp(computed.data(), rec.mac.data(), mac_size) != 0) return TsigCheck::badsig;
    // §5.2.3: time, only after a valid MAC. The window is the request's fudge, at most ours.
    const std::uint64_t window = std::min<std::uint64_t>(rec.fudge, policy.fudge);
    const std::uint64_t skew = now > rec.time_signed ? now - rec.time_signed : rec.time_signed - now;
    if (skew > window) return TsigCheck::badtime;
    // §5.2.4: a permitted but truncated MAC below our local minimum.
    if (mac_size < digest && !policy.allow_truncation) return TsigCheck::badtrunc;
    return TsigCheck::ok;
}

}  // namespace

TsigCheck verify_tsig(std::span<const std::uint8_t> msg, const TsigRecord& rec, const TsigKeyMaterial& key,
                      std::uint64_t now, const TsigPolicy& policy) noexcept {
    return verify(msg, rec, key, {}, false, now, policy);
}

TsigCheck verify_tsig_response(std::span<const std::uint8_t> msg, const TsigRecord& rec, const TsigKeyMaterial& key,
                               std::span<const std::uint8_t> request_mac, std::uint64_t now, const TsigPolicy& policy) noexcept {
    return verify(msg, rec, key, request_mac, true, now, policy);
}

std::size_t append_tsig(std::span<std::uint8_t> buf, std::size_t length, std::span<const std::uint8_t> key_name,
                        std::span<const std::uint8_t> algorithm, const TsigVariables& vars,
                        std::span<const std::uint8_t> mac, std::uint16_t original_id) noexcept {
    const std::size_t rdlength = algorithm.size() + 10 + mac.size() + 6 + vars.other.size();
    const std::size_t need = key_name.size() + 10 + rdlength;
    if (length < kHeaderSize || length > buf.size() || buf.size() - length < need || rdlength > 0xffff) return 0;
    std::uint8_t* p = buf.data() + length;
    std::memcpy(p, key_name.data(), key_name.size());
    p += key_name.size();
    put_u16(p, core::rrtype::TSIG);
    put_u16(p + 2, core::rrclass::ANY);
    std::memset(p + 4, 0, 4);
    put_u16(p + 8, static_cast<std::uint16_t>(rdlength));
    p += 10;
    std::memcpy(p, algorithm.data(), algorithm.size());
    p += algorithm.size();
    put_u48(p, vars.time_signed);
    put_u16(p + 6, vars.fudge);
    put_u16(p + 8, static_cast<std::uint16_t>(mac.size()));
    p += 10;
    if (!mac.empty()) std::memcpy(p, mac.data(), mac.size());
    p += mac.size();
    put_u16(p, original_id);
    put_u16(p + 2, vars.error);
    put_u16(p + 4, static_cast<std::uint16_t>(vars.other.size()));
    p += 6;
    if (!vars.other.empty()) std::memcpy(p, vars.other.data(), vars.other.size());
    p += vars.other.size();
    put_u16(buf.data() + 10, static_cast<std::uint16_t>(get_u16(buf, 10) + 1));
    return static_cast<std::size_t>(p - buf.data());
}

namespace {

std::size_t sign(std::span<std::uint8_t> buf, std::size_t length, const TsigKeyMaterial& key,
                 std::span<const std::uint8_t> prior, bool has_prior, const TsigVariables& vars) noexcept {
    if (length < kHeaderSize || length > buf.size()) return 0;
    std::array<std::uint8_t, kMaxTsigDigest> mac{};
    const std::uint16_t id = get_u16(buf, 0);
    const std::size_t n = tsig_mac(key, prior, has_prior, buf.first(length), id, vars, mac);
    if (n == 0) return 0;
    const auto name = key.name.wire();
    return append_tsig(buf, length, {reinterpret_cast<const std::uint8_t*>(name.data()), name.size()},
                       tsig_algorithm_wire(key.algorithm), vars, {mac.data(), n}, id);
}

}  // namespace

std::size_t sign_response(std::span<std::uint8_t> buf, std::size_t length, const TsigKeyMaterial& key,
                          std::span<const std::uint8_t> request_mac, const TsigVariables& vars) noexcept {
    return sign(buf, length, key, request_mac, true, vars);
}

std::size_t sign_request(std::span<std::uint8_t> buf, std::size_t length, const TsigKeyMaterial& key,
                         const TsigVariables& vars) noexcept {
    return sign(buf, length, key, {}, false, vars);
}

std::size_t tsig_mac_timers_only(const TsigKeyMaterial& key, std::span<const std::uint8_t> prior_mac,
                                 std::span<const std::uint8_t> message, std::uint16_t original_id, const TsigVariables& vars,
                                 std::array<std::uint8_t, kMaxTsigDigest>& out) noexcept {
    if (message.size() < kHeaderSize) return 0;
    return mac_impl(key, prior_mac, true, message, original_id, get_u16(message, 10), vars, out, true);
}

std::size_t sign_next_message(std::span<std::uint8_t> buf, std::size_t length, const TsigKeyMaterial& key,
                              std::span<const std::uint8_t> prior_mac, const TsigVariables& vars) noexcept {
    if (length < kHeaderSize || length > buf.size()) return 0;
    std::array<std::uint8_t, kMaxTsigDigest> mac{};
    const std::uint16_t id = get_u16(buf, 0);
    const std::size_t n = tsig_mac_timers_only(key, prior_mac, buf.first(length), id, vars, mac);
    if (n == 0) return 0;
    const auto name = key.name.wire();
    return append_tsig(buf, length, {reinterpret_cast<const std::uint8_t*>(name.data()), name.size()},
                       tsig_algorithm_wire(key.algorithm), vars, {mac.data(), n}, id);
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string clean;
    for (char c : text)
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') clean.push_back(c);
    if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(clean.size() / 4 * 3);
    const auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    for (std::size_t i = 0; i < clean.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int j = 0; j < 4; ++j) {
            const char c = clean[i + static_cast<std::size_t>(j)];
            if (c == '=') {
                if (i + 4 != clean.size() || j < 2) return std::nullopt;
                v[j] = 0;
                ++pad;
            } else {
                if (pad > 0) return std::nullopt;  // data after padding
                v[j] = value(c);
                if (v[j] < 0) return std::nullopt;
            }
        }
        const std::uint32_t triple = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                                     (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
        out.push_back(static_cast<char>((triple >> 16) & 0xff));
        if (pad < 2) out.push_back(static_cast<char>((triple >> 8) & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(triple & 0xff));
    }
    return out;
}

}  // namespace acmezone::dns
