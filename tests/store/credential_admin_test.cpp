#include "store/credential_admin.hpp"

#include "core/scope.hpp"
#include "core/secret_hash.hpp"
#include "store/audit.hpp"
#include "store/credentials.hpp"
#include "store/tsig_keys.hpp"
#include "test_support.hpp"

namespace acmezone::store {
namespace {

using testing::StoreFixture;

const AdminActor kActor{"ops", "unit"};

class CredentialAdminTest : public StoreFixture {
protected:
    void SetUp() override {
        StoreFixture::SetUp();
        zone_ = testing::make_zone();
        writer_ = std::make_unique<Writer>(*store_, zone_);
        admin_ = std::make_unique<CredentialAdmin>(*store_, *writer_, zone_);
    }
    void TearDown() override { writer_->stop(); }

    CredentialView issue(std::vector<std::string> domains, core::LabelScheme scheme = core::LabelScheme::reverse,
                         bool replace = false) {
        IssueRequest req;
        req.domains = std::move(domains);
        req.scheme = scheme;
        req.replace = replace;
        auto r = admin_->issue(req, kActor);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : CredentialView{};
    }
    std::vector<AuditEvent> audit(AuditKind kind) {
        AuditFilter f;
        f.kind = kind;
        f.limit = 1000;
        auto page = AuditLog(*store_).page(f);
        EXPECT_TRUE(page);
        return page ? page->events : std::vector<AuditEvent>{};
    }

    std::shared_ptr<const core::Zone> zone_;
    std::unique_ptr<Writer> writer_;
    std::unique_ptr<CredentialAdmin> admin_;
};

TEST_F(CredentialAdminTest, IssuesReverseLabelsWithSecretAndTsigKey) {
    auto view = issue({"WWW.Example.com.", "example.com"});
    const auto& c = view.credential;
    ASSERT_EQ(c.labels.size(), 2u);
    EXPECT_EQ(c.labels[0], (core::Label{"com-example-www", "www.example.com", "reverse"}));
    EXPECT_EQ(c.labels[1], (core::Label{"com-example", "example.com", "reverse"}));
    ASSERT_TRUE(view.password);
    EXPECT_EQ(view.password->size(), 40u);
    EXPECT_TRUE(core::SecretHasher(store_->hash_key()).verify(*view.password, c.secret_hash));
    ASSERT_EQ(view.tsig_keys.size(), 1u);
    EXPECT_EQ(view.tsig_keys[0].name.to_canonical_text(), "com-example-www.acme.test.");
    EXPECT_EQ(view.tsig_keys[0].algorithm, "hmac-sha256");
    EXPECT_EQ(view.tsig_keys[0].secret.size(), 32u);
    EXPECT_TRUE(view.show_tsig_secret);

    // Stored, and the TSIG key is bound to it.
    TsigKey key;
    ASSERT_TRUE(TsigKeyStore(*store_).find(view.tsig_keys[0].name, key).value());
    EXPECT_EQ(key.username, c.username);
    auto owner = CredentialStore(*store_).owner_of("com-example");
    ASSERT_TRUE(owner && *owner);
    EXPECT_EQ(**owner, c.username);
    // Show never reveals the TSIG secret or a password.
    auto shown = admin_->show(c.username);
    ASSERT_TRUE(shown);
    EXPECT_FALSE(shown->password);
    EXPECT_FALSE(shown->show_tsig_secret);
    EXPECT_TRUE(shown->tsig_keys[0].secret.empty());
    ASSERT_EQ(audit(AuditKind::issue).size(), 1u);
    EXPECT_EQ(audit(AuditKind::issue)[0].actor, "ops");
}

TEST_F(CredentialAdminTest, HashAndUuidSchemesAndFallback) {
    auto h = issue({"a.example.org"}, core::LabelScheme::hash);
    EXPECT_EQ(h.credential.labels[0].name, core::hash_label("a.example.org"));
    EXPECT_EQ(h.credential.labels[0].scheme, "hash");
    auto u = issue({"b.example.org"}, core::LabelScheme::uuid);
    EXPECT_EQ(u.credential.labels[0].name.size(), 36u);
    const std::string long_name = std::string(40, 'x') + "." + std::string(30, 'y') + ".org";
    auto f = issue({long_name});
    EXPECT_EQ(f.credential.labels[0].scheme, "hash");
    ASSERT_EQ(f.notes.size(), 1u);
    EXPECT_NE(f.notes[0].find("63"), std::string::npos);
}

TEST_F(CredentialAdminTest, RejectsBadInput) {
    IssueRequest req;
    EXPECT_EQ(admin_->issue(req, kActor).error().code, core::Errc::invalid_argument);
    req.domains = {"bad_name.example"};
    EXPECT_EQ(admin_->issue(req, kActor).error().code, core::Errc::invalid_argument);
    req.domains = {"a.example", "A.example."};
    EXPECT_EQ(admin_->issue(req, kActor).error().code, core::Errc::invalid_argument);
    req.domains = {"a.example"};
    req.allowfrom = {"10.0.0.1"};
    EXPECT_EQ(admin_->issue(req, kActor).error().code, core::Errc::invalid_argument);
    EXPECT_TRUE(CredentialStore(*store_).list()->empty());
}

TEST_F(CredentialAdminTest, SecondIssueForANameConflictsUnlessReplaced) {
    auto first = issue({"www.example.com", "api.example.com"});
    IssueRequest req;
    req.domains = {"www.example.com"};
    auto again = admin_->issue(req, kActor);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::Errc::conflict);
    // Same name under another scheme is the same name: still a conflict.
    req.scheme = core::LabelScheme::uuid;
    EXPECT_EQ(admin_->issue(req, kActor).error().code, core::Errc::conflict);

    // Put a TXT value at the label, then replace: the label moves, the value goes.
    ASSERT_TRUE(testing::commit(*writer_, testing::change({testing::add("com-example-www.acme.test", "old")})));
    auto replaced = issue({"www.example.com"}, core::LabelScheme::reverse, true);
    EXPECT_EQ(replaced.credential.labels[0].name, "com-example-www");
    EXPECT_TRUE(testing::values_at(*store_, "com-example-www.acme.test").empty());
    auto old = admin_->show(first.credential.username);
    ASSERT_TRUE(old);  // it keeps its other name
    ASSERT_EQ(old->credential.labels.size(), 1u);
    EXPECT_EQ(old->credential.labels[0].name, "com-example-api");
    EXPECT_EQ(**CredentialStore(*store_).owner_of("com-example-www"), replaced.credential.username);
    // Its TSIG key (named after the label that moved) went; the new credential has its own.
    EXPECT_TRUE(TsigKeyStore(*store_).list_for(first.credential.username)->empty());
    EXPECT_EQ(TsigKeyStore(*store_).list_for(replaced.credential.username)->size(), 1u);

    // Replacing its last name removes the old credential entirely.
    auto last = issue({"api.example.com"}, core::LabelScheme::hash, true);
    EXPECT_EQ(admin_->show(first.credential.username).error().code, core::Errc::not_found);
    EXPECT_FALSE(CredentialStore(*store_).owner_of("com-example-api").value());
}

TEST_F(CredentialAdminTest, RotateDisableEnableRevoke) {
    auto view = issue({"www.example.com"});
    const std::string user = view.credential.username;
    const core::SecretHasher hasher(store_->hash_key());

    auto rotated = admin_->rotate(user, false, kActor);
    ASSERT_TRUE(rotated);
    ASSERT_TRUE(rotated->password);
    core::Credential stored;
    ASSERT_TRUE(CredentialStore(*store_).find(user, stored).value());
    EXPECT_FALSE(hasher.verify(*view.password, stored.secret_hash));  // the old one stops at once
    EXPECT_TRUE(hasher.verify(*rotated->password, stored.secret_hash));
    EXPECT_FALSE(rotated->show_tsig_secret);

    auto with_tsig = admin_->rotate(user, true, kActor);
    ASSERT_TRUE(with_tsig);
    ASSERT_EQ(with_tsig->tsig_keys.size(), 1u);
    EXPECT_NE(with_tsig->tsig_keys[0].secret, view.tsig_keys[0].secret);
    TsigKey key;
    ASSERT_TRUE(TsigKeyStore(*store_).find(view.tsig_keys[0].name, key).value());
    EXPECT_EQ(key.secret, with_tsig->tsig_keys[0].secret);

    auto disabled = admin_->set_disabled(user, true, kActor);
    ASSERT_TRUE(disabled);
    EXPECT_TRUE(disabled->credential.disabled);
    const auto owner = testing::n("com-example-www.acme.test");
    EXPECT_FALSE(core::may_write(disabled->credential, owner, core::rrtype::TXT, *zone_));
    auto enabled = admin_->set_disabled(user, false, kActor);
    ASSERT_TRUE(enabled);
    EXPECT_TRUE(core::may_write(enabled->credential, owner, core::rrtype::TXT, *zone_));

    ASSERT_TRUE(testing::commit(*writer_, testing::change({testing::add("com-example-www.acme.test", "v")})));
    ASSERT_TRUE(admin_->revoke(user, kActor));
    EXPECT_EQ(admin_->show(user).error().code, core::Errc::not_found);
    EXPECT_FALSE(CredentialStore(*store_).owner_of("com-example-www").value());
    EXPECT_TRUE(TsigKeyStore(*store_).list_for(user)->empty());
    EXPECT_TRUE(testing::values_at(*store_, "com-example-www.acme.test").empty());
    EXPECT_EQ(admin_->revoke(user, kActor).error().code, core::Errc::not_found);
    EXPECT_EQ(admin_->rotate(user, false, kActor).error().code, core::Errc::not_found);

    for (auto kind : {AuditKind::rotate, AuditKind::disable, AuditKind::enable, AuditKind::revoke}) EXPECT_FALSE(audit(kind).empty());
    // The TXT removal came through the writer, audited as the admin's update.
    bool revoke_update = false;
    for (const auto& e : audit(AuditKind::update)) revoke_update |= e.actor == "ops" && e.label == "com-example-www";
    EXPECT_TRUE(revoke_update);
}

TEST_F(CredentialAdminTest, ListFilters) {
    auto a = issue({"www.example.com"});
    auto b = issue({"mail.example.net"}, core::LabelScheme::hash);
    ASSERT_TRUE(CredentialStore(*store_).touch(a.credential.username, 1000000, 60).value());
    EXPECT_FALSE(CredentialStore(*store_).touch(a.credential.username, 1000030, 60).value());  // too soon: no write
    const auto users = [&](CredentialFilter f) {
        std::vector<std::string> out;
        auto listed = admin_->list(f);
        EXPECT_TRUE(listed);
        if (listed)
            for (const auto& v : *listed) out.push_back(v.credential.username);
        return out;
    };
    const auto with = [](auto set) {
        CredentialFilter f;
        set(f);
        return f;
    };
    EXPECT_EQ(users({}).size(), 2u);
    EXPECT_EQ(users(with([](auto& f) { f.name = "example.com"; })), std::vector{a.credential.username});
    EXPECT_EQ(users(with([](auto& f) { f.name = "www.example.com"; })), std::vector{a.credential.username});
    EXPECT_EQ(users(with([](auto& f) { f.label = core::hash_label("mail.example.net"); })), std::vector{b.credential.username});
    EXPECT_EQ(users(with([](auto& f) { f.scheme = "hash"; })), std::vector{b.credential.username});
    EXPECT_EQ(users(with([](auto& f) { f.used_since = 999999; })), std::vector{a.credential.username});
    EXPECT_EQ(users(with([](auto& f) { f.unused_since = 999999; })), std::vector{b.credential.username});
    EXPECT_FALSE(admin_->list(with([](auto& f) { f.name = "not a name"; })));
}

TEST_F(CredentialAdminTest, DeleteTxtOfALabel) {
    ASSERT_TRUE(testing::commit(*writer_, testing::change({testing::add("abc.acme.test", "1"), testing::add("abc.acme.test", "2")})));
    auto deleted = admin_->delete_txt("ABC", kActor);
    ASSERT_TRUE(deleted);
    EXPECT_TRUE(*deleted);
    EXPECT_TRUE(testing::values_at(*store_, "abc.acme.test").empty());
    EXPECT_FALSE(*admin_->delete_txt("abc", kActor));
    EXPECT_EQ(admin_->delete_txt("www", kActor).error().code, core::Errc::forbidden);  // static record
    EXPECT_EQ(admin_->delete_txt("a.b", kActor).error().code, core::Errc::invalid_argument);
    const auto events = audit(AuditKind::delete_txt);  // refused requests never reached the writer
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].outcome, "ok");
    EXPECT_EQ(events[1].outcome, "unchanged");
}

TEST(CredentialAdminHelpers, ParseTimeSpec) {
    EXPECT_EQ(parse_time_spec("1700000000", 0).value(), 1700000000);
    EXPECT_EQ(parse_time_spec("2d", 1000000).value(), 1000000 - 2 * 86400);
    EXPECT_EQ(parse_time_spec("3h", 100000).value(), 100000 - 3 * 3600);
    EXPECT_FALSE(parse_time_spec("", 0));
    EXPECT_FALSE(parse_time_spec("d", 0));
    EXPECT_FALSE(parse_time_spec("5y", 0));
    EXPECT_FALSE(parse_time_spec("5dd", 0));
}

}  // namespace
}  // namespace acmezone::store
