// Shared helpers for the store tests: a temporary folder per test, a small zone, change
// set builders. Each test gets its own store folder, removed afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "common/temp_dir.hpp"
#include "core/change_set.hpp"
#include "core/name.hpp"
#include "core/txt.hpp"
#include "core/zone.hpp"
#include "store/snapshot.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::store::testing {

using acmezone::test::TempDir;

inline core::Name n(std::string_view text) { return core::Name::from_text(text).value(); }
inline std::string txt(std::string_view value) { return core::txt_rdata_from_value(value).value(); }
inline std::span<const std::uint8_t> wire(const core::Name& name) {
    return {reinterpret_cast<const std::uint8_t*>(name.canonical_wire().data()), name.canonical_wire().size()};
}
inline std::string str(std::span<const std::uint8_t> s) { return {reinterpret_cast<const char*>(s.data()), s.size()}; }
inline std::uint32_t unix_now() {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}


// acme.test with a static A at www and a static TXT at static (both reserved owners).
inline std::shared_ptr<const core::Zone> make_zone(std::uint32_t max_txt = 8) {
    core::ZoneSpec spec;
    spec.apex = n("acme.test");
    spec.nameservers = {n("ns1.acme.test")};
    spec.hostmaster = n("hostmaster.example.test");
    spec.max_txt_per_name = max_txt;
    spec.records.push_back({n("www.acme.test"), core::rrtype::A, core::rrclass::IN, 300, std::string("\x7f\0\0\1", 4)});
    spec.records.push_back({n("static.acme.test"), core::rrtype::TXT, core::rrclass::IN, 300, txt("fixed")});
    auto zone = core::Zone::build(std::move(spec));
    if (!zone) throw std::runtime_error(zone.error().message);
    return std::make_shared<const core::Zone>(std::move(zone).value());
}

inline core::Operation add(std::string_view name, std::string_view value, std::uint32_t keep_newest = 0, std::uint32_t ttl = 60) {
    core::Operation op{core::OpKind::add_rr, n(name), core::rrtype::TXT, ttl, txt(value), keep_newest};
    return op;
}
inline core::Operation del_rr(std::string_view name, std::string_view value) {
    return core::Operation{core::OpKind::delete_rr, n(name), core::rrtype::TXT, 0, txt(value), 0};
}
inline core::Operation del_rrset(std::string_view name, std::uint16_t type = core::rrtype::TXT) {
    return core::Operation{core::OpKind::delete_rrset, n(name), type, 0, {}, 0};
}
inline core::Operation del_name(std::string_view name) {
    return core::Operation{core::OpKind::delete_name, n(name), core::rrtype::ANY, 0, {}, 0};
}
inline core::ChangeSet change(std::vector<core::Operation> ops, std::vector<core::Prerequisite> prereqs = {}) {
    core::ChangeSet cs;
    cs.operations = std::move(ops);
    cs.prerequisites = std::move(prereqs);
    cs.actor = "test";
    cs.source = "unit";
    return cs;
}

inline core::Result<core::CommitResult> commit(Writer& writer, core::ChangeSet cs) {
    auto future = writer.submit(std::move(cs));
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
        return core::make_error(core::Errc::internal, "test: commit timed out");
    return future.get();
}

// The TXT values stored at a name, oldest first (empty when none).
inline std::vector<std::string> values_at(const Store& store, std::string_view name) {
    Snapshot snap(store);
    EXPECT_TRUE(snap.begin());
    std::vector<std::string> out;
    for (const auto rr : snap.find(wire(n(name)), core::rrtype::TXT))
        out.push_back(core::txt_value_from_rdata(str(rr.rdata)).value());
    return out;
}

inline std::uint32_t serial_of(const Store& store) {
    Snapshot snap(store);
    EXPECT_TRUE(snap.begin());
    return snap.serial();
}

// A fresh store (in a sub-folder it creates) per test.
class StoreFixture : public ::testing::Test {
protected:
    void SetUp() override {
        options_.path = dir_.path() / "data";
        auto opened = Store::open(options_);
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(opened).value();
    }
    TempDir dir_;
    StoreOptions options_;
    std::unique_ptr<Store> store_;
};

}  // namespace acmezone::store::testing
