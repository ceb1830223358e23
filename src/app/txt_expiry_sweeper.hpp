// app/txt_expiry_sweeper: the timer behind zone.txt_max_age_seconds. A thread of `serve` wakes
// every `interval` (a fraction of the age, 1 s .. 60 s), asks the store for TXT values older than
// the age (store/txt_expiry) and hands the deletions to the writer like any other change. Stop it
// before the writer. start/stop from one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "core/zone.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

class TxtExpirySweeper {
public:
    TxtExpirySweeper(store::Store& store, store::Writer& writer, std::shared_ptr<const core::Zone> zone,
                     std::uint32_t max_age_seconds);
    ~TxtExpirySweeper();  // stop()
    TxtExpirySweeper(const TxtExpirySweeper&) = delete;
    TxtExpirySweeper& operator=(const TxtExpirySweeper&) = delete;

    void start();
    void stop();

    // How often a sweep runs for an age: age / 4, clamped to [1 s, 60 s].
    static std::chrono::milliseconds interval_for(std::uint32_t max_age_seconds) noexcept;

private:
    void run();
    void sweep_once();

    store::Store& store_;
    store::Writer& writer_;
    std::shared_ptr<const core::Zone> zone_;
    std::uint32_t max_age_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace acmezone::app
