#include "store/txt_expiry.hpp"

#include "core/rr.hpp"
#include "store/snapshot.hpp"

namespace acmezone::store {

core::Result<core::ChangeSet> expired_txt_changes(const Store& store, const core::Zone& zone, std::uint64_t cutoff,
                                                  std::size_t max_ops) {
    core::ChangeSet change;
    change.actor = "expiry";
    change.source = "txt_max_age";
    Snapshot snapshot(store);
    if (auto st = snapshot.begin(); !st) return std::move(st).error();
    snapshot.for_each([&](const core::Name& owner, std::uint16_t type, const RRsetView& rrset) {
        if (type != core::rrtype::TXT || zone.is_reserved_owner(owner)) return;
        for (const auto rr : rrset) {
            if (change.operations.size() >= max_ops) return;
            if (rr.added_at >= cutoff) continue;
            change.operations.push_back(core::Operation{
                core::OpKind::delete_rr, owner, core::rrtype::TXT, 0,
                std::string(reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size()), 0});
        }
    });
    snapshot.end();
    return change;
}

}  // namespace acmezone::store
