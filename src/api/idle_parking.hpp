// api/idle_parking: one epoll thread that holds every HTTP connection waiting for its client
// ("parked": before its first request, between keep-alive requests, in the middle of a request
// that is still arriving), so a silent or slow client costs a descriptor and a few bytes, never
// a pool thread. A parked connection leaves when its socket is ready (handed to `on_ready`, from
// the parking thread), at its deadline (closed), when evicted to make room (closed), or at
// stop() (closed). Closing a connection is destroying it. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "api/parking_lot.hpp"
#include "core/result.hpp"

namespace acmezone::api {

// What can be parked: a socket to watch and how long its client has owed us a request.
class Parkable {
public:
    virtual ~Parkable() = default;
    virtual int fd() const = 0;
    virtual ParkingLot::Clock::time_point waiting_since() const = 0;
};

enum class ParkFor { read, write };

struct ParkingStats {
    std::uint64_t timed_out = 0;  // closed at their deadline
    std::uint64_t evicted = 0;    // closed to make room for a new connection
    std::size_t parked = 0;       // parked now
};

class IdleParking {
public:
    using Clock = ParkingLot::Clock;
    using Ready = std::function<void(std::unique_ptr<Parkable>)>;

    explicit IdleParking(Ready on_ready);
    ~IdleParking();  // stop()
    IdleParking(const IdleParking&) = delete;
    IdleParking& operator=(const IdleParking&) = delete;

    // Creates the epoll and wake-up descriptors and starts the thread.
    core::Status start();
    // Takes `connection` until its socket is readable (or writable) or `deadline` passes. After
    // stop() (or before start()) it is closed at once and false is returned.
    bool park(std::unique_ptr<Parkable> connection, ParkFor wait, Clock::time_point deadline);
    // Closes the connection that has waited longest for its client; false when none is parked.
    bool evict_oldest();
    // Closes every parked connection and joins the thread; later park() calls close theirs.
    void stop();

    ParkingStats stats() const;

private:
    void run();
    void wake();

    Ready on_ready_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: a new, earlier deadline or stop()
    std::thread thread_;

    mutable std::mutex mutex_;
    bool running_ = false;
    std::uint64_t next_id_ = 1;  // 0 is the wake-up descriptor
    std::unordered_map<ParkingLot::Id, std::unique_ptr<Parkable>> parked_;
    ParkingLot lot_;
    Clock::time_point planned_wake_ = Clock::time_point::max();  // when the thread looks next
    std::atomic<std::uint64_t> timed_out_{0};
    std::atomic<std::uint64_t> evicted_{0};
};

}  // namespace acmezone::api
