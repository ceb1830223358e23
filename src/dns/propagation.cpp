#include "dns/propagation.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <future>
#include <random>
#include <thread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/rr.hpp"
#include "core/txt.hpp"
#include "dns/wire_reader.hpp"
#include "store/snapshot.hpp"

namespace acmezone::dns {

namespace {

using Clock = std::chrono::steady_clock;

// RAII socket.
class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

std::uint16_t random_id() {
    thread_local std::mt19937 random(std::random_device{}());
    return static_cast<std::uint16_t>(random());
}

// A plain query, RD=0 (we ask the authoritative server itself, RFC 1034 §4.3.1).
std::vector<std::uint8_t> build_query(std::uint16_t id, const core::Name& qname, std::uint16_t qtype) {
    std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    const auto wire = qname.wire();
    q.insert(q.end(), wire.begin(), wire.end());
    q.push_back(static_cast<std::uint8_t>(qtype >> 8));
    q.push_back(static_cast<std::uint8_t>(qtype));
    q.push_back(0);
    q.push_back(static_cast<std::uint8_t>(core::rrclass::IN));
    return q;
}

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<std::int64_t>(left, 0));
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
    pollfd p{fd, events, 0};
    while (true) {
        const int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc > 0) return true;
        if (rc == 0) return false;
        if (errno != EINTR) return false;
    }
}

core::Result<std::vector<std::uint8_t>> exchange_udp(const Endpoint& server, const std::vector<std::uint8_t>& query,
                                                     Clock::time_point deadline) {
    Fd fd(::socket(server.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return core::make_error(core::Errc::internal, std::string("socket: ") + std::strerror(errno));
    // connect(): the kernel then drops datagrams from any other address.
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&server.addr), server.len) != 0 ||
        ::send(fd.get(), query.data(), query.size(), 0) < 0)
        return core::make_error(core::Errc::internal, std::string("send: ") + std::strerror(errno));
    std::vector<std::uint8_t> buf(65535);
    while (wait_for(fd.get(), POLLIN, deadline)) {
        const ssize_t got = ::recv(fd.get(), buf.data(), buf.size(), 0);
        if (got < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return core::make_error(core::Errc::internal, std::string("recv: ") + std::strerror(errno));
        }
        if (got < 2 || buf[0] != query[0] || buf[1] != query[1]) continue;  // not our ID: keep waiting
        buf.resize(static_cast<std::size_t>(got));
        return buf;
    }
    return core::make_error(core::Errc::internal, "timed out");
}

bool read_exact(int fd, std::uint8_t* p, std::size_t n, Clock::time_point deadline) {
    while (n > 0) {
        if (!wait_for(fd, POLLIN, deadline)) return false;
        const ssize_t got = ::recv(fd, p, n, 0);
        if (got == 0) return false;
        if (got < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return false;
        }
        p += got;
        n -= static_cast<std::size_t>(got);
    }
    return true;
}

core::Result<std::vector<std::uint8_t>> exchange_tcp(const Endpoint& server, const std::vector<std::uint8_t>& query,
                                                     Clock::time_point deadline) {
    Fd fd(::socket(server.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return core::make_error(core::Errc::internal, std::string("socket: ") + std::strerror(errno));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&server.addr), server.len) != 0 && errno != EINPROGRESS)
        return core::make_error(core::Errc::internal, std::string("connect: ") + std::strerror(errno));
    if (!wait_for(fd.get(), POLLOUT, deadline)) return core::make_error(core::Errc::internal, "tcp connect timed out");
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) return core::make_error(core::Errc::internal, std::string("connect: ") + std::strerror(so_error));
    std::vector<std::uint8_t> framed = {static_cast<std::uint8_t>(query.size() >> 8), static_cast<std::uint8_t>(query.size())};
    framed.insert(framed.end(), query.begin(), query.end());
    std::size_t off = 0;
    while (off < framed.size()) {
        if (!wait_for(fd.get(), POLLOUT, deadline)) return core::make_error(core::Errc::internal, "tcp send timed out");
        const ssize_t n = ::send(fd.get(), framed.data() + off, framed.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return core::make_error(core::Errc::internal, std::string("send: ") + std::strerror(errno));
        }
        off += static_cast<std::size_t>(n);
    }
    std::array<std::uint8_t, 2> size{};
    if (!read_exact(fd.get(), size.data(), 2, deadline)) return core::make_error(core::Errc::internal, "tcp read timed out or closed");
    std::vector<std::uint8_t> buf((std::size_t{size[0]} << 8) | size[1]);
    if (buf.size() < kHeaderSize || !read_exact(fd.get(), buf.data(), buf.size(), deadline))
        return core::make_error(core::Errc::internal, "tcp read timed out or closed");
    if (buf[0] != query[0] || buf[1] != query[1]) return core::make_error(core::Errc::internal, "response ID mismatch");
    return buf;
}

struct Answer {
    std::uint16_t rcode = 0;
    std::vector<std::vector<std::uint8_t>> rdatas;  // of the asked type at the asked name
    std::vector<std::uint32_t> soa_serials;
};

std::uint16_t get16(std::span<const std::uint8_t> m, std::size_t p) { return static_cast<std::uint16_t>((m[p] << 8) | m[p + 1]); }

// Reads the answer section: RRs of `qtype` owned by `qname` (CNAMEs are not followed: an
// authoritative server of this zone never needs them here).
core::Result<Answer> parse_answer(std::span<const std::uint8_t> msg, const core::Name& qname, std::uint16_t qtype) {
    Header header;
    if (!read_header(msg, header) || !header.qr()) return core::make_error(core::Errc::internal, "malformed response");
    Answer out;
    out.rcode = header.flags & 0x000f;
    std::size_t pos = kHeaderSize;
    WireName name;
    for (std::uint16_t i = 0; i < header.qdcount; ++i) {
        if (read_name(msg, pos, name) != NameError::none || pos + 4 > msg.size())
            return core::make_error(core::Errc::internal, "malformed question in response");
        pos += 4;
    }
    const auto want = qname.canonical_wire();
    for (std::uint16_t i = 0; i < header.ancount; ++i) {
        if (read_name(msg, pos, name) != NameError::none || pos + 10 > msg.size())
            return core::make_error(core::Errc::internal, "malformed answer in response");
        const std::uint16_t type = get16(msg, pos);
        const std::uint16_t rdlength = get16(msg, pos + 8);
        pos += 10;
        if (pos + rdlength > msg.size()) return core::make_error(core::Errc::internal, "truncated RDATA in response");
        const auto canon = name.canonical_span();
        const bool owner_ok = canon.size() == want.size() && std::equal(canon.begin(), canon.end(),
                                                                        reinterpret_cast<const std::uint8_t*>(want.data()));
        if (owner_ok && type == qtype) {
            if (type == core::rrtype::SOA) {
                std::size_t p = pos;
                WireName skip;
                if (read_name(msg, p, skip) != NameError::none || read_name(msg, p, skip) != NameError::none || p + 4 > msg.size())
                    return core::make_error(core::Errc::internal, "malformed SOA in response");
                out.soa_serials.push_back(static_cast<std::uint32_t>(get16(msg, p)) << 16 | get16(msg, p + 2));
            } else {
                out.rdatas.emplace_back(msg.begin() + static_cast<std::ptrdiff_t>(pos), msg.begin() + static_cast<std::ptrdiff_t>(pos + rdlength));
            }
        }
        pos += rdlength;
    }
    return out;
}

core::Result<Answer> ask_one(const Endpoint& server, const core::Name& qname, std::uint16_t qtype, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const auto query = build_query(random_id(), qname, qtype);
    auto response = exchange_udp(server, query, deadline);
    if (!response) return std::move(response).error();
    Header header;
    if (read_header(*response, header) && (header.flags & flag::TC)) {  // RFC 7766 §5: retry over TCP
        response = exchange_tcp(server, query, deadline);
        if (!response) return std::move(response).error();
    }
    return parse_answer(*response, qname, qtype);
}

const char* rcode_text(std::uint16_t rc) {
    switch (rc) {
        case rcode::FORMERR: return "FORMERR";
        case rcode::SERVFAIL: return "SERVFAIL";
        case rcode::NXDOMAIN: return "NXDOMAIN";
        case rcode::NOTIMP: return "NOTIMP";
        case rcode::REFUSED: return "REFUSED";
        case rcode::NOTAUTH: return "NOTAUTH";
        default: return "error";
    }
}

std::vector<std::string> txt_values(const std::vector<std::vector<std::uint8_t>>& rdatas) {
    std::vector<std::string> values;
    for (const auto& rdata : rdatas) {
        auto value = core::txt_value_from_rdata(std::string_view(reinterpret_cast<const char*>(rdata.data()), rdata.size()));
        if (value) values.push_back(std::move(value).value());
    }
    std::sort(values.begin(), values.end());
    return values;
}

bool iequals_suffix(std::string_view text, std::string_view suffix) {
    if (text.size() < suffix.size()) return false;
    const auto tail = text.substr(text.size() - suffix.size());
    return std::equal(tail.begin(), tail.end(), suffix.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
}

}  // namespace

bool serial_at_or_after(std::uint32_t a, std::uint32_t b) noexcept {
    // RFC 1982 §3.2: a > b when (a - b) mod 2^32 is in (0, 2^31).
    const std::uint32_t diff = a - b;
    return diff < 0x80000000u;
}

core::Result<core::Name> propagation_owner(std::string_view label, const core::Name& apex) {
    std::string apex_text = apex.to_text();  // with trailing dot
    std::string_view apex_plain(apex_text);
    if (!apex_plain.empty() && apex_plain.back() == '.') apex_plain.remove_suffix(1);
    std::string text(label);
    // "abc.acme.example.net" without the final dot is meant absolute, not relative to the apex.
    if (!text.empty() && text.back() != '.' && (iequals_suffix(text, "." + std::string(apex_plain)) || (iequals_suffix(text, apex_plain) && text.size() == apex_plain.size())))
        text += '.';
    auto name = core::Name::from_text(text, apex);
    if (!name) return core::make_error(core::Errc::invalid_argument, "label \"" + std::string(label) + "\": " + name.error().message);
    if (!name->is_at_or_below(apex))
        return core::make_error(core::Errc::invalid_argument, "label \"" + std::string(label) + "\" is not inside " + apex_text);
    return name;
}

PropagationChecker::PropagationChecker(const store::Store& store, ZoneSource zone, PropagationOptions options)
    : store_(store), zone_(std::move(zone)), options_(std::move(options)) {}

NameserverStatus PropagationChecker::ask(const Endpoint& server, const core::Name& apex, const std::optional<core::Name>& owner) const {
    NameserverStatus status;
    status.address = server.text;
    auto soa = ask_one(server, apex, core::rrtype::SOA, options_.timeout);
    if (!soa) {
        status.error = "SOA: " + soa.error().message;
        return status;
    }
    if (soa->rcode != rcode::NOERROR || soa->soa_serials.empty()) {
        status.error = std::string("SOA: ") + (soa->rcode != rcode::NOERROR ? rcode_text(soa->rcode) : "no SOA in the answer");
        return status;
    }
    status.serial = soa->soa_serials.front();
    if (owner) {
        auto txt = ask_one(server, *owner, core::rrtype::TXT, options_.timeout);
        if (!txt) {
            status.error = "TXT: " + txt.error().message;
        } else if (txt->rcode != rcode::NOERROR && txt->rcode != rcode::NXDOMAIN) {
            status.error = std::string("TXT: ") + rcode_text(txt->rcode);
        } else {
            status.txt = txt_values(txt->rdatas);
        }
    }
    return status;
}

core::Result<PropagationReport> PropagationChecker::check(std::string_view label) const {
    const core::Zone& zone = zone_();
    std::optional<core::Name> owner;
    if (!label.empty()) {
        auto name = propagation_owner(label, zone.apex());
        if (!name) return std::move(name).error();
        owner = std::move(name).value();
    }
    PropagationReport report;
    {
        store::Snapshot snapshot(store_);
        if (auto st = snapshot.begin(); !st) return st.error();
        report.serial = snapshot.serial();
        if (owner) {
            const auto canonical = owner->canonical_wire();
            std::vector<std::vector<std::uint8_t>> rdatas;
            const auto view = snapshot.find(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size()),
                                            core::rrtype::TXT);
            for (const auto rr : view) rdatas.emplace_back(rr.rdata.begin(), rr.rdata.end());
            // Static TXT records at the owner count too (they are served the same way).
            if (const auto* node = zone.find(canonical))
                if (const auto* rrset = node->find(core::rrtype::TXT))
                    for (const auto& rdata : rrset->rdatas) rdatas.emplace_back(rdata.begin(), rdata.end());
            report.txt = txt_values(rdatas);
        }
        snapshot.end();
    }
    if (owner) report.label = owner->to_text();

    std::vector<std::future<NameserverStatus>> pending;
    for (const auto& server : options_.nameservers)
        pending.push_back(std::async(std::launch::async, [this, &server, &zone, &owner] { return ask(server, zone.apex(), owner); }));
    report.all_caught_up = true;
    for (auto& f : pending) {
        auto status = f.get();
        status.caught_up = status.serial && serial_at_or_after(*status.serial, report.serial);
        status.matches = !status.error && status.serial && status.txt == report.txt;
        if (!status.caught_up || (owner && !status.matches)) report.all_caught_up = false;
        report.nameservers.push_back(std::move(status));
    }
    return report;
}

bool PropagationChecker::wait_caught_up(std::uint32_t serial, std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    const core::Name apex = zone_().apex();
    std::vector<bool> done(options_.nameservers.size(), false);
    while (true) {
        bool all = true;
        for (std::size_t i = 0; i < options_.nameservers.size(); ++i) {
            if (done[i]) continue;
            auto status = ask(options_.nameservers[i], apex, std::nullopt);
            done[i] = status.serial && serial_at_or_after(*status.serial, serial);
            all = all && done[i];
        }
        if (all) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(20), deadline - Clock::now()));
    }
}

}  // namespace acmezone::dns
