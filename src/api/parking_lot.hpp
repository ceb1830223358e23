// api/parking_lot: the bookkeeping of parked HTTP connections (those waiting for their client
// to send), without any I/O: which one times out next, which have timed out, and which has
// waited longest (the one evicted when the connection cap is reached). Ids are the caller's.
// Not thread-safe (IdleParking guards it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace acmezone::api {

class ParkingLot {
public:
    using Clock = std::chrono::steady_clock;
    using Id = std::uint64_t;

    // `deadline`: close the connection then if it is still here. `waiting_since`: when its
    // client last owed us nothing (accept, or the end of the previous response); the
    // smallest is the oldest. An id already present is replaced.
    void add(Id id, Clock::time_point deadline, Clock::time_point waiting_since);
    bool remove(Id id);
    bool contains(Id id) const { return entries_.count(id) != 0; }

    // Removes and returns every id whose deadline is at or before `now`, earliest first.
    std::vector<Id> take_expired(Clock::time_point now);
    // Removes and returns the id that has waited longest (ties: the smaller id).
    std::optional<Id> take_oldest();

    std::optional<Clock::time_point> next_deadline() const;
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }

private:
    struct Entry {
        Clock::time_point deadline;
        Clock::time_point waiting_since;
    };
    std::unordered_map<Id, Entry> entries_;
    std::set<std::pair<Clock::time_point, Id>> by_deadline_;
    std::set<std::pair<Clock::time_point, Id>> by_age_;
};

}  // namespace acmezone::api
