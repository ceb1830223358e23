// The parking thread with socketpairs standing in for client connections (no network):
// readiness hands a connection back, the deadline closes it, eviction picks the one idle
// longest, stop() closes what is left.
#include "api/idle_parking.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

namespace acmezone::api {
namespace {

using Clock = IdleParking::Clock;
using std::chrono::milliseconds;

// One end of a socketpair, closed when destroyed; the test keeps the other end as "the client".
class TestConnection final : public Parkable {
public:
    TestConnection(int fd, Clock::time_point since) : fd_(fd), since_(since) {}
    ~TestConnection() override { ::close(fd_); }
    int fd() const override { return fd_; }
    Clock::time_point waiting_since() const override { return since_; }

private:
    int fd_;
    Clock::time_point since_;
};

struct Client {
    int fd = -1;
    ~Client() {
        if (fd >= 0) ::close(fd);
    }
    // True when the server side was closed within `ms`.
    bool sees_close(int ms) const {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) return false;
        char c;
        return ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
    }
};

class IdleParkingTest : public ::testing::Test {
protected:
    IdleParkingTest()
        : parking_([this](std::unique_ptr<Parkable> c) {
              std::lock_guard lock(mutex_);
              ready_.push_back(std::move(c));
              cv_.notify_all();
          }) {}

    void SetUp() override { ASSERT_TRUE(parking_.start()); }

    // Parks the server end of a new socketpair; returns the client end.
    std::unique_ptr<Client> park(Clock::time_point deadline, Clock::time_point since = Clock::now(), ParkFor wait = ParkFor::read) {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        auto client = std::make_unique<Client>();
        client->fd = fds[1];
        EXPECT_TRUE(parking_.park(std::make_unique<TestConnection>(fds[0], since), wait, deadline));
        return client;
    }

    std::size_t ready_count() {
        std::lock_guard lock(mutex_);
        return ready_.size();
    }

    std::size_t wait_ready(std::size_t n, milliseconds timeout) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [&] { return ready_.size() >= n; });
        return ready_.size();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Parkable>> ready_;
    IdleParking parking_;  // last: stopped before the members its callback uses
};

TEST_F(IdleParkingTest, AReadableConnectionIsHandedBack) {
    auto quiet = park(Clock::now() + milliseconds(10000));
    auto talker = park(Clock::now() + milliseconds(10000));
    EXPECT_EQ(parking_.stats().parked, 2u);
    ASSERT_EQ(::send(talker->fd, "x", 1, 0), 1);
    ASSERT_EQ(wait_ready(1, milliseconds(5000)), 1u);
    EXPECT_EQ(parking_.stats().parked, 1u);
    EXPECT_FALSE(talker->sees_close(0));  // handed back, not closed
    EXPECT_EQ(wait_ready(2, milliseconds(100)), 1u);  // the quiet one stays parked
}

TEST_F(IdleParkingTest, AWritableWaitIsHandedBackAtOnce) {
    auto client = park(Clock::now() + milliseconds(10000), Clock::now(), ParkFor::write);
    EXPECT_EQ(wait_ready(1, milliseconds(5000)), 1u);
}

TEST_F(IdleParkingTest, TheDeadlineClosesTheConnection) {
    const auto start = Clock::now();
    auto client = park(start + milliseconds(150));
    auto later = park(start + milliseconds(10000));
    EXPECT_TRUE(client->sees_close(5000));
    EXPECT_GE(Clock::now() - start, milliseconds(140));
    EXPECT_EQ(parking_.stats().timed_out, 1u);
    EXPECT_EQ(parking_.stats().parked, 1u);
    EXPECT_FALSE(later->sees_close(0));
    EXPECT_EQ(ready_count(), 0u);
}

TEST_F(IdleParkingTest, AnEarlierDeadlineWakesTheThread) {
    // The thread first sleeps towards a far deadline; a later park with a near one must count.
    auto far = park(Clock::now() + milliseconds(60000));
    auto near = park(Clock::now() + milliseconds(100));
    EXPECT_TRUE(near->sees_close(3000));
    EXPECT_FALSE(far->sees_close(0));
}

TEST_F(IdleParkingTest, EvictionClosesTheLongestIdle) {
    const auto now = Clock::now();
    auto young = park(now + milliseconds(10000), now);
    auto old = park(now + milliseconds(20000), now - milliseconds(5000));
    EXPECT_TRUE(parking_.evict_oldest());
    EXPECT_TRUE(old->sees_close(1000));
    EXPECT_FALSE(young->sees_close(0));
    EXPECT_TRUE(parking_.evict_oldest());
    EXPECT_TRUE(young->sees_close(1000));
    EXPECT_FALSE(parking_.evict_oldest());  // nothing left
    EXPECT_EQ(parking_.stats().evicted, 2u);
}

TEST_F(IdleParkingTest, StopClosesEverythingAndRefusesMore) {
    auto a = park(Clock::now() + milliseconds(10000));
    auto b = park(Clock::now() + milliseconds(10000));
    parking_.stop();
    EXPECT_TRUE(a->sees_close(0));
    EXPECT_TRUE(b->sees_close(0));
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    Client late;
    late.fd = fds[1];
    EXPECT_FALSE(parking_.park(std::make_unique<TestConnection>(fds[0], Clock::now()), ParkFor::read, Clock::now() + milliseconds(1000)));
    EXPECT_TRUE(late.sees_close(0));  // refused means closed
    EXPECT_EQ(parking_.stats().parked, 0u);
}

}  // namespace
}  // namespace acmezone::api
