#include "store/writer.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
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
    std::optional<std::uint32_t> moved_to;  // the serial after a durable commit that moved it
};

constexpr std::size_t kJournalTrimBudget = 64;  // entries dropped per commit at most: keeps commits short

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
                   const AuditRetention* prune, const WriterOptions& options) {
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
        const std::uint32_t first_serial = serial;
        for (std::size_t i = 0; i < changes.size(); ++i) {
            auto nested = Txn::begin(store.env(), outer->get(), 0, "starting a nested transaction");
            if (!nested) {
                group.outcomes[i].emplace(nested.error());
                continue;
            }
            const std::uint64_t now = unix_now();
            ChangeDiff diff;
            auto changed = apply_change_set(nested->get(), store.records_db(), zone, *changes[i], now, &diff);
            if (!changed) {
                nested->abort();  // leaves the outer transaction as it was; the failure is still audited
                AuditEvent failed = update_event(zone, *changes[i], "failed", "error=\"" + changed.error().message + "\"");
                (void)append_audit(outer->get(), store.audit_db(), failed);  // best effort: never fails the batch
                group.outcomes[i].emplace(std::move(changed).error());
                continue;
            }
            // What secondaries see: the RRs that left and entered the zone. Rewrites that leave
            // the zone as it was (a value deleted and added back) move no serial.
            JournalEntry step;
            if (auto st = diff.to_journal(step.deleted, step.added); !st) {
                group.outcomes[i].emplace(std::move(st).error());
                continue;
            }
            *changed = *changed && (!step.deleted.empty() || !step.added.empty());
            const std::uint32_t next = *changed ? next_serial(serial, options.serial_policy, now) : serial;
            if (*changed) {
                if (int rc = write_meta_u32(nested->get(), store.meta_db(), kMetaSerial, next); rc != 0) {
                    group.outcomes[i].emplace(lmdb_error(rc, "writing the serial"));
                    continue;
                }
                // The journal step commits with the change or not at all (RFC 1995 needs both).
                if (options.journal.enabled && store.journal_db() != 0) {
                    step.serial_from = serial;
                    step.serial_to = next;
                    step.committed_at = now;
                    if (auto st = append_journal(nested->get(), store.journal_db(), store.meta_db(), step); !st) {
                        group.outcomes[i].emplace(std::move(st).error());
                        continue;
                    }
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
        if (store.journal_db() != 0 && serial != first_serial) {
            // Bounds, a few entries per commit; a long backlog shrinks over the next commits.
            auto trimmed = trim_journal(outer->get(), store.journal_db(), store.meta_db(), options.journal, unix_now(),
                                        kJournalTrimBudget);
            if (!trimmed) logger()->warn("event=journal_trim outcome=failed error=\"{}\"", trimmed.error().message);
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
        } else if (serial != first_serial) {
            group.moved_to = serial;
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

std::uint32_t next_serial(std::uint32_t old, SerialPolicy policy, std::uint64_t now) noexcept {
    // RFC 1982 §3.1: addition wraps modulo 2^32.
    const std::uint32_t step = old + 1u;
    if (policy == SerialPolicy::increment) return step;
    // §3.2: `clock` is greater than `step` when it is ahead by less than 2^31. Otherwise (the
    // clock is behind, e.g. many updates in one second or a clock set back) keep counting.
    const auto clock = static_cast<std::uint32_t>(now);
    const std::uint32_t ahead = clock - step;
    return (ahead != 0 && ahead < 0x80000000u) ? clock : step;
}

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

namespace {

// The static RRs of a zone as journal RRs (owner canonical), sorted for comparison.
std::vector<JournalRR> static_rrs(const core::Zone& zone) {
    std::vector<JournalRR> out;
    for (const core::RRset* set : zone.all_rrsets())
        for (const auto& rdata : set->rdatas) out.push_back(JournalRR{std::string(set->owner.canonical_wire()), set->type, set->ttl, rdata});
    std::sort(out.begin(), out.end(), [](const JournalRR& a, const JournalRR& b) {
        return std::tie(a.owner, a.type, a.ttl, a.rdata) < std::tie(b.owner, b.type, b.ttl, b.rdata);
    });
    return out;
}

}  // namespace

void Writer::set_zone(std::shared_ptr<const core::Zone> zone) {
    std::shared_ptr<const core::Zone> old;
    CommitListener listener;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(zone_, zone);
        listener = commit_listener_;
    }
    if (!old || !zone) return;
    // Secondaries learn of a change only through the serial: static records or SOA fields that
    // differ after a reload are one serial step of their own, journaled like any change.
    JournalEntry step;
    const auto before = static_rrs(*old);
    const auto after = static_rrs(*zone);
    std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(step.deleted),
                        [](const JournalRR& a, const JournalRR& b) { return std::tie(a.owner, a.type, a.ttl, a.rdata) < std::tie(b.owner, b.type, b.ttl, b.rdata); });
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(step.added),
                        [](const JournalRR& a, const JournalRR& b) { return std::tie(a.owner, a.type, a.ttl, a.rdata) < std::tie(b.owner, b.type, b.ttl, b.rdata); });
    const bool soa_changed = old->soa_rdata(0) != zone->soa_rdata(0) || old->spec().soa.ttl != zone->spec().soa.ttl ||
                             !(old->apex() == zone->apex());
    if (step.deleted.empty() && step.added.empty() && !soa_changed) return;
    // Its own write transaction: LMDB orders it with the writer thread's batches.
    std::uint32_t serial = 0;
    auto txn = Txn::begin(store_.env(), nullptr, 0, "starting a zone-change transaction");
    core::Status status = core::Ok{};
    if (!txn) {
        status = std::move(txn).error();
    } else if (int rc = read_meta_u32(txn->get(), store_.meta_db(), kMetaSerial, serial); rc != 0 && rc != MDB_NOTFOUND) {
        status = lmdb_error(rc, "reading the serial");
    } else {
        step.serial_from = serial;
        step.serial_to = next_serial(serial, options_.serial_policy, unix_now());
        step.committed_at = unix_now();
        if (int w = write_meta_u32(txn->get(), store_.meta_db(), kMetaSerial, step.serial_to); w != 0)
            status = lmdb_error(w, "writing the serial");
        else if (!(old->apex() == zone->apex()) || !options_.journal.enabled || store_.journal_db() == 0)
            status = core::Ok{};  // another zone altogether: no IXFR across it (secondaries take AXFR)
        else
            status = append_journal(txn->get(), store_.journal_db(), store_.meta_db(), step);
        if (status) status = txn->commit("committing a zone change");
    }
    if (!status) {
        logger()->error("event=zone_change_serial outcome=failed error=\"{}\"", status.error().message);
        return;
    }
    logger()->info("event=zone_change_serial serial={} deleted={} added={}", step.serial_to, step.deleted.size(), step.added.size());
    if (listener) {
        try {
            listener(step.serial_to);
        } catch (const std::exception& e) {
            logger()->error("event=commit_listener_threw error=\"{}\"", e.what());
        }
    }
}

void Writer::set_commit_listener(CommitListener listener) {
    std::lock_guard lock(mutex_);
    commit_listener_ = std::move(listener);
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

WriterStats Writer::stats() const {
    WriterStats s;
    s.commits = commits_.load(std::memory_order_relaxed);
    s.change_sets_ok = change_sets_ok_.load(std::memory_order_relaxed);
    s.change_sets_failed = change_sets_failed_.load(std::memory_order_relaxed);
    s.batch_size = batch_size_.snapshot();
    s.commit_seconds = commit_seconds_.snapshot();
    return s;
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
    CommitListener listener;
    {
        std::lock_guard lock(mutex_);
        zone = zone_;
        listener = commit_listener_;
    }
    std::optional<std::uint32_t> moved_to;
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
        // Metrics: one transaction, from its start to the durable commit.
        const auto timed_commit = [&](const std::vector<const core::ChangeSet*>& part, const AuditRetention* retention) {
            const auto started = std::chrono::steady_clock::now();
            Group done = commit_group(store_, *zone, part, retention, options_);
            if (done.moved_to) moved_to = done.moved_to;
            commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            batch_size_.observe(static_cast<double>(part.size()));
            commits_.fetch_add(1, std::memory_order_relaxed);
            return done;
        };
        Group group = timed_commit(changes, prune ? &options_.audit : nullptr);
        if (group.out_of_room) {
            // The batch did not fit as a whole; one transaction each lets those that fit
            // through and gives the others store_full. Nothing of the failed batch was written.
            logger()->warn("event=batch_map_full size={} action=retry_singly", changes.size());
            for (std::size_t i = 0; i < changes.size(); ++i) {
                Group single = timed_commit({changes[i]}, nullptr);
                group.outcomes[i] = std::move(single.outcomes[0]);
            }
        }
        outcomes = std::move(group.outcomes);
    }
    std::size_t failed = 0;
    for (const auto& o : outcomes)
        if (!o || !o->ok()) ++failed;
    if (failed > 0) logger()->debug("event=batch_done size={} failed={}", batch.size(), failed);
    change_sets_failed_.fetch_add(failed, std::memory_order_relaxed);
    if (moved_to && listener) {
        try {
            listener(*moved_to);  // once per group commit, after it is durable
        } catch (const std::exception& e) {
            logger()->error("event=commit_listener_threw error=\"{}\"", e.what());
        }
    }
    change_sets_ok_.fetch_add(batch.size() - std::min(failed, batch.size()), std::memory_order_relaxed);
    for (std::size_t i = 0; !batch.empty(); ++i) {
        Pending p = std::move(batch.front());
        batch.pop_front();
        complete(p.done, i < outcomes.size() && outcomes[i] ? std::move(*outcomes[i])
                                                            : Outcome(core::make_error(core::Errc::internal, "writer: no outcome")));
    }
}

}  // namespace acmezone::store
