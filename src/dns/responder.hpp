// dns/responder: turns one query message into one response message, for UDP and TCP alike.
// It parses the header, question and OPT in place, looks the owner up (static data in the
// core::Zone, dynamic data in the caller's store::Snapshot), classifies the result (an answer
// kind), and one switch writes flags, RCODE and sections straight into the caller's buffer.
// No heap allocation, no lock, no logging. Share a Responder between threads; each thread
// brings its own Snapshot and buffer. Only the static zone can change (set_zone, on a config
// reload), published through one atomic pointer: a query reads it with one acquire load.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/zone.hpp"
#include "store/snapshot.hpp"

namespace acmezone::dns {

enum class Transport { udp, tcp };

inline constexpr std::size_t kMaxUdpPayload = 1232;  // what we advertise and send at most (DNS Flag Day 2020)
inline constexpr std::size_t kMaxMessage = 65535;    // TCP message limit; response buffers are this large

class Responder {
public:
    explicit Responder(std::shared_ptr<const core::Zone> zone);

    // Writes the response to `query` into `out` and returns its length; 0 means send nothing
    // (unreadable header, or a response). `snapshot` must be begun by the caller. `out` should
    // be kMaxMessage bytes; over UDP the answer is limited to the client's payload size and
    // truncated (TC=1, no partial RRsets) when it does not fit.
    std::size_t respond(std::span<const std::uint8_t> query, std::span<std::uint8_t> out, Transport transport,
                        const store::Snapshot& snapshot) const noexcept;

    // The zone in use now. The reference stays valid for the Responder's lifetime, even after
    // set_zone replaced it (a caller may hold it across a reload).
    const core::Zone& zone() const noexcept { return *current_.load(std::memory_order_acquire); }

    // Replaces the static zone (config reload); thread-safe against respond() and zone(). Queries
    // already running finish with the zone they started with. Retired zones are kept until the
    // Responder is destroyed instead of being reclaimed (no per-query refcount, epoch or lock):
    // each reload costs the memory of one static zone, a few records, so this is meant for
    // operator reloads, not for frequent changes.
    void set_zone(std::shared_ptr<const core::Zone> zone);

private:
    std::atomic<const core::Zone*> current_;
    std::mutex zones_mutex_;                              // set_zone only
    std::vector<std::shared_ptr<const core::Zone>> zones_;  // every zone set so far (owns them)
};

}  // namespace acmezone::dns
