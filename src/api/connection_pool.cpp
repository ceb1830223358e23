#include "api/connection_pool.hpp"

#include <algorithm>

#include "api/log.hpp"

namespace acmezone::api {

namespace {

class PoolQueue final : public httplib::TaskQueue {
public:
    explicit PoolQueue(ConnectionPool& pool) : pool_(pool) {}
    void enqueue(std::function<void()> fn) override { pool_.enqueue(std::move(fn)); }
    void shutdown() override {}

private:
    ConnectionPool& pool_;
};

}  // namespace

ConnectionPool::ConnectionPool(std::size_t threads, std::size_t max_connections)
    : max_connections_(std::max<std::size_t>(max_connections, 1)) {
    threads_.reserve(threads);
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) threads_.emplace_back([this] { run(); });
}

ConnectionPool::~ConnectionPool() { shutdown(); }

httplib::TaskQueue* ConnectionPool::new_queue() { return new PoolQueue(*this); }

void ConnectionPool::enqueue(std::function<void()> work) {
    std::unique_lock lock(mutex_);
    if (in_use_ >= max_connections_ && !closing_) {
        logger()->warn("event=connection_limit in_use={} action=pause_accept", in_use_);
        slot_free_.wait(lock, [&] { return in_use_ < max_connections_ || closing_; });
    }
    ++in_use_;
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
            work_ready_.wait(lock, [&] { return !queue_.empty() || stopping_; });
            if (queue_.empty()) return;  // stopping, nothing left
            work = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            work();  // serves one connection (all its keep-alive requests), then closes it
        } catch (const std::exception& e) {
            logger()->error("event=connection_failed error=\"{}\"", e.what());
        } catch (...) {
            logger()->error("event=connection_failed error=unknown");
        }
        std::lock_guard lock(mutex_);
        --in_use_;
        slot_free_.notify_one();
    }
}

}  // namespace acmezone::api
