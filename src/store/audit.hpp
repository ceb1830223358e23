// store/audit: the audit log in the "audit" database: who did what, when, from where, and how it
// ended. Key: big-endian u64 time (ns since the Unix epoch) + big-endian u32 sequence, so keys
// sort by time and stay unique and increasing even when the clock stalls or steps back (the
// next key is always after the last one: LMDB serialises writers, across processes too).
// Value: a versioned encoding owned here. The writer appends `update` events in the same
// transaction as the change; admin operations append theirs in their own transactions.
// Retention (age and count) is applied by prune(), which the writer calls now and then.
// Thread-safe (LMDB transactions).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <lmdb.h>

#include "core/result.hpp"
#include "store/store.hpp"

namespace acmezone::store {

inline constexpr std::uint8_t kAuditFormat = 1;

enum class AuditKind : std::uint8_t {
    issue = 1,
    rotate = 2,
    disable = 3,
    enable = 4,
    revoke = 5,
    admin_auth_failure = 6,
    update = 7,
    delete_txt = 8,
    register_account = 9,  // "register"
    update_auth_failure = 10,  // a failed X-Api-User/X-Api-Key check on /update
};

inline constexpr std::uint8_t kLastAuditKind = 10;

const char* to_string(AuditKind kind) noexcept;
std::optional<AuditKind> parse_audit_kind(std::string_view text) noexcept;

struct AuditEvent {
    std::uint64_t time_ns = 0;   // set by append (the key's time)
    std::uint32_t sequence = 0;  // set by append
    AuditKind kind = AuditKind::update;
    std::string actor;    // credential username, admin token name, or "cli"
    std::string label;    // the label (or owner name) concerned; "" when none
    std::string source;   // "api:<address>", "local", ...
    std::string outcome;  // "ok", "unchanged", "failed", ...
    std::string detail;   // free text (never a secret)

    // Opaque cursor text for paging: 24 hex digits of the key.
    std::string cursor() const;
};

std::string encode_audit_event(const AuditEvent& event);
core::Status decode_audit_event(std::span<const std::uint8_t> data, AuditEvent& out);

// Appends `event` inside an open write transaction; fills its time and sequence.
core::Status append_audit(MDB_txn* txn, MDB_dbi audit, AuditEvent& event);

struct AuditFilter {
    std::uint64_t since_ns = 0;             // events at or after this time
    std::optional<std::string> actor;       // exact
    std::optional<AuditKind> kind;
    std::optional<std::string> label;       // exact
    std::string after;                      // a cursor: only events after it ("" = from the start)
    std::size_t limit = 100;                // at most this many (1..10000)
};

struct AuditPage {
    std::vector<AuditEvent> events;  // oldest first
    std::string next;                // cursor for the next page; "" when this was the last
};

class AuditLog {
public:
    explicit AuditLog(Store& store) : store_(store) {}

    // Appends one event in its own write transaction.
    core::Status append(AuditEvent event);
    // One page of events matching `filter`, oldest first.
    core::Result<AuditPage> page(const AuditFilter& filter) const;

private:
    Store& store_;
};

struct AuditRetention {
    std::uint32_t retention_days = 90;    // 0: keep forever
    std::uint64_t max_events = 1000000;   // 0: no cap
};

// Deletes events older than the retention age and the oldest beyond max_events, at most
// `budget` of them (the writer runs this inside its transaction and must stay short). The
// number deleted.
core::Result<std::size_t> prune_audit(MDB_txn* txn, MDB_dbi audit, const AuditRetention& retention, std::uint64_t now_ns,
                                      std::size_t budget);

}  // namespace acmezone::store
