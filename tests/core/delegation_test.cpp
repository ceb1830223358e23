#include "core/delegation.hpp"

#include <gtest/gtest.h>

using namespace acmezone::core;

namespace {

const Name kApex = Name::from_text("acme.example.net").value();

// Labels owned: "mine" and "mine2" by alice, "theirs" by bob.
std::optional<std::string> owner_of(std::string_view label) {
    if (label == "mine" || label == "mine2") return "alice";
    if (label == "theirs") return "bob";
    return std::nullopt;
}

DelegationResult judge(CnameLookup::Kind kind, std::string target = {}, std::string detail = "NOERROR") {
    DelegationResult r;
    r.query = "_acme-challenge.www.example.com.";
    classify_delegation(CnameLookup{kind, std::move(target), std::move(detail)}, kApex, "mine", "alice", owner_of, r);
    return r;
}

TEST(Delegation, Table) {
    struct Case {
        CnameLookup::Kind kind;
        std::string target;
        DelegationState state;
        std::string target_owner;
    };
    using K = CnameLookup::Kind;
    const Case cases[] = {
        {K::cname, "mine.acme.example.net.", DelegationState::delegated, ""},
        {K::cname, "MINE.Acme.Example.NET.", DelegationState::delegated, ""},  // case-insensitive
        {K::cname, "mine2.acme.example.net.", DelegationState::delegated, ""},  // same credential
        {K::cname, "theirs.acme.example.net.", DelegationState::other_credential, "bob"},
        {K::cname, "nobody.acme.example.net.", DelegationState::other_credential, ""},
        {K::cname, "x.mine.acme.example.net.", DelegationState::other_credential, ""},  // below a label
        {K::cname, "acme.example.net.", DelegationState::other_credential, ""},         // the apex
        {K::cname, "mine.other.example.", DelegationState::elsewhere, ""},
        {K::cname, "acme.example.net.evil.", DelegationState::elsewhere, ""},
        {K::no_cname, "", DelegationState::missing, ""},
        {K::failed, "", DelegationState::error, ""},
    };
    for (const auto& c : cases) {
        const auto r = judge(c.kind, c.target, c.kind == K::failed ? "timeout" : "NXDOMAIN");
        EXPECT_EQ(r.state, c.state) << c.target << ": " << r.detail;
        EXPECT_EQ(r.target_owner, c.target_owner) << c.target;
        EXPECT_EQ(r.target, c.target);
        EXPECT_FALSE(r.detail.empty());
    }
}

TEST(Delegation, AFailureIsNeverMissing) {
    const auto r = judge(CnameLookup::Kind::failed, "", "no answer from 127.0.0.1:53");
    EXPECT_EQ(r.state, DelegationState::error);
    EXPECT_NE(r.detail.find("no answer"), std::string::npos);
    EXPECT_STREQ(to_string(r.state), "error");
    EXPECT_STREQ(to_string(DelegationState::other_credential), "other_credential");
}

}  // namespace
