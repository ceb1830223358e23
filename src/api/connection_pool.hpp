// api/connection_pool: the threads that serve HTTP requests (api.threads), shared by every
// listener, and the cap on connections held at once (api.max_connections). A connection holds
// one Slot from acceptance until it is closed, whether it is being served or parked waiting
// for its client (api/connection_gate). When every slot is held, acquire_slot() first asks the
// gate to make room (it closes the connection that has been idle longest, as nginx does with
// keep-alive connections under pressure); only when nothing is idle does the accept loop wait,
// leaving new clients in the kernel's listen queue. Threads run short steps (read what arrived,
// answer one complete request), never a wait for a client. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace acmezone::api {

class ConnectionPool {
public:
    ConnectionPool(std::size_t threads, std::size_t max_connections);
    ~ConnectionPool();  // shutdown()
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // One held connection's place under max_connections; given back when destroyed. Move-only;
    // the pool must outlive it.
    class Slot {
    public:
        Slot() = default;
        Slot(Slot&& other) noexcept : pool_(other.pool_) { other.pool_ = nullptr; }
        Slot& operator=(Slot&& other) noexcept;
        ~Slot() { release(); }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        explicit operator bool() const noexcept { return pool_ != nullptr; }

    private:
        friend class ConnectionPool;
        explicit Slot(ConnectionPool* pool) : pool_(pool) {}
        void release() noexcept;
        ConnectionPool* pool_ = nullptr;
    };

    // A slot for a newly accepted connection. While all are held it calls make_room() (without
    // any lock held; true: it closed a connection, so a slot came free) and otherwise waits for a
    // slot. nullopt once close() was called.
    std::optional<Slot> acquire_slot(const std::function<bool()>& make_room);

    // Runs `work` on a pool thread, in submission order.
    void submit(std::function<void()> work);

    // Stops waiting in acquire_slot (listeners are being stopped); work still runs.
    void close();
    // Runs what is queued (and what that queues), then joins the threads.
    void shutdown();

    std::size_t in_use() const;  // slots held
    std::size_t max_connections() const noexcept { return max_connections_; }

private:
    void run();
    void release_slot() noexcept;

    const std::size_t max_connections_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable slot_free_;
    std::deque<std::function<void()>> queue_;
    std::size_t in_use_ = 0;
    std::size_t running_ = 0;  // work items being run
    bool closing_ = false;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace acmezone::api
