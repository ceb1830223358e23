#include "store/writer.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "store/apply.hpp"
#include "store/audit.hpp"
#include "store/lmdb_error.hpp"
#include "store/log.hpp"
#include "store/meta.hpp"
#include "store/txn.hpp"

namespace acmezone::store {

namespace {

using Outcome = core::Result<core::CommitResult>;

std::uint64_t unix_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// Outcome of one group: per change set, plus whether the outer commit ran out of room
// (then nothing was written and the caller retries the change sets one by one).
struct Group {
    std::vector<std::optional<Outcome>> outcomes;
    bool out_of_room = false;
};

std::uint64_t unix_now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The audit event for one change set: who (ChangeSet.actor/source), where (the first owner,
// relative to the apex), what (the operations), and how it ended.
AuditEvent update_event(const core::Zone& zone, const core::ChangeSet& change, std::string outcome, std::string detail) {
    AuditEvent e;
    e.kind = AuditKind::update;
    e.actor = change.actor.empty() ? "-" : change.actor;
    e.source = change.source;
    if (!change.operations.empty()) {
        const core::Name& owner = change.operations.front().name;
        e.label = owner.is_at_or_below(zone.apex()) ? owner.relative_text(zone.apex()) : owner.to_text();
    }
    std::size_t adds = 0;
    std::size_t deletes = 0;
    for (const auto& op : change.operations) (op.kind == core::OpKind::add_rr ? adds : deletes) += 1;
    e.outcome = std::move(outcome);
    e.detail = "adds=" + std::to_string(adds) + " deletes=" + std::to_string(deletes) + (detail.empty() ? "" : " " + detail);
    return e;
}

// One write transaction over `changes`, each applied in a nested transaction so that a
// failing change set rolls back alone. Outcomes are final only if the commit succeeded;
// otherwise every change set gets the commit's error.
Group commit_group(Store& store, const core::Zone& zone, const std::vector<const core::ChangeSet*>& changes,
                   const AuditRetention* prune) {
    Group group;
    group.outcomes.resize(changes.size());
    auto fail_all = [&](const core::Error& error) {
        for (auto& o : group.outcomes) o.emplace(error);
    };
    try {
        auto outer = Txn::begin(store.env(), nullptr, 0, "starting a write transaction");
        if (!outer) {
            fail_all(outer.error());
            return group;
        }
        std::uint32_t serial = 0;
        if (int rc = read_meta_u32(outer->get(), store.meta_db(), kMetaSerial, serial); rc != 0 && rc != MDB_NOTFOUND) {
            fail_all(lmdb_error(rc, "reading the serial"));
            return group;
        }
        for (std::size_t i = 0; i < changes.size(); ++i) {
            auto nested = Txn::begin(store.env(), outer->get(), 0, "starting a nested transaction");
            if (!nested) {
                group.outcomes[i].emplace(nested.error());
                continue;
            }
            auto changed = apply_change_set(nested->get(), store.records_db(), zone, *changes[i], unix_now());
            if (!changed) {
                nested->abort();  // leaves the outer transaction as it was; the failure is still audited
                AuditEvent failed = update_event(zone, *changes[i], "failed", "error=\"" + changed.error().message + "\"");
                (void)append_audit(outer->get(), store.audit_db(), failed);  // best effort: never fails the batch
                group.outcomes[i].emplace(std::move(changed).error());
                continue;
            }
            // RFC 1982: serial arithmetic wraps modulo 2^32.
            const std::uint32_t next = *changed ? serial + 1u : serial;
            if (*changed) {
                if (int rc = write_meta_u32(nested->get(), store.meta_db(), kMetaSerial, next); rc != 0) {
                    group.outcomes[i].emplace(lmdb_error(rc, "writing the serial"));
                    continue;
                }
            }
            // The audit event commits with the change or not at all.
            AuditEvent event = update_event(zone, *changes[i], *changed ? "ok" : "unchanged",
                                            "serial=" + std::to_string(next));
            if (auto st = append_audit(nested->get(), store.audit_db(), event); !st) {
                group.outcomes[i].emplace(std::move(st).error());
                continue;
            }
            if (auto st = nested->commit("committing a change set"); !st) {
                group.outcomes[i].emplace(std::move(st).error());
                continue;
            }
            serial = next;
            group.outcomes[i].emplace(core::CommitResult{serial, *changed});
        }
        if (prune != nullptr) {
            // Retention, bounded so that this batch's callers do not wait long for it.
            auto pruned = prune_audit(outer->get(), store.audit_db(), *prune, unix_now_ns(), 1000);
            if (!pruned) logger()->warn("event=audit_prune outcome=failed error=\"{}\"", pruned.error().message);
        }
        // Success is reported only after this returns 0: the data is then on disk.
        if (int rc = outer->commit_rc(); rc != 0) {
            group.out_of_room = (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) && changes.size() > 1;
            fail_all(lmdb_error(rc, "committing a batch"));
        }
    } catch (const std::exception& e) {
        fail_all(core::make_error(core::Errc::internal, std::string("writer: ") + e.what()));
    }
    return group;
}

void complete(CommitCallback& done, Outcome outcome) noexcept {
    if (!done) return;
    try {
        done(std::move(outcome));
    } catch (const std::exception& e) {
        logger()->error("event=callback_threw error=\"{}\"", e.what());
    } catch (...) {
        logger()->error("event=callback_threw error=unknown");
    }
}

}  // namespace

Writer::Writer(Store& store, std::shared_ptr<const core::Zone> zone, WriterOptions options)
    : store_(store), options_(options), zone_(std::move(zone)) {
    if (options_.max_batch == 0) options_.max_batch = 1;
    thread_ = std::thread([this] { run(); });
}

Writer::~Writer() { stop(); }

void Writer::submit(core::ChangeSet change, CommitCallback done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(Pending{std::move(change), std::move(done)});
            wake_.notify_one();
            return;
        }
    }
    complete(done, core::make_error(core::Errc::shutting_down, "the writer is stopping; the change was not applied"));
}

std::future<core::Result<core::CommitResult>> Writer::submit(core::ChangeSet change) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    auto future = promise->get_future();
    submit(std::move(change), [promise](Outcome outcome) { promise->set_value(std::move(outcome)); });
    return future;
}

void Writer::set_zone(std::shared_ptr<const core::Zone> zone) {
    std::lock_guard lock(mutex_);
    zone_ = std::move(zone);
}

void Writer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    // Never join from the writer thread itself (a callback calling stop()).
    std::lock_guard join_lock(join_mutex_);
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void Writer::run() {
    for (;;) {
        std::deque<Pending> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and everything queued is done
            // Group commit: everything waiting (up to max_batch) shares one transaction.
            const std::size_t take = std::min(queue_.size(), options_.max_batch);
            for (std::size_t i = 0; i < take; ++i) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        try {
            apply_batch(batch);
        } catch (...) {
            // apply_batch completes callers and pops them as it goes; whoever is left was
            // not completed, and nothing of theirs is reported as written.
            for (auto& p : batch) complete(p.done, core::make_error(core::Errc::internal, "writer: unexpected failure"));
        }
    }
}

void Writer::apply_batch(std::deque<Pending>& batch) {
    std::shared_ptr<const core::Zone> zone;
    {
        std::lock_guard lock(mutex_);
        zone = zone_;
    }
    std::vector<std::optional<Outcome>> outcomes;
    if (!zone) {
        outcomes.resize(batch.size());
        for (auto& o : outcomes) o.emplace(core::make_error(core::Errc::internal, "writer: no zone configured"));
    } else {
        std::vector<const core::ChangeSet*> changes;
        changes.reserve(batch.size());
        for (const auto& p : batch) changes.push_back(&p.change);
        // The audit log is pruned at most once a minute.
        const auto now = std::chrono::steady_clock::now();
        const bool prune = now - last_prune_ >= std::chrono::minutes(1);
        if (prune) last_prune_ = now;
        Group group = commit_group(store_, *zone, changes, prune ? &options_.audit : nullptr);
        if (group.out_of_room) {
            // The batch did not fit as a whole; one transaction each lets those that fit
            // through and gives the others store_full. Nothing of the failed batch was written.
            logger()->warn("event=batch_map_full size={} action=retry_singly", changes.size());
            for (std::size_t i = 0; i < changes.size(); ++i) {
                Group single = commit_group(store_, *zone, {changes[i]}, nullptr);
                group.outcomes[i] = std::move(single.outcomes[0]);
            }
        }
        outcomes = std::move(group.outcomes);
    }
    std::size_t failed = 0;
    for (const auto& o : outcomes)
        if (!o || !o->ok()) ++failed;
    if (failed > 0) logger()->debug("event=batch_done size={} failed={}", batch.size(), failed);
    for (std::size_t i = 0; !batch.empty(); ++i) {
        Pending p = std::move(batch.front());
        batch.pop_front();
        complete(p.done, i < outcomes.size() && outcomes[i] ? std::move(*outcomes[i])
                                                            : Outcome(core::make_error(core::Errc::internal, "writer: no outcome")));
    }
}

}  // namespace acmezone::store
