#include "dns/transfer_service.hpp"

#include <ctime>
#include <utility>

#include "dns/log.hpp"

namespace acmezone::dns {

TransferService::TransferService(const store::Store& store, std::shared_ptr<const Responder> responder, TransferOptions options,
                                 std::size_t queue_limit)
    : store_(store), responder_(std::move(responder)), options_(std::move(options)), queue_limit_(queue_limit), snapshot_(store) {}

TransferService::~TransferService() { stop(); }

core::Status TransferService::start() {
    if (thread_.joinable()) return core::make_error(core::Errc::internal, "transfer service already started");
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        return core::make_error(core::Errc::internal, std::string("starting the transfer service: ") + e.what());
    }
    return core::Ok{};
}

void TransferService::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool TransferService::post(std::span<const std::uint8_t> query, std::string peer, StreamFn reply) {
    std::unique_lock lock(mutex_);
    if (stopping_ || !thread_.joinable() || queue_.size() >= queue_limit_) {
        ++stats_.queue_full;
        return false;
    }
    try {
        queue_.push_back(Job{std::vector<std::uint8_t>(query.begin(), query.end()), std::move(peer), std::move(reply)});
    } catch (const std::bad_alloc&) {
        return false;
    }
    lock.unlock();
    wake_.notify_one();
    return true;
}

void TransferService::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        std::vector<std::uint8_t> framed;
        try {
            framed = handle(job.query, job.peer);
        } catch (const std::exception& e) {
            logger()->error("event=transfer_failed peer={} error=\"{}\"", job.peer, e.what());
            framed.clear();  // the client sees the connection go quiet and retries
        }
        try {
            job.reply(std::move(framed));
        } catch (const std::exception& e) {
            logger()->error("event=transfer_reply_failed error=\"{}\"", e.what());
        }
    }
}

std::vector<std::uint8_t> TransferService::handle(std::span<const std::uint8_t> query, const std::string& peer) {
    std::lock_guard handle_lock(handle_mutex_);
    const auto address = core::parse_ip(peer);
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    const TransferAnswer answer = answer_transfer(query, address, responder_->zone(), store_, snapshot_, options_, now);
    {
        std::lock_guard lock(mutex_);
        switch (answer.kind) {
        case TransferKind::axfr:
        case TransferKind::ixfr_full: ++stats_.axfr; break;
        case TransferKind::ixfr_current:
        case TransferKind::ixfr_diff: ++stats_.ixfr; break;
        case TransferKind::refused: ++stats_.refused; break;
        case TransferKind::notauth: ++stats_.notauth; break;
        case TransferKind::formerr:
        case TransferKind::servfail: ++stats_.other_errors; break;
        case TransferKind::ignored: break;
        }
    }
    if (answer.kind != TransferKind::ignored)
        logger()->info("event=transfer kind={} peer={} serial={} records={} messages={}", transfer_kind_text(answer.kind), peer,
                       answer.serial, answer.records, answer.messages.size());
    return frame(answer.messages);
}

TransferStats TransferService::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::vector<std::uint8_t> TransferService::frame(const std::vector<std::vector<std::uint8_t>>& messages) {
    std::size_t total = 0;
    for (const auto& m : messages) total += 2 + m.size();
    std::vector<std::uint8_t> out;
    out.reserve(total);
    for (const auto& m : messages) {
        out.push_back(static_cast<std::uint8_t>(m.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(m.size() & 0xff));
        out.insert(out.end(), m.begin(), m.end());
    }
    return out;
}

}  // namespace acmezone::dns
