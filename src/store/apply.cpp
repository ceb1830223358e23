#include "store/apply.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/rr.hpp"
#include "core/txt.hpp"
#include "store/lmdb_error.hpp"
#include "store/record_codec.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

using core::Errc;
using core::make_error;

std::span<const std::uint8_t> bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string type_text(std::uint16_t type) {
    switch (type) {
        case core::rrtype::A: return "A";
        case core::rrtype::NS: return "NS";
        case core::rrtype::CNAME: return "CNAME";
        case core::rrtype::SOA: return "SOA";
        case core::rrtype::MX: return "MX";
        case core::rrtype::TXT: return "TXT";
        case core::rrtype::AAAA: return "AAAA";
        case core::rrtype::SRV: return "SRV";
        case core::rrtype::CAA: return "CAA";
        default: return "TYPE" + std::to_string(type);  // RFC 3597 §5
    }
}

// A record key in a stack buffer.
struct RecordKey {
    std::uint8_t data[kMaxKeySize];
    std::size_t size;
    RecordKey(const core::Name& name, std::uint16_t type) noexcept
        : size(encode_record_key(bytes(name.canonical_wire()), type, data)) {}
    MDB_val val() noexcept { return MDB_val{size, data}; }
};

core::Error prerequisite_failed(std::string_view rcode, const std::string& detail) {
    return make_error(Errc::prerequisite_failed, std::string(rcode) + ": " + detail);
}

// Reads the stored value at a key; nullopt when absent.
core::Result<std::optional<std::string>> read_raw(MDB_txn* txn, MDB_dbi dbi, RecordKey& key, const core::Name& name) {
    MDB_val k = key.val();
    MDB_val v{};
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<std::string>{};
    if (rc != 0) return lmdb_error(rc, "reading " + name.to_text());
    return std::optional<std::string>(std::string(static_cast<const char*>(v.mv_data), v.mv_size));
}

core::Result<StoredRRset> decode_at(const std::string& raw, const core::Name& name) {
    auto decoded = decode_rrset(bytes(raw));
    if (!decoded) return make_error(Errc::store_error, "stored data at " + name.to_text() + " is unreadable: " + decoded.error().message);
    return decoded;
}

// Writes `next` (or deletes the key when it holds no RR); true when it differs from `raw`.
core::Result<bool> write_if_changed(MDB_txn* txn, MDB_dbi dbi, RecordKey& key, const core::Name& name,
                                    const std::optional<std::string>& raw, const StoredRRset& next, ChangeDiff* diff) {
    MDB_val k = key.val();
    if (next.rrs.empty()) {
        if (!raw) return false;
        if (int rc = mdb_del(txn, dbi, &k, nullptr); rc != 0) return lmdb_error(rc, "deleting at " + name.to_text());
        if (diff) diff->note(std::string(reinterpret_cast<const char*>(key.data), key.size), raw, std::nullopt);
        return true;
    }
    std::string encoded = encode_rrset(next);
    if (raw && *raw == encoded) return false;
    MDB_val v{encoded.size(), encoded.data()};
    if (int rc = mdb_put(txn, dbi, &k, &v, 0); rc != 0) return lmdb_error(rc, "writing at " + name.to_text());
    if (diff) diff->note(std::string(reinterpret_cast<const char*>(key.data), key.size), raw, std::move(encoded));
    return true;
}

// Rules that refuse the whole change set before anything is evaluated (RFC 2136 §3.1.1
// zone check and §3.4.1 pre-scan, narrowed to what this zone accepts).
core::Status check_rules(const core::Zone& zone, const core::ChangeSet& change) {
    const core::Name& apex = zone.apex();
    for (const auto& p : change.prerequisites) {
        if (!p.name.is_at_or_below(apex))
            return make_error(Errc::invalid_argument, "NOTZONE: " + p.name.to_text() + " is outside zone " + apex.to_text());
    }
    for (const auto& op : change.operations) {
        if (!op.name.is_at_or_below(apex))
            return make_error(Errc::invalid_argument, "NOTZONE: " + op.name.to_text() + " is outside zone " + apex.to_text());
        if (zone.is_reserved_owner(op.name))
            return make_error(Errc::forbidden, op.name.to_text() + " is reserved (zone apex or static records) and cannot be updated");
        if (op.kind == core::OpKind::add_rr) {
            if (op.type != core::rrtype::TXT)
                return make_error(Errc::invalid_argument, "only TXT records can be added (not " + type_text(op.type) + " at " + op.name.to_text() + ")");
            if (!core::is_valid_txt_rdata(op.rdata))
                return make_error(Errc::invalid_argument, "malformed TXT RDATA for " + op.name.to_text());
        }
    }
    return core::Ok{};
}

// --- prerequisites (RFC 2136 §3.2) ---------------------------------------------------

// RFC 2136 §2.4.4: a name is in use when some RR exists at exactly that name.
core::Result<bool> name_in_use(MDB_txn* txn, MDB_dbi dbi, const core::Zone& zone, const core::Name& name) {
    if (name == zone.apex()) return true;
    if (const auto* node = zone.find(name.canonical_wire()); node != nullptr && !node->rrsets.empty()) return true;
    auto cursor = Cursor::open(txn, dbi);
    if (!cursor) return std::move(cursor).error();
    std::uint8_t key[kMaxKeySize];
    std::size_t n = encode_name_key(bytes(name.canonical_wire()), key);
    key[n++] = 0x00;
    MDB_val k{n, key};
    MDB_val v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return lmdb_error(rc, "reading " + name.to_text());
    return k.mv_size >= n && std::memcmp(k.mv_data, key, n) == 0;
}

// The RDATA set of an RRset, static and stored together.
core::Result<std::set<std::string>> rrset_rdatas(MDB_txn* txn, MDB_dbi dbi, const core::Zone& zone, const core::Name& name,
                                                 std::uint16_t type) {
    std::set<std::string> out;
    if (type == core::rrtype::SOA && name == zone.apex()) out.insert("<soa>");  // present; never equal to a given set
    if (const auto* node = zone.find(name.canonical_wire()))
        if (const auto* set = node->find(type)) out.insert(set->rdatas.begin(), set->rdatas.end());
    RecordKey key(name, type);
    auto raw = read_raw(txn, dbi, key, name);
    if (!raw) return std::move(raw).error();
    if (*raw) {
        auto stored = decode_at(**raw, name);
        if (!stored) return std::move(stored).error();
        for (auto& rr : stored->rrs) out.insert(std::move(rr.rdata));
    }
    return out;
}

core::Status check_prerequisites(MDB_txn* txn, MDB_dbi dbi, const core::Zone& zone, const core::ChangeSet& change) {
    using core::PrereqKind;
    for (const auto& p : change.prerequisites) {
        const std::string where = p.name.to_text();
        switch (p.kind) {
            case PrereqKind::rrset_exists:  // §2.4.1
            case PrereqKind::rrset_absent: {  // §2.4.3
                auto rdatas = rrset_rdatas(txn, dbi, zone, p.name, p.type);
                if (!rdatas) return std::move(rdatas).error();
                const bool exists = !rdatas->empty();
                if (p.kind == PrereqKind::rrset_exists && !exists)
                    return prerequisite_failed("NXRRSET", "no " + type_text(p.type) + " RRset at " + where);
                if (p.kind == PrereqKind::rrset_absent && exists)
                    return prerequisite_failed("YXRRSET", "a " + type_text(p.type) + " RRset exists at " + where);
                break;
            }
            case PrereqKind::rrset_exists_exactly: {  // §2.4.2: compared as sets of RDATA
                auto rdatas = rrset_rdatas(txn, dbi, zone, p.name, p.type);
                if (!rdatas) return std::move(rdatas).error();
                const std::set<std::string> wanted(p.rdatas.begin(), p.rdatas.end());
                if (*rdatas != wanted)
                    return prerequisite_failed("NXRRSET", "the " + type_text(p.type) + " RRset at " + where + " differs from the one given");
                break;
            }
            case PrereqKind::name_in_use:  // §2.4.4
            case PrereqKind::name_not_in_use: {  // §2.4.5
                auto in_use = name_in_use(txn, dbi, zone, p.name);
                if (!in_use) return std::move(in_use).error();
                if (p.kind == PrereqKind::name_in_use && !*in_use)
                    return prerequisite_failed("NXDOMAIN", "no records at " + where);
                if (p.kind == PrereqKind::name_not_in_use && *in_use)
                    return prerequisite_failed("YXDOMAIN", "records exist at " + where);
                break;
            }
        }
    }
    return core::Ok{};
}

// --- operations (RFC 2136 §3.4.2) ----------------------------------------------------

core::Result<bool> add_rr(MDB_txn* txn, MDB_dbi dbi, const core::Zone& zone, const core::Operation& op, std::uint64_t now,
                          ChangeDiff* diff) {
    RecordKey key(op.name, op.type);
    auto raw = read_raw(txn, dbi, key, op.name);
    if (!raw) return std::move(raw).error();
    StoredRRset set;
    if (*raw) {
        auto stored = decode_at(**raw, op.name);
        if (!stored) return std::move(stored).error();
        set = std::move(*stored);
    }
    // §3.4.2.2: an RR equal to one present (byte-equal RDATA; TXT is case-sensitive) only
    // refreshes the TTL. RFC 2181 §5.2: the whole RRset takes the new TTL.
    set.ttl = op.ttl;
    const bool present = std::any_of(set.rrs.begin(), set.rrs.end(), [&](const StoredRR& rr) { return rr.rdata == op.rdata; });
    if (!present) set.rrs.push_back(StoredRR{now, op.rdata});
    // Retention: keep only the newest values (the list is oldest first).
    if (op.keep_newest > 0 && set.rrs.size() > op.keep_newest)
        set.rrs.erase(set.rrs.begin(), set.rrs.begin() + static_cast<std::ptrdiff_t>(set.rrs.size() - op.keep_newest));
    const std::uint32_t cap = zone.spec().max_txt_per_name;
    if (set.rrs.size() > cap)
        return make_error(Errc::invalid_argument, "too many TXT values at " + op.name.to_text() + " (at most " + std::to_string(cap) + ")");
    return write_if_changed(txn, dbi, key, op.name, *raw, set, diff);
}

core::Result<bool> delete_rr(MDB_txn* txn, MDB_dbi dbi, const core::Operation& op, ChangeDiff* diff) {
    RecordKey key(op.name, op.type);
    auto raw = read_raw(txn, dbi, key, op.name);
    if (!raw) return std::move(raw).error();
    if (!*raw) return false;
    auto set = decode_at(**raw, op.name);
    if (!set) return std::move(set).error();
    std::erase_if(set->rrs, [&](const StoredRR& rr) { return rr.rdata == op.rdata; });
    return write_if_changed(txn, dbi, key, op.name, *raw, *set, diff);
}

core::Result<bool> delete_rrset(MDB_txn* txn, MDB_dbi dbi, const core::Operation& op, ChangeDiff* diff) {
    if (op.type != core::rrtype::TXT) return false;  // only TXT is stored: nothing to delete
    RecordKey key(op.name, op.type);
    std::optional<std::string> before;
    if (diff) {
        auto raw = read_raw(txn, dbi, key, op.name);
        if (!raw) return std::move(raw).error();
        before = std::move(*raw);
    }
    MDB_val k = key.val();
    int rc = mdb_del(txn, dbi, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) return lmdb_error(rc, "deleting at " + op.name.to_text());
    if (diff) diff->note(std::string(reinterpret_cast<const char*>(key.data), key.size), before, std::nullopt);
    return true;
}

core::Result<bool> delete_name(MDB_txn* txn, MDB_dbi dbi, const core::Operation& op, ChangeDiff* diff) {
    // Every RRset at the name is one key in [name_key + 0x00 + 0x0000, name_key + 0x00 + 0xFFFF].
    std::uint8_t prefix[kMaxKeySize];
    std::size_t n = encode_name_key(bytes(op.name.canonical_wire()), prefix);
    prefix[n++] = 0x00;
    std::vector<std::string> keys;
    std::vector<std::string> values;
    {
        auto cursor = Cursor::open(txn, dbi);
        if (!cursor) return std::move(cursor).error();
        MDB_val k{n, prefix};
        MDB_val v{};
        int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_SET_RANGE);
        while (rc == 0 && k.mv_size >= n && std::memcmp(k.mv_data, prefix, n) == 0) {
            keys.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
            if (diff) values.emplace_back(static_cast<const char*>(v.mv_data), v.mv_size);
            rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT);
        }
        if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "reading " + op.name.to_text());
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        MDB_val k{keys[i].size(), keys[i].data()};
        if (int rc = mdb_del(txn, dbi, &k, nullptr); rc != 0) return lmdb_error(rc, "deleting at " + op.name.to_text());
        if (diff) diff->note(keys[i], values[i], std::nullopt);
    }
    return !keys.empty();
}

}  // namespace

void ChangeDiff::note(std::string key, const std::optional<std::string>& before, std::optional<std::string> after) {
    auto [it, inserted] = keys.try_emplace(std::move(key));
    if (inserted) it->second.before = before;  // the value before the change set: the first touch saw it
    it->second.after = std::move(after);
}

core::Status ChangeDiff::to_journal(std::vector<JournalRR>& deleted, std::vector<JournalRR>& added) const {
    for (const auto& [key, values] : keys) {
        std::string owner;
        std::uint16_t type = 0;
        if (!decode_record_key(bytes(key), owner, type)) return make_error(Errc::store_error, "journal: unreadable record key");
        StoredRRset before;
        StoredRRset after;
        if (values.before) {
            auto decoded = decode_rrset(bytes(*values.before));
            if (!decoded) return std::move(decoded).error();
            before = std::move(*decoded);
        }
        if (values.after) {
            auto decoded = decode_rrset(bytes(*values.after));
            if (!decoded) return std::move(decoded).error();
            after = std::move(*decoded);
        }
        const bool ttl_changed = values.before && values.after && before.ttl != after.ttl;
        const auto holds = [](const StoredRRset& set, const std::string& rdata) {
            return std::any_of(set.rrs.begin(), set.rrs.end(), [&](const StoredRR& rr) { return rr.rdata == rdata; });
        };
        for (const auto& rr : before.rrs)
            if (ttl_changed || !holds(after, rr.rdata)) deleted.push_back(JournalRR{owner, type, before.ttl, rr.rdata});
        for (const auto& rr : after.rrs)
            if (ttl_changed || !holds(before, rr.rdata)) added.push_back(JournalRR{owner, type, after.ttl, rr.rdata});
    }
    return core::Ok{};
}

core::Result<bool> apply_change_set(MDB_txn* txn, MDB_dbi records, const core::Zone& zone, const core::ChangeSet& change,
                                    std::uint64_t now, ChangeDiff* diff) {
    if (auto st = check_rules(zone, change); !st) return std::move(st).error();
    if (auto st = check_prerequisites(txn, records, zone, change); !st) return std::move(st).error();
    bool changed = false;
    for (const auto& op : change.operations) {
        core::Result<bool> step = false;
        switch (op.kind) {
            case core::OpKind::add_rr: step = add_rr(txn, records, zone, op, now, diff); break;
            case core::OpKind::delete_rr: step = delete_rr(txn, records, op, diff); break;
            case core::OpKind::delete_rrset: step = delete_rrset(txn, records, op, diff); break;
            case core::OpKind::delete_name: step = delete_name(txn, records, op, diff); break;
        }
        if (!step) return std::move(step).error();
        changed = changed || *step;
    }
    return changed;
}

}  // namespace acmezone::store
