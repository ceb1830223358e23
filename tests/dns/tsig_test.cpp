// TSIG (RFC 8945): verification of messages signed by nsupdate and knsupdate, signatures
// compared with HMACs computed independently (Python's hmac on OpenSSL), the check order and
// error kinds, truncation rules, and TSIG placement.
#include "dns/tsig.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace acmezone::dns {
namespace {

std::vector<std::uint8_t> hex(std::string_view text) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    return out;
}
std::string to_hex(std::span<const std::uint8_t> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

const std::string kSecret = "secret-key-for-tests-12345678901234";  // base64 c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MDEyMzQ=

TsigKeyMaterial key(TsigAlgorithm algorithm, std::string_view name = "Test-Key") {
    return TsigKeyMaterial{core::Name::from_text(name).value(), algorithm, kSecret};
}

// `nsupdate -y hmac-sha256:Test-Key:<secret>`: update add T1.acme.example.test 60 TXT "vector".
const char* kNsupdateSha256 =
    "1027280000010000000100010461636d65076578616d706c6504746573740000060001025431c00c001000010000003c00070676656374"
    "6f7208746573742d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b0652bb012c0020d0c61d1ddb45ca86b8bd"
    "a2c3d0ddbd4aa4fac1c24a7790d660ba9b5399d12a59102700000000";
// The same with `knsupdate -y hmac-sha384:...`.
const char* kKnsupdateSha384 =
    "645c280000010000000100010461636d65076578616d706c6504746573740000060001025431c00c001000010000003c00070676656374"
    "6f7208746573742d6b65790000fa00ff00000000004d0b686d61632d7368613338340000006b0652bc012c00303f715f82dcf0b8484720"
    "fb5ff40507fe23eef625f6ebfc92c4b97494d24c0b4a19b04c71ca49f5884bac841c9a21c7e3645c00000000";
// The nsupdate message without its TSIG (ARCOUNT 0).
const char* kUnsigned =
    "1027280000010000000100000461636d65076578616d706c6504746573740000060001025431c00c001000010000003c00070676656374"
    "6f72";

TEST(Tsig, VerifiesNsupdateAndKnsupdate) {
    for (auto [text, algorithm] : {std::pair{kNsupdateSha256, TsigAlgorithm::hmac_sha256},
                                   std::pair{kKnsupdateSha384, TsigAlgorithm::hmac_sha384}}) {
        const auto msg = hex(text);
        TsigRecord rec;
        ASSERT_EQ(find_tsig(msg, rec), TsigFind::found);
        EXPECT_EQ(rec.fudge, 300);
        EXPECT_EQ(rec.mac.size(), tsig_digest_size(algorithm));
        EXPECT_EQ(tsig_algorithm_from_wire(rec.algorithm.canonical_span()), algorithm);
        EXPECT_EQ(verify_tsig(msg, rec, key(algorithm), rec.time_signed, {}), TsigCheck::ok);
        EXPECT_EQ(verify_tsig(msg, rec, key(algorithm), rec.time_signed + 300, {}), TsigCheck::ok);
        EXPECT_EQ(verify_tsig(msg, rec, key(algorithm), rec.time_signed - 300, {}), TsigCheck::ok);
        // §5.2.3: outside the fudge, only after the MAC was found valid.
        EXPECT_EQ(verify_tsig(msg, rec, key(algorithm), rec.time_signed + 301, {}), TsigCheck::badtime);
        EXPECT_EQ(verify_tsig(msg, rec, key(algorithm), rec.time_signed - 301, {}), TsigCheck::badtime);
        EXPECT_EQ(verify_tsig(msg, rec, key(algorithm), rec.time_signed + 100, TsigPolicy{60, false}), TsigCheck::badtime);
        // A wrong secret, a changed byte, or another algorithm.
        auto wrong = key(algorithm);
        wrong.secret[0] ^= 1;
        EXPECT_EQ(verify_tsig(msg, rec, wrong, rec.time_signed, {}), TsigCheck::badsig);
        EXPECT_EQ(verify_tsig(msg, rec, wrong, rec.time_signed + 1000, {}), TsigCheck::badsig);  // MAC before time
        auto changed = msg;
        changed[40] ^= 0x20;
        TsigRecord rec2;
        ASSERT_EQ(find_tsig(changed, rec2), TsigFind::found);
        EXPECT_EQ(verify_tsig(changed, rec2, key(algorithm), rec.time_signed, {}), TsigCheck::badsig);
        EXPECT_EQ(verify_tsig(msg, rec, key(TsigAlgorithm::hmac_sha512), rec.time_signed, {}), TsigCheck::badkey);
    }
}

TEST(Tsig, TransitIdChangeStillVerifies) {
    auto msg = hex(kNsupdateSha256);
    msg[0] ^= 0xff;  // §4.3.2: the MAC covers the original ID
    TsigRecord rec;
    ASSERT_EQ(find_tsig(msg, rec), TsigFind::found);
    EXPECT_EQ(verify_tsig(msg, rec, key(TsigAlgorithm::hmac_sha256), rec.time_signed, {}), TsigCheck::ok);
}

TEST(Tsig, SignaturesMatchIndependentHmac) {
    // Expected MACs from Python's hmac (OpenSSL) over message + TSIG variables, time 1700000000.
    const std::pair<TsigAlgorithm, const char*> cases[] = {
        {TsigAlgorithm::hmac_sha256, "96f971ccf2ce2642c94dc2dd8d59e2d9b92e981a00d289412a01af1c12ed26a3"},
        {TsigAlgorithm::hmac_sha224, "2b416e8720b41b00094b438862c617a77e07346c82bd472095ae69e2"},
        {TsigAlgorithm::hmac_sha1, "a3bf00ce03a26722b8b8a0a5441b4e3f6adc5c8f"},
        {TsigAlgorithm::hmac_md5, "d5e7d723ce924a9b28d67ee757c5989e"},
    };
    for (const auto& [algorithm, expected] : cases) {
        const auto msg = hex(kUnsigned);
        std::vector<std::uint8_t> buf(msg);
        buf.resize(1024);
        const TsigVariables vars{1700000000, 300, 0, {}};
        // The key name is written as given but hashed canonical (lower-case).
        const std::size_t len = sign_request(buf, msg.size(), key(algorithm, "TEST-key"), vars);
        ASSERT_GT(len, msg.size()) << tsig_algorithm_text(algorithm);
        buf.resize(len);
        TsigRecord rec;
        ASSERT_EQ(find_tsig(buf, rec), TsigFind::found);
        EXPECT_EQ(to_hex(rec.mac), expected) << tsig_algorithm_text(algorithm);
        EXPECT_EQ(rec.offset, msg.size());
        EXPECT_EQ(buf[11], 1);  // ARCOUNT bumped
        EXPECT_EQ(verify_tsig(buf, rec, key(algorithm), 1700000000, {}), TsigCheck::ok);
    }
}

TEST(Tsig, EveryAlgorithmRoundTripsAndSignsResponses) {
    for (auto algorithm : {TsigAlgorithm::hmac_md5, TsigAlgorithm::hmac_sha1, TsigAlgorithm::hmac_sha224,
                           TsigAlgorithm::hmac_sha256, TsigAlgorithm::hmac_sha384, TsigAlgorithm::hmac_sha512}) {
        auto request = hex(kUnsigned);
        const std::size_t unsigned_size = request.size();
        request.resize(1024);
        const std::size_t len = sign_request(request, unsigned_size, key(algorithm), {1700000000, 300, 0, {}});
        ASSERT_GT(len, 0u);
        request.resize(len);
        TsigRecord rec;
        ASSERT_EQ(find_tsig(request, rec), TsigFind::found);
        ASSERT_EQ(verify_tsig(request, rec, key(algorithm), 1700000005, {}), TsigCheck::ok);

        // A response: header only, signed over the request MAC (§5.3).
        std::vector<std::uint8_t> response(512);
        std::copy(request.begin(), request.begin() + kHeaderSize, response.begin());
        response[2] |= 0x80;
        std::fill(response.begin() + 4, response.begin() + kHeaderSize, 0);
        const std::vector<std::uint8_t> unsigned_response(response.begin(), response.begin() + kHeaderSize);
        const std::size_t rlen = sign_response(response, kHeaderSize, key(algorithm), rec.mac, {1700000006, 300, 0, {}});
        ASSERT_GT(rlen, kHeaderSize);
        response.resize(rlen);
        TsigRecord rrec;
        ASSERT_EQ(find_tsig(response, rrec), TsigFind::found);
        std::array<std::uint8_t, kMaxTsigDigest> expected{};
        const std::size_t n = tsig_mac(key(algorithm), rec.mac, true, unsigned_response,
                                       static_cast<std::uint16_t>((response[0] << 8) | response[1]), {1700000006, 300, 0, {}}, expected);
        ASSERT_EQ(n, tsig_digest_size(algorithm));
        EXPECT_EQ(to_hex(rrec.mac), to_hex(std::span(expected).first(n)));
        // Without the request MAC the response does not verify as a request would.
        EXPECT_EQ(verify_tsig(response, rrec, key(algorithm), 1700000006, {}), TsigCheck::badsig);
    }
}

// Replaces the MAC of a signed message by its first `size` octets (or a longer one).
std::vector<std::uint8_t> with_mac_size(const std::vector<std::uint8_t>& msg, std::size_t size) {
    TsigRecord rec;
    EXPECT_EQ(find_tsig(msg, rec), TsigFind::found);
    std::vector<std::uint8_t> mac(rec.mac.begin(), rec.mac.end());
    mac.resize(size, 0xab);
    std::vector<std::uint8_t> out(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(rec.offset));
    out[11] = static_cast<std::uint8_t>(out[11] - 1);
    out.resize(out.size() + 1024);
    const TsigVariables vars{rec.time_signed, rec.fudge, rec.error, rec.other};
    const std::size_t len = append_tsig(out, rec.offset, rec.key_name.wire_span(), rec.algorithm.wire_span(), vars, mac, rec.original_id);
    out.resize(len);
    return out;
}

TEST(Tsig, TruncationRules) {
    const auto msg = hex(kNsupdateSha256);
    TsigRecord rec;
    ASSERT_EQ(find_tsig(msg, rec), TsigFind::found);
    const auto t = rec.time_signed;
    const auto check = [&](std::size_t size, TsigPolicy policy = {}, std::uint64_t now = 0) {
        const auto m = with_mac_size(msg, size);
        TsigRecord r;
        EXPECT_EQ(find_tsig(m, r), TsigFind::found);
        return verify_tsig(m, r, key(TsigAlgorithm::hmac_sha256), now ? now : t, policy);
    };
    EXPECT_EQ(check(32), TsigCheck::ok);
    EXPECT_EQ(check(33), TsigCheck::formerr);  // longer than the digest
    EXPECT_EQ(check(15), TsigCheck::formerr);  // below half the digest (16)
    EXPECT_EQ(check(0), TsigCheck::formerr);
    EXPECT_EQ(check(16), TsigCheck::badtrunc);  // allowed by §5.2.2.1, below our local minimum
    EXPECT_EQ(check(16, TsigPolicy{300, true}), TsigCheck::ok);
    EXPECT_EQ(check(16, {}, t + 1000), TsigCheck::badtime);  // time is checked before truncation
    // sha1 (20 octets): the minimum is 10.
    auto sha1 = hex(kUnsigned);
    const std::size_t base = sha1.size();
    sha1.resize(1024);
    sha1.resize(sign_request(sha1, base, key(TsigAlgorithm::hmac_sha1), {t, 300, 0, {}}));
    for (auto [size, expected] : {std::pair{std::size_t{9}, TsigCheck::formerr}, std::pair{std::size_t{10}, TsigCheck::badtrunc},
                                  std::pair{std::size_t{20}, TsigCheck::ok}}) {
        const auto m = with_mac_size(sha1, size);
        TsigRecord r;
        ASSERT_EQ(find_tsig(m, r), TsigFind::found);
        EXPECT_EQ(verify_tsig(m, r, key(TsigAlgorithm::hmac_sha1), t, {}), expected) << size;
    }
    // A truncated MAC that does not match is BADSIG.
    auto bad = with_mac_size(msg, 16);
    bad[bad.size() - 6 - 1] ^= 1;  // the MAC's last octet (original ID, error, other length follow)
    TsigRecord r;
    ASSERT_EQ(find_tsig(bad, r), TsigFind::found);
    EXPECT_EQ(verify_tsig(bad, r, key(TsigAlgorithm::hmac_sha256), t, TsigPolicy{300, true}), TsigCheck::badsig);
}

TEST(Tsig, Placement) {
    const auto msg = hex(kNsupdateSha256);
    TsigRecord rec;
    ASSERT_EQ(find_tsig(msg, rec), TsigFind::found);
    EXPECT_TRUE(needs_signed_path(msg));
    EXPECT_EQ(find_tsig(hex(kUnsigned), rec), TsigFind::absent);

    // Two TSIGs: the first is not last.
    std::vector<std::uint8_t> twice(msg);
    twice.insert(twice.end(), msg.begin() + static_cast<std::ptrdiff_t>(rec.offset), msg.end());
    twice[11] = 2;
    EXPECT_EQ(find_tsig(twice, rec), TsigFind::malformed);
    // The TSIG counted in the authority section instead.
    std::vector<std::uint8_t> authority(msg);
    authority[9] = 2;
    authority[11] = 0;
    EXPECT_EQ(find_tsig(authority, rec), TsigFind::malformed);
    // Class other than ANY.
    std::vector<std::uint8_t> klass(msg);
    ASSERT_EQ(find_tsig(msg, rec), TsigFind::found);
    const std::size_t type_at = rec.offset + rec.key_name.size;
    klass[type_at + 3] = 1;
    EXPECT_EQ(find_tsig(klass, rec), TsigFind::malformed);
    // Truncated message.
    std::vector<std::uint8_t> cut(msg.begin(), msg.end() - 3);
    EXPECT_EQ(find_tsig(cut, rec), TsigFind::unreadable);
    // A plain query (opcode QUERY, no additional) stays on the fast path.
    std::vector<std::uint8_t> query(hex(kUnsigned));
    query[2] = 0x01;
    query[4] = 0;
    query[5] = 1;
    query[7] = 0;
    EXPECT_FALSE(needs_signed_path(std::span(query).first(kHeaderSize + 23)));
}

TEST(Tsig, AlgorithmNames) {
    EXPECT_EQ(tsig_algorithm_from_text("HMAC-SHA256"), TsigAlgorithm::hmac_sha256);
    EXPECT_EQ(tsig_algorithm_from_text("hmac-md5.sig-alg.reg.int."), TsigAlgorithm::hmac_md5);
    EXPECT_EQ(tsig_algorithm_from_text("hmac-sha384"), TsigAlgorithm::hmac_sha384);
    EXPECT_FALSE(tsig_algorithm_from_text("hmac-sha3"));
    for (auto a : {TsigAlgorithm::hmac_md5, TsigAlgorithm::hmac_sha1, TsigAlgorithm::hmac_sha224, TsigAlgorithm::hmac_sha256,
                   TsigAlgorithm::hmac_sha384, TsigAlgorithm::hmac_sha512})
        EXPECT_EQ(tsig_algorithm_from_wire(tsig_algorithm_wire(a)), a);
}

TEST(Tsig, Base64) {
    EXPECT_EQ(base64_decode("c2VjcmV0LWtleS1mb3ItdGVzdHMtMTIzNDU2Nzg5MDEyMzQ="), kSecret);
    EXPECT_EQ(base64_decode("YQ=="), "a");
    EXPECT_EQ(base64_decode("YWI="), "ab");
    EXPECT_EQ(base64_decode("YW Jj\n"), "abc");
    EXPECT_FALSE(base64_decode("YQ="));
    EXPECT_FALSE(base64_decode("Y==="));
    EXPECT_FALSE(base64_decode("YQ==YQ=="));
    EXPECT_FALSE(base64_decode("!!!!"));
    EXPECT_FALSE(base64_decode(""));
}

}  // namespace
}  // namespace acmezone::dns
