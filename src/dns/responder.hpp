// dns/responder: turns one query message into one response message, for UDP and TCP alike.
// It parses the header, question and OPT in place, looks the owner up (static data in the
// core::Zone, dynamic data in the caller's store::Snapshot), classifies the result (an answer
// kind), and one switch writes flags, RCODE and sections straight into the caller's buffer.
// No heap allocation, no lock, no logging. A Responder is immutable: share it between threads;
// each thread brings its own Snapshot and buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

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

    const core::Zone& zone() const noexcept { return *zone_; }

private:
    std::shared_ptr<const core::Zone> zone_;
};

}  // namespace acmezone::dns
