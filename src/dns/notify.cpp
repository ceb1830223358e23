#include "dns/notify.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/rr.hpp"
#include "dns/log.hpp"
#include "dns/message_writer.hpp"
#include "dns/tsig.hpp"
#include "dns/wire_reader.hpp"

namespace acmezone::dns {

namespace {

constexpr std::size_t kNotifyBufferSize = 1232;  // SOA + TSIG fit easily

std::uint64_t unix_now() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The answer to a NOTIFY we signed must be signed by the same key over our request's MAC
// (RFC 8945 §5.3); anything else, an unsigned error answer included, is not an acknowledgement.
const char* unverified_reason(std::span<const std::uint8_t> answer, const TsigKeyMaterial& key,
                              std::span<const std::uint8_t> request_mac, std::uint16_t fudge) noexcept {
    TsigRecord rec;
    if (find_tsig(answer, rec) != TsigFind::found) return "unsigned";
    const auto key_name = rec.key_name.canonical_span();
    const auto ours = key.name.canonical_wire();
    if (!std::equal(key_name.begin(), key_name.end(), ours.begin(), ours.end(),
                    [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); }))
        return "other_key";
    if (rec.mac.empty()) return "unsigned";  // BADKEY/BADSIG answers carry no MAC (§5.3.2)
    TsigPolicy policy;
    policy.fudge = fudge;
    switch (verify_tsig_response(answer, rec, key, request_mac, unix_now(), policy)) {
        case TsigCheck::ok: return nullptr;
        case TsigCheck::badtime: return "badtime";
        case TsigCheck::badtrunc: return "badtrunc";
        default: return "badsig";
    }
}

// The same address and port (a response from anywhere else is not an answer, RFC 1996 §3.6 spirit).
bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b) noexcept {
    if (a.ss_family != b.ss_family) return false;
    if (a.ss_family == AF_INET) {
        const auto& x = reinterpret_cast<const sockaddr_in&>(a);
        const auto& y = reinterpret_cast<const sockaddr_in&>(b);
        return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
    }
    if (a.ss_family == AF_INET6) {
        const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
        const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
        return x.sin6_port == y.sin6_port && std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
    }
    return false;
}

int open_udp(int family) {
    const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_storage any{};
    socklen_t len = 0;
    if (family == AF_INET) {
        auto& a = reinterpret_cast<sockaddr_in&>(any);
        a.sin_family = AF_INET;
        len = sizeof a;
    } else {
        auto& a = reinterpret_cast<sockaddr_in6&>(any);
        a.sin6_family = AF_INET6;
        len = sizeof a;
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&any), len) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

std::chrono::milliseconds notify_retry_interval(std::uint32_t attempt, std::chrono::milliseconds initial,
                                                std::chrono::milliseconds cap) noexcept {
    auto interval = std::max(initial, std::chrono::milliseconds(1));
    for (std::uint32_t i = 1; i < attempt && interval < cap; ++i) interval *= 2;
    return std::min(interval, cap);
}

std::size_t write_notify(std::span<std::uint8_t> buf, std::uint16_t id, const core::Zone& zone, std::uint32_t serial,
                         const TsigKeyMaterial* key, std::uint64_t now, std::uint16_t fudge) noexcept {
    // Question: (apex, SOA, IN), RFC 1996 §3.7.
    std::array<std::uint8_t, core::kMaxNameWire + 4> question{};
    const auto apex = zone.apex().wire();
    if (apex.size() > core::kMaxNameWire) return 0;
    std::memcpy(question.data(), apex.data(), apex.size());  // wire form, root label included
    std::size_t qlen = apex.size();
    question[qlen++] = 0;  // QTYPE SOA, QCLASS IN
    question[qlen++] = static_cast<std::uint8_t>(core::rrtype::SOA);
    question[qlen++] = 0;
    question[qlen++] = static_cast<std::uint8_t>(core::rrclass::IN);

    const std::uint16_t flags = static_cast<std::uint16_t>(opcode::NOTIFY << 11) | flag::AA;
    MessageWriter writer(buf, buf.size());
    if (!writer.start(id, flags, std::span<const std::uint8_t>(question.data(), qlen))) return 0;
    std::array<std::uint8_t, 2 * core::kMaxNameWire + 20> soa{};
    const std::size_t soa_len = zone.write_soa_rdata(serial, soa.data(), soa.size());
    if (soa_len == 0) return 0;
    // The new SOA in the answer section lets the secondary skip its SOA query (RFC 1996 §3.7).
    if (!writer.add_rr(Section::answer, Owner{kQuestionPointer, {}}, core::rrtype::SOA, core::rrclass::IN,
                       zone.spec().soa.ttl, std::span<const std::uint8_t>(soa.data(), soa_len)))
        return 0;
    std::size_t length = writer.finish();
    if (key) {
        TsigVariables vars;
        vars.time_signed = now;
        vars.fudge = fudge;
        length = sign_request(buf, length, *key, vars);
    }
    return length;
}

// Per target: the NOTIFY in flight, if any, and the last serial settled (acked or given up).
struct NotifySender::TargetState {
    const NotifyTarget* target = nullptr;
    int fd = -1;
    bool in_flight = false;
    std::uint16_t id = 0;
    std::uint32_t serial = 0;    // carried by the NOTIFY in flight
    std::uint32_t attempts = 0;  // resends so far
    std::chrono::steady_clock::time_point deadline{};
    std::array<std::uint8_t, kMaxTsigDigest> request_mac{};  // of the NOTIFY in flight, when signed
    std::size_t request_mac_size = 0;
    bool settled_any = false;
    std::uint32_t settled = 0;
};

NotifySender::NotifySender(ZoneSource zone, NotifyOptions options) : zone_(std::move(zone)), options_(std::move(options)) {}

NotifySender::~NotifySender() {
    stop();
    if (socket4_ >= 0) ::close(socket4_);
    if (socket6_ >= 0) ::close(socket6_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

core::Status NotifySender::start() {
    if (thread_.joinable()) return core::make_error(core::Errc::invalid_argument, "notify sender already started");
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return core::make_error(core::Errc::internal, std::string("eventfd: ") + std::strerror(errno));
    for (const auto& target : options_.targets) {
        const int family = target.endpoint.addr.ss_family;
        int& fd = family == AF_INET ? socket4_ : socket6_;
        if (fd >= 0) continue;
        fd = open_udp(family);
        if (fd < 0)
            return core::make_error(core::Errc::internal, "notify socket for " + target.endpoint.text + ": " + std::strerror(errno));
    }
    thread_ = std::thread([this] { run(); });
    return core::Ok{};
}

void NotifySender::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void NotifySender::wake() {
    if (wake_fd_ < 0) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);  // a full counter still wakes poll()
}

void NotifySender::notify(std::uint32_t serial) {
    {
        std::lock_guard lock(mutex_);
        latest_ = serial;
        have_latest_ = true;
    }
    wake();
}

NotifyStats NotifySender::stats() const {
    return NotifyStats{sent_.load(std::memory_order_relaxed), acked_.load(std::memory_order_relaxed),
                       retried_.load(std::memory_order_relaxed), failed_.load(std::memory_order_relaxed)};
}

void NotifySender::run() {
    std::vector<TargetState> states(options_.targets.size());
    for (std::size_t i = 0; i < states.size(); ++i) {
        states[i].target = &options_.targets[i];
        states[i].fd = options_.targets[i].endpoint.addr.ss_family == AF_INET ? socket4_ : socket6_;
    }
    std::mt19937 random(std::random_device{}());
    std::array<std::uint8_t, kNotifyBufferSize> out{};
    std::array<std::uint8_t, 4096> in{};

    auto send = [&](TargetState& st) {
        const auto& target = *st.target;
        const std::size_t len = write_notify(out, st.id, zone_(), st.serial, target.key ? &*target.key : nullptr, unix_now(),
                                             options_.fudge);
        if (len == 0) {
            logger()->error("event=notify_build_failed target={}", target.endpoint.text);
            return;
        }
        st.request_mac_size = 0;
        if (TsigRecord rec; target.key && find_tsig(std::span<const std::uint8_t>(out.data(), len), rec) == TsigFind::found) {
            st.request_mac_size = std::min(rec.mac.size(), st.request_mac.size());
            std::copy_n(rec.mac.begin(), st.request_mac_size, st.request_mac.begin());
        }
        if (::sendto(st.fd, out.data(), len, 0, reinterpret_cast<const sockaddr*>(&target.endpoint.addr), target.endpoint.len) < 0)
            logger()->warn("event=notify_send_failed target={} serial={} error=\"{}\"", target.endpoint.text, st.serial,
                           std::strerror(errno));
        sent_.fetch_add(1, std::memory_order_relaxed);
    };

    while (true) {
        std::uint32_t latest = 0;
        bool have_latest = false;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            latest = latest_;
            have_latest = have_latest_;
        }
        const auto now = std::chrono::steady_clock::now();
        auto next = now + std::chrono::seconds(3600);
        for (auto& st : states) {
            if (st.in_flight && now >= st.deadline) {
                if (st.attempts >= options_.retries) {
                    // Given up: the secondary still refreshes on its SOA timer. A newer commit starts again.
                    failed_.fetch_add(1, std::memory_order_relaxed);
                    logger()->warn("event=notify_failed target={} serial={} attempts={}", st.target->endpoint.text, st.serial,
                                   st.attempts + 1);
                    st.in_flight = false;
                    st.settled_any = true;
                    st.settled = st.serial;
                } else {
                    // Resend, carrying the newest serial (coalescing commits made meanwhile).
                    ++st.attempts;
                    if (st.serial != latest) {
                        st.serial = latest;
                        st.id = static_cast<std::uint16_t>(random());
                    }
                    retried_.fetch_add(1, std::memory_order_relaxed);
                    logger()->info("event=notify_retry target={} serial={} attempt={}", st.target->endpoint.text, st.serial,
                                   st.attempts + 1);
                    send(st);
                    st.deadline = now + notify_retry_interval(st.attempts + 1, options_.initial_interval, options_.max_interval);
                }
            }
            if (!st.in_flight && have_latest && (!st.settled_any || st.settled != latest)) {
                st.in_flight = true;
                st.serial = latest;
                st.id = static_cast<std::uint16_t>(random());
                st.attempts = 0;
                send(st);
                st.deadline = now + notify_retry_interval(1, options_.initial_interval, options_.max_interval);
            }
            if (st.in_flight) next = std::min(next, st.deadline);
        }

        std::array<pollfd, 3> fds{};
        nfds_t count = 0;
        fds[count++] = pollfd{wake_fd_, POLLIN, 0};
        if (socket4_ >= 0) fds[count++] = pollfd{socket4_, POLLIN, 0};
        if (socket6_ >= 0) fds[count++] = pollfd{socket6_, POLLIN, 0};
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
        const int timeout = static_cast<int>(std::clamp<std::int64_t>(wait.count() + 1, 0, 3600 * 1000));
        if (::poll(fds.data(), count, timeout) < 0 && errno != EINTR) {
            logger()->error("event=notify_poll_failed error=\"{}\"", std::strerror(errno));
            return;
        }
        if (fds[0].revents & POLLIN) {
            std::uint64_t drained = 0;
            [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
        }
        for (nfds_t i = 1; i < count; ++i) {
            if (!(fds[i].revents & POLLIN)) continue;
            while (true) {
                sockaddr_storage from{};
                socklen_t from_len = sizeof from;
                const ssize_t got = ::recvfrom(fds[i].fd, in.data(), in.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
                if (got < 0) break;  // EAGAIN: drained
                Header header;
                if (!read_header(std::span<const std::uint8_t>(in.data(), static_cast<std::size_t>(got)), header)) continue;
                if (!header.qr() || header.opcode() != opcode::NOTIFY) continue;
                // A response counts only from the target's own address and port with our ID (RFC 1996 §4.7).
                const std::span<const std::uint8_t> answer(in.data(), static_cast<std::size_t>(got));
                for (auto& st : states) {
                    if (!st.in_flight || st.id != header.id || !same_peer(from, st.target->endpoint.addr)) continue;
                    if (const auto& key = st.target->key) {
                        const auto request_mac = std::span<const std::uint8_t>(st.request_mac.data(), st.request_mac_size);
                        if (const char* reason = unverified_reason(answer, *key, request_mac, options_.fudge)) {
                            // Keep resending: a forged or misconfigured answer must not stop the NOTIFY.
                            logger()->warn("event=notify_unverified target={} serial={} reason={}", st.target->endpoint.text,
                                           st.serial, reason);
                            continue;
                        }
                    }
                    acked_.fetch_add(1, std::memory_order_relaxed);
                    const auto rc = header.flags & 0x000f;
                    if (rc != rcode::NOERROR)
                        logger()->warn("event=notify_answered target={} serial={} rcode={}", st.target->endpoint.text, st.serial, rc);
                    else
                        logger()->debug("event=notify_acked target={} serial={}", st.target->endpoint.text, st.serial);
                    st.in_flight = false;
                    st.settled_any = true;
                    st.settled = st.serial;
                }
            }
        }
    }
}

}  // namespace acmezone::dns
