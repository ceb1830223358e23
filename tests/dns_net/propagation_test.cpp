// Propagation check (dns/propagation) against a real acmezone responder standing in for a
// secondary (its own store, served by UdpWorkers on loopback): caught up and matching, behind,
// different TXT values, a dead nameserver, labels outside the zone, RFC 1982 comparisons. Also
// the NOTIFY sender wired to a real Writer's commit listener.
#include <gtest/gtest.h>

#include <future>

#include "core/change_set.hpp"
#include "core/txt.hpp"
#include "dns/notify.hpp"
#include "dns/propagation.hpp"
#include "dns/udp_workers.hpp"
#include "dns_net/net_test_support.hpp"
#include "store/snapshot.hpp"
#include "store/writer.hpp"

namespace acmezone::dns::nettest {
namespace {

std::string value(char c) { return std::string(43, c); }

void add_txt(store::Writer& writer, std::string_view owner, const std::string& v) {
    core::ChangeSet change;
    change.operations.push_back(core::Operation{core::OpKind::add_rr, n(owner), core::rrtype::TXT, 60,
                                                core::txt_rdata_from_value(v).value(), 0});
    change.actor = "test";
    change.source = "unit";
    auto committed = writer.submit(std::move(change));
    ASSERT_EQ(committed.wait_for(30s), std::future_status::ready);
    ASSERT_TRUE(committed.get().ok());
}

std::uint32_t serial_of(const store::Store& store) {
    store::Snapshot snapshot(store);
    EXPECT_TRUE(snapshot.begin().ok());
    return snapshot.serial();
}

struct PropagationFixture : ::testing::Test {
    Served primary;
    Served secondary;
    store::Writer primary_writer{*primary.store, primary.zone};
    store::Writer secondary_writer{*secondary.store, secondary.zone};
    UdpWorkers workers{*secondary.store, secondary.responder, [] {
                           UdpOptions o;
                           o.workers = 1;
                           return o;
                       }()};
    Endpoint secondary_endpoint;

    void SetUp() override {
        ASSERT_TRUE(workers.start({loopback(0)}).ok());
        secondary_endpoint = workers.bound_endpoints().at(0);
    }

    PropagationChecker checker(std::vector<Endpoint> servers) {
        PropagationOptions options;
        options.nameservers = std::move(servers);
        options.timeout = 300ms;
        auto zone = primary.zone;
        return PropagationChecker(*primary.store, [zone]() -> const core::Zone& { return *zone; }, options);
    }
};

TEST(PropagationSerial, Rfc1982Order) {
    EXPECT_TRUE(serial_at_or_after(5, 5));
    EXPECT_TRUE(serial_at_or_after(6, 5));
    EXPECT_FALSE(serial_at_or_after(4, 5));
    EXPECT_TRUE(serial_at_or_after(1, 0xfffffff0u));   // wrapped: 1 is after 2^32-16
    EXPECT_FALSE(serial_at_or_after(0xfffffff0u, 1));
}

TEST(PropagationOwner, RelativeAbsoluteAndOutside) {
    const auto apex = n("acme.test");
    EXPECT_EQ(propagation_owner("abc", apex).value(), n("abc.acme.test"));
    EXPECT_EQ(propagation_owner("abc.acme.test", apex).value(), n("abc.acme.test"));
    EXPECT_EQ(propagation_owner("ABC.acme.test.", apex).value(), n("abc.acme.test"));
    EXPECT_EQ(propagation_owner("acme.test", apex).value(), apex);
    auto outside = propagation_owner("www.example.org.", apex);
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().code, core::Errc::invalid_argument);
    EXPECT_FALSE(propagation_owner("bad..label", apex));
}

TEST_F(PropagationFixture, CaughtUpAndMatching) {
    add_txt(primary_writer, "x.acme.test", value('a'));
    add_txt(secondary_writer, "x.acme.test", value('a'));
    ASSERT_EQ(serial_of(*primary.store), serial_of(*secondary.store));
    auto report = checker({secondary_endpoint}).check("x");
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->serial, serial_of(*primary.store));
    EXPECT_EQ(report->label, "x.acme.test.");
    EXPECT_EQ(report->txt, std::vector<std::string>{value('a')});
    ASSERT_EQ(report->nameservers.size(), 1u);
    const auto& ns = report->nameservers[0];
    EXPECT_EQ(ns.address, secondary_endpoint.text);
    EXPECT_EQ(ns.serial, report->serial);
    EXPECT_TRUE(ns.caught_up);
    EXPECT_TRUE(ns.matches);
    EXPECT_FALSE(ns.error) << *ns.error;
    EXPECT_TRUE(report->all_caught_up);
    EXPECT_TRUE(checker({secondary_endpoint}).wait_caught_up(report->serial, 1s));
}

TEST_F(PropagationFixture, BehindAndDifferent) {
    add_txt(primary_writer, "x.acme.test", value('a'));
    add_txt(secondary_writer, "x.acme.test", value('a'));
    add_txt(primary_writer, "x.acme.test", value('b'));  // the secondary has not got this one
    auto report = checker({secondary_endpoint}).check("x");
    ASSERT_TRUE(report);
    EXPECT_EQ(report->txt, (std::vector<std::string>{value('a'), value('b')}));
    const auto& ns = report->nameservers.at(0);
    EXPECT_FALSE(ns.caught_up);
    EXPECT_FALSE(ns.matches);
    EXPECT_EQ(ns.txt, std::vector<std::string>{value('a')});
    EXPECT_FALSE(report->all_caught_up);
    const auto t0 = Clock::now();
    EXPECT_FALSE(checker({secondary_endpoint}).wait_caught_up(report->serial, 200ms));
    EXPECT_LT(Clock::now() - t0, 3s);
    // Caught up on the serial but serving other values: still not "all caught up".
    add_txt(secondary_writer, "x.acme.test", value('c'));
    report = checker({secondary_endpoint}).check("x");
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->nameservers.at(0).caught_up);
    EXPECT_FALSE(report->nameservers.at(0).matches);
    EXPECT_FALSE(report->all_caught_up);
}

TEST_F(PropagationFixture, NoLabelMeansSerialOnlyAndANameWithNoTxtMatchesEmpty) {
    auto report = checker({secondary_endpoint}).check("");
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->label.empty());
    EXPECT_TRUE(report->all_caught_up);
    report = checker({secondary_endpoint}).check("nothing-here");
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->txt.empty());
    EXPECT_TRUE(report->nameservers.at(0).matches);  // NXDOMAIN on both sides
}

TEST_F(PropagationFixture, ADeadNameserverIsAnErrorNotAHang) {
    const auto dead = loopback(free_port(SOCK_DGRAM));
    const auto t0 = Clock::now();
    auto report = checker({secondary_endpoint, dead}).check("x");
    ASSERT_TRUE(report);
    EXPECT_LT(Clock::now() - t0, 3s);
    ASSERT_EQ(report->nameservers.size(), 2u);
    EXPECT_TRUE(report->nameservers[0].caught_up);
    const auto& gone = report->nameservers[1];
    EXPECT_FALSE(gone.serial);
    EXPECT_FALSE(gone.caught_up);
    ASSERT_TRUE(gone.error);
    EXPECT_NE(gone.error->find("SOA"), std::string::npos);
    EXPECT_FALSE(report->all_caught_up);
}

TEST_F(PropagationFixture, ALabelOutsideTheZoneIsRefused) {
    auto report = checker({secondary_endpoint}).check("www.example.org.");
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, core::Errc::invalid_argument);
}

// The writer's commit listener feeds the sender: many concurrent updates, and the secondary
// ends up told the final serial, with far fewer NOTIFYs than commits.
TEST_F(PropagationFixture, WriterCommitsReachTheNotifySender) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    Socket sock(fd);
    sockaddr_in a = loopback_addr(0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    NotifyOptions options;
    options.targets.push_back(NotifyTarget{loopback(ntohs(a.sin_port)), std::nullopt});
    options.initial_interval = 5000ms;  // the fake never answers: no resend during the test
    auto zone = primary.zone;
    NotifySender sender([zone]() -> const core::Zone& { return *zone; }, options);
    ASSERT_TRUE(sender.start().ok());
    primary_writer.set_commit_listener([&sender](std::uint32_t serial) { sender.notify(serial); });
    std::vector<std::future<core::Result<core::CommitResult>>> pending;
    for (int i = 0; i < 50; ++i) {
        core::ChangeSet change;
        change.operations.push_back(core::Operation{core::OpKind::add_rr, n("burst" + std::to_string(i) + ".acme.test"),
                                                    core::rrtype::TXT, 60, core::txt_rdata_from_value(value('q')).value(), 0});
        change.actor = "test";
        change.source = "unit";
        pending.push_back(primary_writer.submit(std::move(change)));
    }
    for (auto& f : pending) ASSERT_TRUE(f.get().ok());
    // Nothing answers, so exactly one NOTIFY is in flight; it carries a serial of this burst.
    Bytes buf(4096);
    ASSERT_TRUE(wait_for(fd, POLLIN, Clock::now() + 5s));
    ASSERT_GT(::recv(fd, buf.data(), buf.size(), 0), 0);
    EXPECT_FALSE(wait_for(fd, POLLIN, Clock::now() + 300ms));
    EXPECT_EQ(sender.stats().sent, 1u);
    primary_writer.set_commit_listener({});
    sender.stop();
}

}  // namespace
}  // namespace acmezone::dns::nettest
