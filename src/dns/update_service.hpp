// dns/update_service: the signed and updating side of DNS, off the hot path. UDP workers and
// the TCP server hand it every message that is an UPDATE or carries a TSIG (needs_signed_path);
// it verifies TSIG (RFC 8945), answers signed queries with a signed response (alias mode
// included), and turns UPDATEs (RFC 2136) into change sets for the store's writer. A reply is
// given to the caller's ReplyFn exactly once: from the service thread, or from the writer's
// thread once the commit is durable. A bounded queue: post() fails when it is full, and the
// caller answers SERVFAIL. Thread-safe.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "core/zone.hpp"
#include "dns/keyring.hpp"
#include "dns/responder.hpp"
#include "dns/tsig.hpp"
#include "store/snapshot.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::dns {

struct UpdateServiceOptions {
    bool enabled = true;        // false: every UPDATE is REFUSED (signed queries are still answered)
    bool alias_mode = true;     // see core::alias_owner and config/acmezone.toml [dns.update]
    std::uint16_t fudge = 300;  // seconds of clock skew allowed (RFC 8945 §5.2.3)
    std::size_t queue_limit = 1024;
};

// The response bytes (without TCP framing); an empty span means "send nothing".
using ReplyFn = std::function<void(std::span<const std::uint8_t>)>;

struct UpdateServiceStats {
    std::uint64_t updates = 0;   // UPDATE messages answered
    std::uint64_t signed_queries = 0;
    std::uint64_t tsig_failures = 0;
    std::uint64_t queue_full = 0;
    // UPDATE answers by header RCODE (NOERROR: applied and durable; NOTAUTH: TSIG or zone
    // refused; ...). An UPDATE given no answer at all is not counted.
    std::array<std::uint64_t, 16> update_rcodes{};
};

class UpdateService {
public:
    UpdateService(store::Store& store, store::Writer& writer, std::shared_ptr<const Responder> responder,
                  std::shared_ptr<const Keyring> keyring, UpdateServiceOptions options);
    ~UpdateService();
    UpdateService(const UpdateService&) = delete;
    UpdateService& operator=(const UpdateService&) = delete;

    core::Status start();
    // Takes no new work, finishes what is queued, and waits until every commit under way has
    // been answered. Call before stopping the listeners that hand work in, and before the writer.
    void stop();

    // Queues a copy of `message`; false when the queue is full or the service is stopped.
    // `source` (the client address as text) goes to the audit log.
    bool post(std::span<const std::uint8_t> message, Transport transport, std::string source, ReplyFn reply);

    // Processes one message on the calling thread (tests; the service thread uses it too).
    void handle(std::span<const std::uint8_t> message, Transport transport, const std::string& source, ReplyFn reply);

    UpdateServiceStats stats() const;

    // Writes a SERVFAIL for `message` into `out` (header only; for a full queue); its length or 0.
    static std::size_t write_servfail(std::span<const std::uint8_t> message, std::span<std::uint8_t> out) noexcept;

private:
    struct Job {
        std::vector<std::uint8_t> message;
        Transport transport;
        std::string source;
        ReplyFn reply;
    };
    void run();
    void finish_one();

    store::Writer& writer_;
    std::shared_ptr<const Responder> responder_;
    std::shared_ptr<const Keyring> keyring_;
    UpdateServiceOptions options_;
    store::Snapshot snapshot_;  // used by handle(); one handle() at a time
    std::mutex handle_mutex_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Job> queue_;
    std::size_t in_flight_ = 0;  // commits submitted, not yet answered
    bool stopping_ = false;
    UpdateServiceStats stats_;
    std::thread thread_;
};

}  // namespace acmezone::dns
