#include "api/idle_parking.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "api/log.hpp"

namespace acmezone::api {

namespace {

constexpr ParkingLot::Id kWakeId = 0;
constexpr int kMaxEvents = 256;
constexpr auto kLongestWait = std::chrono::seconds(60);  // epoll_wait's timeout when nothing is due

// Milliseconds until `deadline`, rounded up so the thread never spins on a sub-millisecond rest.
int wait_ms(IdleParking::Clock::time_point deadline, IdleParking::Clock::time_point now) {
    if (deadline <= now) return 0;
    const auto rest = std::min<IdleParking::Clock::duration>(deadline - now, kLongestWait);
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(rest).count());
}

}  // namespace

IdleParking::IdleParking(Ready on_ready) : on_ready_(std::move(on_ready)) {}

IdleParking::~IdleParking() {
    stop();
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

core::Status IdleParking::start() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return core::make_error(core::Errc::internal, std::string("api: epoll_create1: ") + std::strerror(errno));
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return core::make_error(core::Errc::internal, std::string("api: eventfd: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeId;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0)
        return core::make_error(core::Errc::internal, std::string("api: epoll_ctl: ") + std::strerror(errno));
    {
        std::lock_guard lock(mutex_);
        running_ = true;
    }
    thread_ = std::thread([this] { run(); });
    return core::Ok{};
}

void IdleParking::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);  // EAGAIN: already pending
}

bool IdleParking::park(std::unique_ptr<Parkable> connection, ParkFor wait, Clock::time_point deadline) {
    std::unique_ptr<Parkable> refused;
    bool wake_thread = false;
    {
        std::lock_guard lock(mutex_);
        if (!running_) {
            refused = std::move(connection);
        } else {
            const ParkingLot::Id id = next_id_++;
            epoll_event ev{};
            ev.events = wait == ParkFor::read ? EPOLLIN : EPOLLOUT;
            ev.data.u64 = id;
            if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection->fd(), &ev) != 0) {
                logger()->error("event=park_failed error=\"{}\"", std::strerror(errno));
                refused = std::move(connection);
            } else {
                lot_.add(id, deadline, connection->waiting_since());
                parked_.emplace(id, std::move(connection));
                wake_thread = deadline < planned_wake_;
            }
        }
    }
    if (wake_thread) wake();
    return refused == nullptr;  // a refused connection is closed here, outside the lock
}

bool IdleParking::evict_oldest() {
    std::unique_ptr<Parkable> victim;
    {
        std::lock_guard lock(mutex_);
        const auto id = lot_.take_oldest();
        if (!id) return false;
        const auto it = parked_.find(*id);
        victim = std::move(it->second);
        parked_.erase(it);
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, victim->fd(), nullptr);
    }
    evicted_.fetch_add(1, std::memory_order_relaxed);
    return true;  // `victim` closes here, giving its slots back
}

void IdleParking::stop() {
    std::unordered_map<ParkingLot::Id, std::unique_ptr<Parkable>> left;
    {
        std::lock_guard lock(mutex_);
        running_ = false;
        left.swap(parked_);
        lot_ = ParkingLot{};
    }
    if (wake_fd_ >= 0) wake();
    if (thread_.joinable()) thread_.join();
    // `left` closes every connection that was parked.
}

ParkingStats IdleParking::stats() const {
    ParkingStats out;
    out.timed_out = timed_out_.load(std::memory_order_relaxed);
    out.evicted = evicted_.load(std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    out.parked = parked_.size();
    return out;
}

void IdleParking::run() {
    std::array<epoll_event, kMaxEvents> events{};
    std::vector<std::unique_ptr<Parkable>> ready;
    std::vector<std::unique_ptr<Parkable>> expired;
    for (;;) {
        int timeout = -1;
        {
            std::lock_guard lock(mutex_);
            if (!running_) return;
            const auto next = lot_.next_deadline();
            planned_wake_ = next ? *next : Clock::time_point::max();
            timeout = next ? wait_ms(*next, Clock::now()) : -1;
        }
        const int n = ::epoll_wait(epoll_fd_, events.data(), kMaxEvents, timeout);
        if (n < 0 && errno != EINTR) {
            logger()->error("event=epoll_wait_failed error=\"{}\"", std::strerror(errno));
            return;
        }
        {
            std::lock_guard lock(mutex_);
            if (!running_) return;
            for (int i = 0; i < n; ++i) {
                const ParkingLot::Id id = events[static_cast<std::size_t>(i)].data.u64;
                if (id == kWakeId) {
                    std::uint64_t count = 0;
                    [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &count, sizeof count);
                    continue;
                }
                const auto it = parked_.find(id);
                if (it == parked_.end()) continue;  // evicted since epoll_wait returned
                lot_.remove(id);
                ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd(), nullptr);
                ready.push_back(std::move(it->second));
                parked_.erase(it);
            }
            for (const ParkingLot::Id id : lot_.take_expired(Clock::now())) {
                const auto it = parked_.find(id);
                ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd(), nullptr);
                expired.push_back(std::move(it->second));
                parked_.erase(it);
            }
        }
        timed_out_.fetch_add(expired.size(), std::memory_order_relaxed);
        expired.clear();  // closed outside the lock
        for (auto& connection : ready) {
            try {
                on_ready_(std::move(connection));
            } catch (const std::exception& e) {  // e.g. out of memory: that connection is closed
                logger()->error("event=connection_failed error=\"{}\"", e.what());
            }
        }
        ready.clear();
    }
}

}  // namespace acmezone::api
