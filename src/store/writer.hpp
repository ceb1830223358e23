// store/writer: the single writer. Front ends submit core::ChangeSets from any thread; one
// writer thread drains the queue and applies a batch in one LMDB write transaction (group
// commit: many change sets, one fsync). Each change set runs in a nested transaction, so a
// failed prerequisite or rule rolls back that change set alone. A change set that changed
// something bumps the SOA serial by one (RFC 1982). Callers are completed only after the
// commit is durable: success means on disk. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "core/change_set.hpp"
#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/audit.hpp"
#include "store/store.hpp"

namespace acmezone::store {

struct WriterOptions {
    std::size_t max_batch = 512;  // change sets per transaction at most
    AuditRetention audit{};       // applied to the audit log now and then (store/audit)
};

using CommitCallback = std::function<void(core::Result<core::CommitResult>)>;

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

    // Finishes what is queued, then stops the thread; later submits fail with shutting_down.
    void stop();

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
    bool stopping_ = false;
    std::chrono::steady_clock::time_point last_prune_{};  // writer thread only
    std::mutex join_mutex_;  // stop() may be called from several threads; one joins
    std::thread thread_;
};

}  // namespace acmezone::store
