// store/writer: the single writer. Front ends submit core::ChangeSets from any thread; one
// writer thread drains the queue and applies a batch in one LMDB write transaction (group
// commit: many change sets, one fsync). Each change set runs in a nested transaction, so a
// failed prerequisite or rule rolls back that change set alone. A change set that changed
// something moves the SOA serial one step (RFC 1982; WriterOptions::serial_policy) and appends
// that step to the journal (store/journal, for IXFR) in the same transaction. Callers are
// completed only after the commit is durable: success means on disk. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "core/change_set.hpp"
#include "core/histogram.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/audit.hpp"
#include "store/journal.hpp"
#include "store/store.hpp"

namespace acmezone::store {

// How the SOA serial moves on each change ([zone.soa] serial_policy).
enum class SerialPolicy {
    increment,  // old + 1
    unixtime,   // max(old + 1, now) in RFC 1982 order: follows the clock, never collides or goes back
};

// The next serial after `old` under `policy` at unix time `now` (RFC 1982 arithmetic).
std::uint32_t next_serial(std::uint32_t old, SerialPolicy policy, std::uint64_t now) noexcept;

struct WriterOptions {
    std::size_t max_batch = 512;  // change sets per transaction at most
    AuditRetention audit{};       // applied to the audit log now and then (store/audit)
    SerialPolicy serial_policy = SerialPolicy::increment;
    JournalLimits journal{};      // trimmed by the writer, a small budget per commit
};

// Told the zone's serial after each durable commit that moved it (once per group commit, not
// per change set): the hook for a NOTIFY sender. Runs on the writer thread; keep it short.
using CommitListener = std::function<void(std::uint32_t serial)>;

using CommitCallback = std::function<void(core::Result<core::CommitResult>)>;

// What the writer did since construction (metrics); a copy.
struct WriterStats {
    std::uint64_t commits = 0;             // write transactions run (a batch; a batch retried singly counts each)
    std::uint64_t change_sets_ok = 0;      // change sets completed with success
    std::uint64_t change_sets_failed = 0;  // change sets completed with an error (rules, prerequisites, store)
    core::HistogramSnapshot batch_size;    // change sets per batch
    core::HistogramSnapshot commit_seconds;  // time to apply and durably commit one batch
};

class Writer {
public:
    // The zone tells the writer which owners are reserved (apex, static records), the cap on
    // TXT values per name, and answers prerequisites about static data.
    Writer(Store& store, std::shared_ptr<const core::Zone> zone, WriterOptions options = {});
    ~Writer();  // stop()
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Queues a change set; `done` runs on the writer thread after commit (or failure).
    void submit(core::ChangeSet change, CommitCallback done);
    // Convenience for synchronous callers (CLI, tests).
    std::future<core::Result<core::CommitResult>> submit(core::ChangeSet change);

    // Replaces the zone used for checks (config reload).
    void set_zone(std::shared_ptr<const core::Zone> zone);

    // Sets (or clears, with an empty function) the listener told about committed serials.
    void set_commit_listener(CommitListener listener);

    // Finishes what is queued, then stops the thread; later submits fail with shutting_down.
    void stop();

    WriterStats stats() const;  // any thread

private:
    struct Pending {
        core::ChangeSet change;
        CommitCallback done;
    };
    void run();
    void apply_batch(std::deque<Pending>& batch);

    Store& store_;
    WriterOptions options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Pending> queue_;
    std::shared_ptr<const core::Zone> zone_;
    CommitListener commit_listener_;  // guarded by mutex_
    bool stopping_ = false;
    std::chrono::steady_clock::time_point last_prune_{};  // writer thread only
    std::mutex join_mutex_;  // stop() may be called from several threads; one joins
    // Metrics: written by the writer thread, read by stats().
    std::atomic<std::uint64_t> commits_{0};
    std::atomic<std::uint64_t> change_sets_ok_{0};
    std::atomic<std::uint64_t> change_sets_failed_{0};
    core::Histogram batch_size_{core::exponential_buckets(1, 2, 10)};  // 1 .. 512 (max_batch's default)
    core::Histogram commit_seconds_{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
    std::thread thread_;
};

}  // namespace acmezone::store
