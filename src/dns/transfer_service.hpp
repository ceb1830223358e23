// dns/transfer_service: runs zone transfers (dns/transfer) off the TCP server's io thread, so
// a large AXFR does not hold up other TCP clients. One worker thread with its own Snapshot and
// a bounded queue: post() fails when it is full and the caller answers SERVFAIL. Replies go to
// the caller's StreamFn exactly once, as 2-octet-length-framed messages (RFC 1035 §4.2.2)
// concatenated. Thread-safe.
#pragma once

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
#include "dns/responder.hpp"
#include "dns/transfer.hpp"
#include "store/snapshot.hpp"
#include "store/store.hpp"

namespace acmezone::dns {

// Framed messages; empty means "send nothing".
using StreamFn = std::function<void(std::vector<std::uint8_t> framed)>;

struct TransferStats {
    std::uint64_t axfr = 0;          // full transfers (AXFR, and IXFR answered with the whole zone)
    std::uint64_t ixfr = 0;          // incremental or "you are current" answers
    std::uint64_t refused = 0;       // REFUSED by the ACL
    std::uint64_t notauth = 0;       // TSIG failures and other zones
    std::uint64_t other_errors = 0;  // FORMERR, SERVFAIL
    std::uint64_t queue_full = 0;
};

class TransferService {
public:
    // The zone comes from `responder` at each request (it follows config reloads).
    TransferService(const store::Store& store, std::shared_ptr<const Responder> responder, TransferOptions options,
                    std::size_t queue_limit = 16);
    ~TransferService();  // stop()
    TransferService(const TransferService&) = delete;
    TransferService& operator=(const TransferService&) = delete;

    core::Status start();
    // Takes no new work, finishes what is queued. Call before stopping the TCP server.
    void stop();

    // Queues a copy of `query`; `peer` is the client address as text. False when full or stopped.
    bool post(std::span<const std::uint8_t> query, std::string peer, StreamFn reply);

    // Answers on the calling thread (tests; the worker uses it too). Not concurrently with itself.
    std::vector<std::uint8_t> handle(std::span<const std::uint8_t> query, const std::string& peer);

    TransferStats stats() const;

    // The messages of an answer with their 2-octet lengths, one after another.
    static std::vector<std::uint8_t> frame(const std::vector<std::vector<std::uint8_t>>& messages);

private:
    struct Job {
        std::vector<std::uint8_t> query;
        std::string peer;
        StreamFn reply;
    };
    void run();

    const store::Store& store_;
    std::shared_ptr<const Responder> responder_;
    TransferOptions options_;
    std::size_t queue_limit_;
    store::Snapshot snapshot_;
    std::mutex handle_mutex_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    TransferStats stats_;
    std::thread thread_;
};

}  // namespace acmezone::dns
