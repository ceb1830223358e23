#include "app/txt_expiry_sweeper.hpp"

#include <algorithm>

#include "app/logging.hpp"
#include "store/txt_expiry.hpp"

namespace acmezone::app {

TxtExpirySweeper::TxtExpirySweeper(store::Store& store, store::Writer& writer, std::shared_ptr<const core::Zone> zone,
                                   std::uint32_t max_age_seconds)
    : store_(store), writer_(writer), zone_(std::move(zone)), max_age_(max_age_seconds) {}

TxtExpirySweeper::~TxtExpirySweeper() { stop(); }

std::chrono::milliseconds TxtExpirySweeper::interval_for(std::uint32_t max_age_seconds) noexcept {
    const std::int64_t quarter_ms = static_cast<std::int64_t>(max_age_seconds) * 1000 / 4;
    return std::chrono::milliseconds(std::clamp<std::int64_t>(quarter_ms, 1000, 60000));
}

void TxtExpirySweeper::start() {
    if (max_age_ == 0 || thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void TxtExpirySweeper::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void TxtExpirySweeper::run() {
    const auto interval = interval_for(max_age_);
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
        lock.unlock();
        sweep_once();
        lock.lock();
    }
}

void TxtExpirySweeper::sweep_once() {
    const auto now = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    const std::uint64_t cutoff = now > max_age_ ? now - max_age_ : 0;
    auto change = store::expired_txt_changes(store_, *zone_, cutoff);
    if (!change) {
        app_log()->error("event=txt_expiry outcome=read_failed error=\"{}\"", change.error().message);
        return;
    }
    const std::size_t count = change->operations.size();
    if (count == 0) return;
    // Waits for the commit, so sweeps never pile up in the writer's queue.
    auto committed = writer_.submit(std::move(change.value())).get();
    if (!committed) {
        app_log()->error("event=txt_expiry outcome=failed values={} error=\"{}\"", count, committed.error().message);
        return;
    }
    app_log()->info("event=txt_expiry outcome=ok values={} max_age_seconds={} serial={}", count, max_age_,
                    committed->serial);
}

}  // namespace acmezone::app
