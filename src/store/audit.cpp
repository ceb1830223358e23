#include "store/audit.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "store/lmdb_error.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

using core::Errc;
using core::make_error;

constexpr std::size_t kKeySize = 12;
constexpr std::size_t kMaxField = 0xffff;
constexpr std::uint64_t kNsPerDay = 86400ull * 1000000000ull;

struct Key {
    std::uint8_t bytes[kKeySize];
    Key(std::uint64_t time_ns, std::uint32_t sequence) noexcept {
        for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(time_ns >> (56 - 8 * i));
        for (int i = 0; i < 4; ++i) bytes[8 + i] = static_cast<std::uint8_t>(sequence >> (24 - 8 * i));
    }
    MDB_val val() noexcept { return MDB_val{kKeySize, bytes}; }
};

bool read_key(const MDB_val& k, std::uint64_t& time_ns, std::uint32_t& sequence) noexcept {
    if (k.mv_size != kKeySize) return false;
    const auto* p = static_cast<const std::uint8_t*>(k.mv_data);
    time_ns = 0;
    sequence = 0;
    for (int i = 0; i < 8; ++i) time_ns = (time_ns << 8) | p[i];
    for (int i = 8; i < 12; ++i) sequence = (sequence << 8) | p[i];
    return true;
}

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void put_string(std::string& out, std::string_view s) {
    const std::size_t n = std::min(s.size(), kMaxField);
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    out.push_back(static_cast<char>(n & 0xff));
    out.append(s.substr(0, n));
}

bool get_string(std::span<const std::uint8_t> d, std::size_t& pos, std::string& s) {
    if (pos + 2 > d.size()) return false;
    const std::size_t n = (std::size_t{d[pos]} << 8) | d[pos + 1];
    pos += 2;
    if (pos + n > d.size()) return false;
    s.assign(reinterpret_cast<const char*>(d.data() + pos), n);
    pos += n;
    return true;
}

std::optional<std::pair<std::uint64_t, std::uint32_t>> parse_cursor(std::string_view text) {
    if (text.size() != 24) return std::nullopt;
    std::uint64_t t = 0;
    std::uint32_t s = 0;
    for (std::size_t i = 0; i < 24; ++i) {
        const char c = text[i];
        unsigned v = 0;
        if (c >= '0' && c <= '9') v = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') v = static_cast<unsigned>(c - 'a' + 10);
        else return std::nullopt;
        if (i < 16) t = (t << 4) | v;
        else s = (s << 4) | v;
    }
    return std::pair{t, s};
}

}  // namespace

const char* to_string(AuditKind kind) noexcept {
    switch (kind) {
        case AuditKind::issue: return "issue";
        case AuditKind::rotate: return "rotate";
        case AuditKind::disable: return "disable";
        case AuditKind::enable: return "enable";
        case AuditKind::revoke: return "revoke";
        case AuditKind::admin_auth_failure: return "admin_auth_failure";
        case AuditKind::update: return "update";
        case AuditKind::delete_txt: return "delete_txt";
        case AuditKind::register_account: return "register";
        case AuditKind::update_auth_failure: return "update_auth_failure";
    }
    return "unknown";
}

std::optional<AuditKind> parse_audit_kind(std::string_view text) noexcept {
    for (std::uint8_t k = 1; k <= kLastAuditKind; ++k)
        if (text == to_string(static_cast<AuditKind>(k))) return static_cast<AuditKind>(k);
    return std::nullopt;
}

std::string AuditEvent::cursor() const {
    char buf[25];
    std::snprintf(buf, sizeof buf, "%016llx%08x", static_cast<unsigned long long>(time_ns), static_cast<unsigned>(sequence));
    return buf;
}

std::string encode_audit_event(const AuditEvent& e) {
    std::string out;
    out.push_back(static_cast<char>(kAuditFormat));
    out.push_back(static_cast<char>(e.kind));
    for (const std::string* s : {&e.actor, &e.label, &e.source, &e.outcome, &e.detail}) put_string(out, *s);
    return out;
}

core::Status decode_audit_event(std::span<const std::uint8_t> d, AuditEvent& out) {
    if (d.size() < 2) return make_error(Errc::invalid_argument, "truncated audit event");
    if (d[0] != kAuditFormat) return make_error(Errc::invalid_argument, "audit event format " + std::to_string(d[0]) + " is unknown");
    if (d[1] < 1 || d[1] > kLastAuditKind) return make_error(Errc::invalid_argument, "audit event kind " + std::to_string(d[1]) + " is unknown");
    out.kind = static_cast<AuditKind>(d[1]);
    std::size_t pos = 2;
    for (std::string* s : {&out.actor, &out.label, &out.source, &out.outcome, &out.detail})
        if (!get_string(d, pos, *s)) return make_error(Errc::invalid_argument, "truncated audit event");
    if (pos != d.size()) return make_error(Errc::invalid_argument, "oversized audit event");
    return core::Ok{};
}

core::Status append_audit(MDB_txn* txn, MDB_dbi audit, AuditEvent& event) {
    if (audit == 0) return make_error(Errc::store_error, "the store has no audit database");
    std::uint64_t time = now_ns();
    std::uint32_t sequence = 0;
    // The key must sort after the last one even if the clock went back or two events share
    // a nanosecond (or another process wrote in between).
    auto cursor = Cursor::open(txn, audit);
    if (!cursor) return std::move(cursor).error();
    MDB_val k{};
    MDB_val v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_LAST);
    if (rc == 0) {
        std::uint64_t last_time = 0;
        std::uint32_t last_seq = 0;
        if (read_key(k, last_time, last_seq) && time <= last_time) {
            time = last_time;
            sequence = last_seq + 1;
            if (sequence == 0) ++time;  // wrapped: move on by one nanosecond
        }
    } else if (rc != MDB_NOTFOUND) {
        return lmdb_error(rc, "reading the audit log");
    }
    event.time_ns = time;
    event.sequence = sequence;
    std::string value = encode_audit_event(event);
    Key key(time, sequence);
    MDB_val kv = key.val();
    MDB_val vv{value.size(), value.data()};
    if (rc = mdb_put(txn, audit, &kv, &vv, MDB_APPEND); rc != 0) return lmdb_error(rc, "appending to the audit log");
    return core::Ok{};
}

core::Status AuditLog::append(AuditEvent event) {
    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting an audit write");
    if (!txn) return std::move(txn).error();
    if (auto st = append_audit(txn->get(), store_.audit_db(), event); !st) return st;
    return txn->commit("committing an audit event");
}

core::Result<AuditPage> AuditLog::page(const AuditFilter& filter) const {
    AuditPage page;
    if (store_.audit_db() == 0) return page;
    const std::size_t limit = std::clamp<std::size_t>(filter.limit, 1, 10000);
    std::uint64_t start_time = filter.since_ns;
    std::uint32_t start_seq = 0;
    bool skip_equal = false;
    if (!filter.after.empty()) {
        auto parsed = parse_cursor(filter.after);
        if (!parsed) return make_error(Errc::invalid_argument, "cursor \"" + filter.after + "\" is not one this server gave");
        if (parsed->first >= start_time) {
            start_time = parsed->first;
            start_seq = parsed->second;
            skip_equal = true;
        }
    }
    auto txn = Txn::begin(store_.env(), nullptr, MDB_RDONLY, "starting an audit read");
    if (!txn) return std::move(txn).error();
    auto cursor = Cursor::open(txn->get(), store_.audit_db());
    if (!cursor) return std::move(cursor).error();
    Key start(start_time, start_seq);
    MDB_val k = start.val();
    MDB_val v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_SET_RANGE);
    std::string last_cursor;
    while (rc == 0) {
        AuditEvent e;
        if (!read_key(k, e.time_ns, e.sequence)) return make_error(Errc::store_error, "malformed audit key");
        if (skip_equal && e.time_ns == start_time && e.sequence == start_seq) {
            rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT);
            continue;
        }
        if (page.events.size() == limit) {
            page.next = last_cursor;  // there is more
            return page;
        }
        auto st = decode_audit_event({static_cast<const std::uint8_t*>(v.mv_data), v.mv_size}, e);
        if (!st) return make_error(Errc::store_error, "stored audit event is unreadable: " + st.error().message);
        last_cursor = e.cursor();
        const bool match = (!filter.actor || e.actor == *filter.actor) && (!filter.kind || e.kind == *filter.kind) &&
                           (!filter.label || e.label == *filter.label);
        if (match) page.events.push_back(std::move(e));
        rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(rc, "reading the audit log");
    return page;
}

core::Result<std::size_t> prune_audit(MDB_txn* txn, MDB_dbi audit, const AuditRetention& retention, std::uint64_t now,
                                      std::size_t budget) {
    if (audit == 0) return std::size_t{0};
    MDB_stat stat{};
    if (int rc = mdb_stat(txn, audit, &stat); rc != 0) return lmdb_error(rc, "reading the audit log size");
    std::uint64_t excess = retention.max_events > 0 && stat.ms_entries > retention.max_events ? stat.ms_entries - retention.max_events : 0;
    const std::uint64_t max_age = std::uint64_t{retention.retention_days} * kNsPerDay;
    const std::uint64_t cutoff = retention.retention_days > 0 && now > max_age ? now - max_age : 0;
    return delete_from_front(txn, audit, budget, "pruning the audit log", [&](const MDB_val& k, const MDB_val&) {
        std::uint64_t time = 0;
        std::uint32_t seq = 0;
        const bool old = read_key(k, time, seq) && time < cutoff;
        if (!old && excess == 0) return false;
        if (excess > 0) --excess;
        return true;
    });
}

}  // namespace acmezone::store
