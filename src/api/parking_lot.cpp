#include "api/parking_lot.hpp"

namespace acmezone::api {

void ParkingLot::add(Id id, Clock::time_point deadline, Clock::time_point waiting_since) {
    remove(id);
    entries_.emplace(id, Entry{deadline, waiting_since});
    by_deadline_.emplace(deadline, id);
    by_age_.emplace(waiting_since, id);
}

bool ParkingLot::remove(Id id) {
    const auto it = entries_.find(id);
    if (it == entries_.end()) return false;
    by_deadline_.erase({it->second.deadline, id});
    by_age_.erase({it->second.waiting_since, id});
    entries_.erase(it);
    return true;
}

std::vector<ParkingLot::Id> ParkingLot::take_expired(Clock::time_point now) {
    std::vector<Id> out;
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
        const Id id = by_deadline_.begin()->second;
        remove(id);
        out.push_back(id);
    }
    return out;
}

std::optional<ParkingLot::Id> ParkingLot::take_oldest() {
    if (by_age_.empty()) return std::nullopt;
    const Id id = by_age_.begin()->second;
    remove(id);
    return id;
}

std::optional<ParkingLot::Clock::time_point> ParkingLot::next_deadline() const {
    if (by_deadline_.empty()) return std::nullopt;
    return by_deadline_.begin()->first;
}

}  // namespace acmezone::api
