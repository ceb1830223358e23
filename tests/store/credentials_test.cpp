#include "store/credentials.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace acmezone::store::testing {
namespace {

core::Credential sample(std::string user = "6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60", std::string label = "A1b2") {
    core::Credential c;
    c.username = std::move(user);
    c.secret_hash = "hmac-sha256$" + std::string(64, 'a');
    c.allowfrom = {"10.0.0.0/8", "::1/128"};
    c.labels = {core::Label{std::move(label), "www.example.com", "reverse"}};
    c.created_at = 1700000000;
    return c;
}

TEST(CredentialCodec, RoundTrip) {
    core::Credential c = sample();
    c.disabled = true;
    c.created_at = -5;
    const std::string raw = encode_credential(c);
    core::Credential back;
    back.allowfrom = {"stale"};  // overwritten, not appended to
    ASSERT_TRUE(decode_credential({reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()}, back));
    EXPECT_EQ(back, c);
}

TEST(CredentialCodec, ReadsRecordsWrittenBeforeLastUse) {
    core::Credential c = sample();
    c.last_used_at = 1700000000;
    const std::string raw = encode_credential(c);
    const std::string old = raw.substr(0, raw.size() - 8);  // format 1 as first shipped
    core::Credential back;
    back.last_used_at = 5;
    ASSERT_TRUE(decode_credential({reinterpret_cast<const std::uint8_t*>(old.data()), old.size()}, back));
    EXPECT_EQ(back.last_used_at, 0);
    EXPECT_EQ(back.labels, c.labels);
    ASSERT_TRUE(decode_credential({reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()}, back));
    EXPECT_EQ(back.last_used_at, 1700000000);
}

TEST(CredentialCodec, RejectsBadData) {
    const std::string raw = encode_credential(sample());
    core::Credential out;
    const auto span = [](const std::string& s) { return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); };
    EXPECT_FALSE(decode_credential(span(""), out));
    // raw.size() - 8 is a record written before last_used_at existed: valid (see the next test).
    for (std::size_t cut = 1; cut < raw.size(); ++cut) {
        if (cut == raw.size() - 8) continue;
        EXPECT_FALSE(decode_credential(span(raw.substr(0, cut)), out)) << cut;
    }
    EXPECT_FALSE(decode_credential(span(raw + "x"), out));
    std::string future = raw;
    future[0] = 2;
    auto st = decode_credential(span(future), out);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("format 2"), std::string::npos);
}

class CredentialStoreTest : public StoreFixture {};

TEST_F(CredentialStoreTest, InsertFindList) {
    CredentialStore creds(*store_);
    ASSERT_TRUE(creds.insert(sample()));
    core::Credential out;
    auto found = creds.find("6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60", out);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_TRUE(*found);
    ASSERT_EQ(out.labels.size(), 1u);
    EXPECT_EQ(out.labels[0].name, "a1b2");  // labels are stored lower-case
    EXPECT_EQ(out.labels[0].domain, "www.example.com");
    EXPECT_EQ(out.allowfrom, sample().allowfrom);
    auto missing = creds.find("nobody", out);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);

    EXPECT_EQ(creds.owner_of("A1B2").value(), std::optional<std::string>("6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60"));
    EXPECT_FALSE(creds.owner_of("zzz").value().has_value());

    ASSERT_TRUE(creds.insert(sample("00000000-0000-4000-8000-000000000000", "other")));
    auto all = creds.list();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].username, "00000000-0000-4000-8000-000000000000");  // ordered by username
}

TEST_F(CredentialStoreTest, ConflictsWriteNothing) {
    CredentialStore creds(*store_);
    ASSERT_TRUE(creds.insert(sample()));
    auto same_user = creds.insert(sample("6f0c7c4e-5a55-4b8e-9c0e-1b2c3d4e5f60", "fresh"));
    ASSERT_FALSE(same_user);
    EXPECT_EQ(same_user.error().code, core::Errc::conflict);
    EXPECT_FALSE(creds.owner_of("fresh").value().has_value());

    auto same_label = creds.insert(sample("11111111-1111-4111-8111-111111111111", "a1B2"));
    ASSERT_FALSE(same_label);
    EXPECT_EQ(same_label.error().code, core::Errc::conflict);
    core::Credential out;
    EXPECT_FALSE(creds.find("11111111-1111-4111-8111-111111111111", out).value());  // rolled back

    EXPECT_FALSE(creds.insert(sample("", "x")));
    EXPECT_FALSE(creds.insert(sample("u", std::string(64, 'a'))));
}

TEST_F(CredentialStoreTest, UpdateSecretHashIsConditional) {
    CredentialStore creds(*store_);
    ASSERT_TRUE(creds.insert(sample()));
    const std::string user = sample().username;
    EXPECT_FALSE(creds.update_secret_hash(user, "not-the-current-hash", "new").value());
    EXPECT_TRUE(creds.update_secret_hash(user, sample().secret_hash, "hmac-sha256$new").value());
    core::Credential out;
    ASSERT_TRUE(creds.find(user, out).value());
    EXPECT_EQ(out.secret_hash, "hmac-sha256$new");
    ASSERT_EQ(out.labels.size(), 1u);
    EXPECT_EQ(out.labels[0].name, "a1b2");
    EXPECT_FALSE(creds.update_secret_hash("nobody", "x", "y").value());
}

TEST_F(CredentialStoreTest, HashKeyIsCreatedOnceAndKept) {
    const auto key = std::vector<std::uint8_t>(store_->hash_key().begin(), store_->hash_key().end());
    ASSERT_EQ(key.size(), 32u);
    EXPECT_NE(key, std::vector<std::uint8_t>(32, 0));
    store_.reset();
    auto again = Store::open(options_);
    ASSERT_TRUE(again);
    EXPECT_EQ(std::vector<std::uint8_t>((*again)->hash_key().begin(), (*again)->hash_key().end()), key);
    StoreOptions ro = options_;
    ro.read_only = true;
    auto reader = Store::open(ro);
    ASSERT_TRUE(reader) << reader.error().message;
    EXPECT_EQ(std::vector<std::uint8_t>((*reader)->hash_key().begin(), (*reader)->hash_key().end()), key);
    // A second process's view: credentials written by one handle are seen by the other.
    CredentialStore writer_side(**again);
    ASSERT_TRUE(writer_side.insert(sample()));
    core::Credential out;
    EXPECT_TRUE(CredentialStore(**reader).find(sample().username, out).value());
}

}  // namespace
}  // namespace acmezone::store::testing
