// The parking bookkeeping without sockets: deadlines in order, the oldest for eviction,
// replacement and removal.
#include "api/parking_lot.hpp"

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

using Clock = ParkingLot::Clock;
using std::chrono::milliseconds;

const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

TEST(ParkingLot, ExpiresByDeadlineEarliestFirst) {
    ParkingLot lot;
    lot.add(1, t0 + milliseconds(300), t0);
    lot.add(2, t0 + milliseconds(100), t0);
    lot.add(3, t0 + milliseconds(200), t0);
    EXPECT_EQ(lot.next_deadline(), t0 + milliseconds(100));
    EXPECT_TRUE(lot.take_expired(t0 + milliseconds(99)).empty());
    EXPECT_EQ(lot.take_expired(t0 + milliseconds(200)), (std::vector<ParkingLot::Id>{2, 3}));  // at the deadline counts
    EXPECT_EQ(lot.size(), 1u);
    EXPECT_EQ(lot.next_deadline(), t0 + milliseconds(300));
    EXPECT_EQ(lot.take_expired(t0 + milliseconds(1000)), (std::vector<ParkingLot::Id>{1}));
    EXPECT_TRUE(lot.empty());
    EXPECT_FALSE(lot.next_deadline());
}

TEST(ParkingLot, TheOldestIsWhoWaitedLongestNotWhoExpiresFirst) {
    ParkingLot lot;
    // A keep-alive connection idle since t0 with a late deadline, a fresh one due sooner.
    lot.add(10, t0 + milliseconds(5000), t0);
    lot.add(11, t0 + milliseconds(1000), t0 + milliseconds(900));
    lot.add(12, t0 + milliseconds(2000), t0);  // same age as 10: the smaller id goes first
    EXPECT_EQ(lot.take_oldest(), 10u);
    EXPECT_EQ(lot.take_oldest(), 12u);
    EXPECT_EQ(lot.take_oldest(), 11u);
    EXPECT_FALSE(lot.take_oldest());
}

TEST(ParkingLot, RemovedAndReplacedEntriesLeaveNoTrace) {
    ParkingLot lot;
    lot.add(1, t0 + milliseconds(100), t0);
    lot.add(2, t0 + milliseconds(200), t0 + milliseconds(10));
    EXPECT_TRUE(lot.remove(1));
    EXPECT_FALSE(lot.remove(1));
    EXPECT_FALSE(lot.contains(1));
    EXPECT_EQ(lot.next_deadline(), t0 + milliseconds(200));
    // Parked again with a new deadline and age: the old ones are gone.
    lot.add(2, t0 + milliseconds(900), t0 + milliseconds(800));
    EXPECT_EQ(lot.size(), 1u);
    EXPECT_TRUE(lot.take_expired(t0 + milliseconds(500)).empty());
    EXPECT_EQ(lot.take_oldest(), 2u);
    EXPECT_TRUE(lot.empty());
    EXPECT_TRUE(lot.take_expired(t0 + milliseconds(10000)).empty());
}

}  // namespace
}  // namespace acmezone::api
