// api/connection_pool: the threads that serve HTTP connections, shared by every listener, and
// the cap on connections held at once. cpp-httplib hands each accepted connection to a task
// queue from its accept loop; enqueue() here blocks while `max_connections` are queued or being
// served, so the loop stops accepting and further clients wait in the kernel's backlog instead
// of costing a descriptor and memory each. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace acmezone::api {

class ConnectionPool {
public:
    ConnectionPool(std::size_t threads, std::size_t max_connections);
    ~ConnectionPool();  // shutdown()
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // Queues one connection's work; waits while the cap is reached (unless closing).
    void enqueue(std::function<void()> work);
    // Stops waiting in enqueue (listeners are being stopped); work still runs.
    void close();
    // Runs what is queued, then joins the threads.
    void shutdown();

    std::size_t in_use() const;

    // A task queue for one httplib::Server (it owns and deletes it); its shutdown() does
    // nothing, the pool outlives the listeners.
    httplib::TaskQueue* new_queue();

private:
    void run();

    const std::size_t max_connections_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable slot_free_;
    std::deque<std::function<void()>> queue_;
    std::size_t in_use_ = 0;  // queued + running
    bool closing_ = false;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace acmezone::api
