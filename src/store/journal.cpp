#include "store/journal.hpp"

#include <cstring>
#include <string_view>

#include "core/name.hpp"
#include "store/big_endian.hpp"
#include "store/lmdb_error.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

constexpr std::string_view kMetaJournalBytes = "journal_bytes";  // u64: key + value sizes of every entry
constexpr std::size_t kHeaderSize = 1 + 4 + 4 + 8 + 4 + 4;

void put_rr(std::string& out, const JournalRR& rr) {
    out.append(rr.owner);
    put_u16(out, rr.type);
    put_u32(out, rr.ttl);
    put_u16(out, static_cast<std::uint16_t>(rr.rdata.size()));
    out.append(rr.rdata);
}

// Reads one RR at `pos`; false when the bytes do not hold a whole, valid one.
bool get_rr(std::span<const std::uint8_t> v, std::size_t& pos, JournalRR& rr) {
    std::size_t end = pos;
    while (end < v.size() && v[end] != 0) end += 1 + v[end];
    if (end >= v.size()) return false;
    ++end;  // the root label
    const auto owner = v.subspan(pos, end - pos);
    if (!core::is_valid_uncompressed_wire(owner)) return false;
    if (v.size() - end < 8) return false;
    rr.owner.assign(reinterpret_cast<const char*>(owner.data()), owner.size());
    rr.type = static_cast<std::uint16_t>(get_u16(v.data() + end));
    rr.ttl = static_cast<std::uint32_t>(get_u32(v.data() + end + 2));
    const std::size_t len = get_u16(v.data() + end + 6);
    end += 8;
    if (v.size() - end < len) return false;
    rr.rdata.assign(reinterpret_cast<const char*>(v.data() + end), len);
    pos = end + len;
    return true;
}

core::Error malformed(std::string_view what) {
    return core::make_error(core::Errc::store_error, "malformed journal entry: " + std::string(what));
}

void encode_key(std::uint64_t seq, std::uint8_t (&out)[8]) noexcept {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(seq >> (8 * (7 - i)));
}

int read_bytes_counter(MDB_txn* txn, MDB_dbi meta, std::uint64_t& out) noexcept {
    MDB_val k = to_val(kMetaJournalBytes);
    MDB_val v{};
    out = 0;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    if (v.mv_size != 8) return MDB_INCOMPATIBLE;
    out = get_u64(static_cast<const std::uint8_t*>(v.mv_data));
    return 0;
}

int write_bytes_counter(MDB_txn* txn, MDB_dbi meta, std::uint64_t value) noexcept {
    std::uint8_t buf[8];
    encode_key(value, buf);
    MDB_val k = to_val(kMetaJournalBytes);
    MDB_val v{8, buf};
    return mdb_put(txn, meta, &k, &v, 0);
}

// The serials and commit time of an entry without decoding its RRs.
bool peek(const MDB_val& v, std::uint32_t& from, std::uint32_t& to, std::uint64_t& at) noexcept {
    if (v.mv_size < kHeaderSize) return false;
    const auto* p = static_cast<const std::uint8_t*>(v.mv_data);
    if (p[0] != kJournalValueVersion) return false;
    from = get_u32(p + 1);
    to = get_u32(p + 5);
    at = get_u64(p + 9);
    return true;
}

}  // namespace

std::string encode_journal_entry(const JournalEntry& entry) {
    std::string out;
    out.push_back(static_cast<char>(kJournalValueVersion));
    put_u32(out, entry.serial_from);
    put_u32(out, entry.serial_to);
    put_u64(out, entry.committed_at);
    put_u32(out, static_cast<std::uint32_t>(entry.deleted.size()));
    put_u32(out, static_cast<std::uint32_t>(entry.added.size()));
    for (const auto& rr : entry.deleted) put_rr(out, rr);
    for (const auto& rr : entry.added) put_rr(out, rr);
    return out;
}

core::Result<JournalEntry> decode_journal_entry(std::span<const std::uint8_t> value) {
    if (value.size() < kHeaderSize) return malformed("too short");
    if (value[0] != kJournalValueVersion) return malformed("version " + std::to_string(value[0]));
    JournalEntry e;
    e.serial_from = static_cast<std::uint32_t>(get_u32(value.data() + 1));
    e.serial_to = static_cast<std::uint32_t>(get_u32(value.data() + 5));
    e.committed_at = get_u64(value.data() + 9);
    const std::uint64_t deleted = get_u32(value.data() + 17);
    const std::uint64_t added = get_u32(value.data() + 21);
    // Each RR takes at least 9 bytes (root owner + fixed part): bounds the counts before reserving.
    if ((deleted + added) * 9 > value.size() - kHeaderSize) return malformed("counts beyond the value");
    std::size_t pos = kHeaderSize;
    e.deleted.resize(deleted);
    e.added.resize(added);
    for (auto& rr : e.deleted)
        if (!get_rr(value, pos, rr)) return malformed("bad deleted RR");
    for (auto& rr : e.added)
        if (!get_rr(value, pos, rr)) return malformed("bad added RR");
    if (pos != value.size()) return malformed("trailing bytes");
    return e;
}

core::Status append_journal(MDB_txn* txn, MDB_dbi journal, MDB_dbi meta, const JournalEntry& entry) {
    std::uint64_t seq = 1;
    {
        auto cursor = Cursor::open(txn, journal);
        if (!cursor) return std::move(cursor).error();
        MDB_val k{};
        MDB_val v{};
        int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_LAST);
        if (rc == 0 && k.mv_size == 8) seq = get_u64(static_cast<const std::uint8_t*>(k.mv_data)) + 1;
        else if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "reading the journal's end");
    }
    std::uint8_t key[8];
    encode_key(seq, key);
    const std::string value = encode_journal_entry(entry);
    MDB_val k{sizeof key, key};
    MDB_val v = to_val(value);
    if (int rc = mdb_put(txn, journal, &k, &v, MDB_APPEND); rc != 0) return lmdb_error(rc, "appending to the journal");
    std::uint64_t bytes = 0;
    if (int rc = read_bytes_counter(txn, meta, bytes); rc != 0) return lmdb_error(rc, "reading the journal size");
    if (int rc = write_bytes_counter(txn, meta, bytes + sizeof key + value.size()); rc != 0)
        return lmdb_error(rc, "writing the journal size");
    return core::Ok{};
}

core::Result<std::size_t> trim_journal(MDB_txn* txn, MDB_dbi journal, MDB_dbi meta, const JournalLimits& limits,
                                       std::uint64_t now, std::size_t budget) {
    MDB_stat stat{};
    if (int rc = mdb_stat(txn, journal, &stat); rc != 0) return lmdb_error(rc, "reading the journal's size");
    std::size_t entries = stat.ms_entries;
    std::uint64_t bytes = 0;
    if (int rc = read_bytes_counter(txn, meta, bytes); rc != 0) return lmdb_error(rc, "reading the journal size");
    const std::uint64_t oldest_kept = limits.max_age_seconds > 0 && now > limits.max_age_seconds ? now - limits.max_age_seconds : 0;
    auto deleted = delete_from_front(txn, journal, budget, "trimming the journal", [&](const MDB_val& k, const MDB_val& v) {
        std::uint32_t from = 0;
        std::uint32_t to = 0;
        std::uint64_t at = 0;
        const bool readable = peek(v, from, to, at);
        const bool over = !limits.enabled || (limits.max_entries > 0 && entries > limits.max_entries) ||
                          (limits.max_bytes > 0 && bytes > limits.max_bytes) || !readable || at < oldest_kept;
        if (!over) return false;
        const std::uint64_t size = k.mv_size + v.mv_size;
        --entries;
        bytes = bytes > size ? bytes - size : 0;
        return true;
    });
    if (!deleted) return std::move(deleted).error();
    if (*deleted > 0) {
        if (entries == 0) bytes = 0;
        if (int w = write_bytes_counter(txn, meta, bytes); w != 0) return lmdb_error(w, "writing the journal size");
    }
    return *deleted;
}

core::Result<std::optional<std::vector<JournalEntry>>> journal_range(MDB_txn* txn, MDB_dbi journal, std::uint32_t from,
                                                                     std::uint32_t to) {
    std::vector<JournalEntry> steps;
    if (from == to) return std::optional<std::vector<JournalEntry>>(std::move(steps));
    auto cursor = Cursor::open(txn, journal);
    if (!cursor) return std::move(cursor).error();
    // Walk back from the newest entry while the chain holds (each step ends where the next one
    // begins), until a step starts at `from`. Serials may repeat after a wrap, so the newest
    // matching chain is the one that counts.
    std::uint32_t expected = to;
    MDB_val k{};
    MDB_val v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_LAST);
    bool found = false;
    std::vector<std::string> values;
    while (rc == 0) {
        std::uint32_t f = 0;
        std::uint32_t t = 0;
        std::uint64_t at = 0;
        if (!peek(v, f, t, at) || t != expected) break;
        values.emplace_back(static_cast<const char*>(v.mv_data), v.mv_size);
        if (f == from) {
            found = true;
            break;
        }
        expected = f;
        rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_PREV);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "reading the journal");
    if (!found) return std::optional<std::vector<JournalEntry>>{};
    steps.reserve(values.size());
    for (auto it = values.rbegin(); it != values.rend(); ++it) {
        auto entry = decode_journal_entry({reinterpret_cast<const std::uint8_t*>(it->data()), it->size()});
        if (!entry) return std::move(entry).error();
        steps.push_back(std::move(entry).value());
    }
    return std::optional<std::vector<JournalEntry>>(std::move(steps));
}

core::Result<JournalInfo> journal_info(MDB_txn* txn, MDB_dbi journal, MDB_dbi meta) {
    MDB_stat stat{};
    if (int rc = mdb_stat(txn, journal, &stat); rc != 0) return lmdb_error(rc, "reading the journal's size");
    JournalInfo info;
    info.entries = stat.ms_entries;
    if (int rc = read_bytes_counter(txn, meta, info.bytes); rc != 0) return lmdb_error(rc, "reading the journal size");
    return info;
}

}  // namespace acmezone::store
