// The connection cap and the work queue without sockets: slots up to max_connections, room
// made by closing an idle connection, waiting when there is none, close() ending the wait,
// and shutdown() running what was queued (and what that queued).
#include "api/connection_pool.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

TEST(ConnectionPool, SlotsUpToTheCapThenRoomIsMadeByClosingAnIdleOne) {
    ConnectionPool pool(1, 2);
    std::vector<ConnectionPool::Slot> held;
    int room_asked = 0;
    const auto no_room = [&] { ++room_asked; return false; };
    for (int i = 0; i < 2; ++i) {
        auto slot = pool.acquire_slot(no_room);
        ASSERT_TRUE(slot);
        held.push_back(std::move(*slot));
    }
    EXPECT_EQ(room_asked, 0);  // not asked while below the cap
    EXPECT_EQ(pool.in_use(), 2u);
    // At the cap: the idle connection that is closed gives its slot to the new one.
    auto third = pool.acquire_slot([&] {
        held.erase(held.begin());
        return true;
    });
    ASSERT_TRUE(third);
    EXPECT_EQ(pool.in_use(), 2u);
    held.clear();
    third.reset();
    EXPECT_EQ(pool.in_use(), 0u);
}

TEST(ConnectionPool, WithNothingIdleTheAcceptWaitsForAFreeSlot) {
    ConnectionPool pool(1, 1);
    auto first = pool.acquire_slot(nullptr);
    ASSERT_TRUE(first);
    std::promise<void> at_cap;
    std::once_flag once;
    auto waiter = std::async(std::launch::async, [&] {
        return pool.acquire_slot([&] {
            std::call_once(once, [&] { at_cap.set_value(); });
            return false;
        });
    });
    at_cap.get_future().wait();  // the waiter found the cap reached and nothing to close
    EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
    first.reset();  // a connection closes
    ASSERT_EQ(waiter.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    auto second = waiter.get();
    EXPECT_TRUE(second);
    EXPECT_EQ(pool.in_use(), 1u);
    second.reset();
    EXPECT_EQ(pool.in_use(), 0u);
}

TEST(ConnectionPool, CloseEndsTheWait) {
    ConnectionPool pool(1, 1);
    auto first = pool.acquire_slot(nullptr);
    std::promise<void> at_cap;
    std::once_flag once;
    auto waiter = std::async(std::launch::async, [&] {
        return pool.acquire_slot([&] {
            std::call_once(once, [&] { at_cap.set_value(); });
            return false;
        }).has_value();
    });
    at_cap.get_future().wait();
    pool.close();
    ASSERT_EQ(waiter.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_FALSE(waiter.get());
    EXPECT_FALSE(pool.acquire_slot(nullptr));  // and later ones get nothing either
}

TEST(ConnectionPool, ShutdownRunsQueuedWorkAndWhatItQueues) {
    ConnectionPool pool(2, 10);
    std::atomic<int> ran{0};
    for (int i = 0; i < 20; ++i)
        pool.submit([&] {
            ++ran;
            pool.submit([&] { ++ran; });  // a follow-up step, as a pipelined request queues
        });
    pool.shutdown();
    EXPECT_EQ(ran.load(), 40);
}

TEST(ConnectionPool, WorkThatThrowsDoesNotStopTheThreads) {
    ConnectionPool pool(1, 10);
    std::atomic<int> ran{0};
    pool.submit([] { throw std::runtime_error("step failed"); });
    pool.submit([&] { ++ran; });
    pool.shutdown();
    EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace acmezone::api
