#include "store/tsig_keys.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace acmezone::store::testing {
namespace {

TsigKey key(std::string_view name, std::string user, std::string algorithm = "hmac-sha256") {
    return TsigKey{n(name), std::move(algorithm), std::string("\x01\x00\xffsecret", 9), std::move(user)};
}

class TsigKeyStoreTest : public StoreFixture {};

TEST_F(TsigKeyStoreTest, InsertFindCaseInsensitive) {
    TsigKeyStore keys(*store_);
    ASSERT_TRUE(keys.insert(key("Com-Example-WWW.acme.test", "alice")));
    TsigKey out;
    auto found = keys.find(n("com-example-www.ACME.test"), out);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(*found);
    EXPECT_EQ(out, key("Com-Example-WWW.acme.test", "alice"));
    EXPECT_EQ(out.name.to_text(), "Com-Example-WWW.acme.test.");  // case kept
    EXPECT_EQ(out.secret.size(), 9u);                              // binary secret intact
    auto missing = keys.find(n("other.acme.test"), out);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
}

TEST_F(TsigKeyStoreTest, DuplicateIsConflictAndKeepsFirst) {
    TsigKeyStore keys(*store_);
    ASSERT_TRUE(keys.insert(key("k1.acme.test", "alice")));
    auto st = keys.insert(key("K1.acme.test", "bob"));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, core::Errc::conflict);
    TsigKey out;
    ASSERT_TRUE(*keys.find(n("k1.acme.test"), out));
    EXPECT_EQ(out.username, "alice");
}

TEST_F(TsigKeyStoreTest, RejectsInvalidKeys) {
    TsigKeyStore keys(*store_);
    EXPECT_FALSE(keys.insert(key("k.acme.test", "alice", "hmac-sha3")));
    EXPECT_FALSE(keys.insert(TsigKey{n("k.acme.test"), "hmac-sha256", "", "alice"}));
    EXPECT_FALSE(keys.insert(TsigKey{n("k.acme.test"), "hmac-sha256", "s", ""}));
    EXPECT_FALSE(keys.insert(TsigKey{core::Name(), "hmac-sha256", "s", "alice"}));
    TsigKey out;
    EXPECT_FALSE(*keys.find(n("k.acme.test"), out));
}

TEST_F(TsigKeyStoreTest, RemoveAndRemoveFor) {
    TsigKeyStore keys(*store_);
    ASSERT_TRUE(keys.insert(key("a1.acme.test", "alice")));
    ASSERT_TRUE(keys.insert(key("a2.acme.test", "alice", "hmac-sha512")));
    ASSERT_TRUE(keys.insert(key("b1.acme.test", "bob")));
    auto listed = keys.list_for("alice");
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[1].algorithm, "hmac-sha512");

    auto removed = keys.remove(n("A1.acme.test"));
    ASSERT_TRUE(removed);
    EXPECT_TRUE(*removed);
    EXPECT_FALSE(*keys.remove(n("a1.acme.test")));

    ASSERT_TRUE(keys.insert(key("a3.acme.test", "alice")));
    auto count = keys.remove_for("alice");
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, 2u);
    EXPECT_EQ(*keys.remove_for("alice"), 0u);
    EXPECT_TRUE(keys.list_for("alice")->empty());
    TsigKey out;
    EXPECT_TRUE(*keys.find(n("b1.acme.test"), out));  // other credentials untouched
}

TEST_F(TsigKeyStoreTest, SurvivesReopen) {
    {
        TsigKeyStore keys(*store_);
        ASSERT_TRUE(keys.insert(key("k.acme.test", "alice", "hmac-sha384")));
    }
    store_.reset();
    auto reopened = Store::open(options_);
    ASSERT_TRUE(reopened);
    TsigKeyStore keys(**reopened);
    TsigKey out;
    ASSERT_TRUE(*keys.find(n("k.acme.test"), out));
    EXPECT_EQ(out.algorithm, "hmac-sha384");
}

}  // namespace
}  // namespace acmezone::store::testing
