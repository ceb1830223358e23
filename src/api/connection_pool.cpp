#include "api/connection_pool.hpp"

#include <algorithm>
#include <chrono>

#include "api/log.hpp"

namespace acmezone::api {

namespace {

// How often a paused accept loop looks again for an idle connection to close (one may have
// been parked meanwhile without any slot coming free).
constexpr auto kRecheckRoom = std::chrono::milliseconds(100);

}  // namespace

ConnectionPool::Slot& ConnectionPool::Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        release();
        pool_ = other.pool_;
        other.pool_ = nullptr;
    }
    return *this;
}

void ConnectionPool::Slot::release() noexcept {
    if (pool_) pool_->release_slot();
    pool_ = nullptr;
}

ConnectionPool::ConnectionPool(std::size_t threads, std::size_t max_connections)
    : max_connections_(std::max<std::size_t>(max_connections, 1)) {
    const std::size_t n = std::max<std::size_t>(threads, 1);
    threads_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
}

ConnectionPool::~ConnectionPool() { shutdown(); }

std::optional<ConnectionPool::Slot> ConnectionPool::acquire_slot(const std::function<bool()>& make_room) {
    std::unique_lock lock(mutex_);
    bool paused = false;
    while (in_use_ >= max_connections_ && !closing_) {
        lock.unlock();
        const bool made_room = make_room && make_room();
        lock.lock();
        if (made_room) continue;  // the closed connection gave its slot back
        if (!paused) {
            logger()->warn("event=connection_limit in_use={} action=pause_accept", in_use_);
            paused = true;
        }
        slot_free_.wait_for(lock, kRecheckRoom, [&] { return in_use_ < max_connections_ || closing_; });
    }
    if (closing_) return std::nullopt;
    ++in_use_;
    return Slot(this);
}

void ConnectionPool::release_slot() noexcept {
    std::lock_guard lock(mutex_);
    if (in_use_ > 0) --in_use_;
    slot_free_.notify_one();
}

void ConnectionPool::submit(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
    work_ready_.notify_one();
}

void ConnectionPool::close() {
    std::lock_guard lock(mutex_);
    closing_ = true;
    slot_free_.notify_all();
}

void ConnectionPool::shutdown() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
        stopping_ = true;
        slot_free_.notify_all();
        work_ready_.notify_all();
    }
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
    // Without threads (a failed start), what is left is dropped: each item's destructor closes
    // the connection it carries.
    std::deque<std::function<void()>> left;
    {
        std::lock_guard lock(mutex_);
        left.swap(queue_);
    }
}

std::size_t ConnectionPool::in_use() const {
    std::lock_guard lock(mutex_);
    return in_use_;
}

void ConnectionPool::run() {
    for (;;) {
        std::function<void()> work;
        {
            std::unique_lock lock(mutex_);
            // Stopping: leave only when nothing is queued and nothing running could queue more.
            work_ready_.wait(lock, [&] { return !queue_.empty() || (stopping_ && running_ == 0); });
            if (queue_.empty()) return;
            work = std::move(queue_.front());
            queue_.pop_front();
            ++running_;
        }
        try {
            work();
        } catch (const std::exception& e) {
            logger()->error("event=connection_failed error=\"{}\"", e.what());
        } catch (...) {
            logger()->error("event=connection_failed error=unknown");
        }
        work = nullptr;  // closes what it carried before the next item is taken
        std::lock_guard lock(mutex_);
        --running_;
        if (stopping_ && running_ == 0 && queue_.empty()) work_ready_.notify_all();
    }
}

}  // namespace acmezone::api
