// dns/notify: the NOTIFY sender (RFC 1996). After a durable commit the writer's listener calls
// notify(serial), which only records the newest serial and wakes the sender's own thread. Per
// target at most one NOTIFY is in flight; commits arriving meanwhile are coalesced, so a burst
// of updates costs one NOTIFY per target carrying the newest serial (never one per update).
// A NOTIFY is retried with doubling intervals until a matching response arrives (same ID,
// QR=1, opcode NOTIFY, from the target's address and port) or the retries run out. Signed
// with the target's TSIG key when one is configured (RFC 8945). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/endpoint.hpp"
#include "dns/tsig.hpp"

namespace acmezone::dns {

struct NotifyTarget {
    Endpoint endpoint;                   // "127.0.0.1:5300", "[::1]:5300"
    std::optional<TsigKeyMaterial> key;  // signs the NOTIFY when set
};

struct NotifyOptions {
    std::vector<NotifyTarget> targets;
    std::uint32_t retries = 5;                             // resends after the first attempt
    std::chrono::milliseconds initial_interval{1000};      // wait before the first resend, then doubling
    std::chrono::milliseconds max_interval{60000};         // cap on the interval
    std::uint16_t fudge = 300;                             // TSIG time fudge
};

// The wait before resend number `attempt` (1-based): initial * 2^(attempt-1), at most `cap`.
std::chrono::milliseconds notify_retry_interval(std::uint32_t attempt, std::chrono::milliseconds initial,
                                                std::chrono::milliseconds cap) noexcept;

// Writes a NOTIFY request (RFC 1996 §3.7: OPCODE 4, AA, question (apex, SOA, IN), the new SOA in
// the answer section) into `buf`, signed when `key` is set. Returns its length, 0 when it does
// not fit.
std::size_t write_notify(std::span<std::uint8_t> buf, std::uint16_t id, const core::Zone& zone, std::uint32_t serial,
                         const TsigKeyMaterial* key, std::uint64_t now, std::uint16_t fudge) noexcept;

struct NotifyStats {
    std::uint64_t sent = 0;     // NOTIFY datagrams sent (first attempts and resends)
    std::uint64_t acked = 0;    // matching responses received
    std::uint64_t retried = 0;  // resends
    std::uint64_t failed = 0;   // NOTIFYs given up after the last retry
};

class NotifySender {
public:
    // `zone` gives the apex and SOA fields at each send (it follows config reloads).
    using ZoneSource = std::function<const core::Zone&()>;
    NotifySender(ZoneSource zone, NotifyOptions options);
    ~NotifySender();  // stop()
    NotifySender(const NotifySender&) = delete;
    NotifySender& operator=(const NotifySender&) = delete;

    // Opens the sockets and starts the thread. Nothing is sent until notify() is called.
    core::Status start();
    // Stops the thread (pending NOTIFYs are abandoned; secondaries still refresh on their timer).
    void stop();

    // The writer's commit listener: records `serial` as the newest and wakes the sender. Cheap,
    // never blocks on the network; any thread.
    void notify(std::uint32_t serial);

    NotifyStats stats() const;

private:
    struct TargetState;
    void run();
    void wake();

    ZoneSource zone_;
    NotifyOptions options_;
    std::mutex mutex_;
    std::uint32_t latest_ = 0;  // guarded by mutex_
    bool have_latest_ = false;  // guarded by mutex_
    bool stopping_ = false;     // guarded by mutex_
    int wake_fd_ = -1;          // eventfd: notify() and stop() wake poll()
    int socket4_ = -1;
    int socket6_ = -1;
    std::atomic<std::uint64_t> sent_{0}, acked_{0}, retried_{0}, failed_{0};
    std::thread thread_;
};

}  // namespace acmezone::dns
