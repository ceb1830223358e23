// dns/tcp_server: see the header. Each connection reads whatever bytes arrive into its own
// buffer and cuts 2-octet-length-framed messages out of it (RFC 7766 §8), so pipelined
// queries in one segment and one query spread over many segments are the same case. Each
// complete query is answered at once, in order, and the response is queued; writes are
// serialized, and reading goes on while they are under way (RFC 7766 §6.2.1.1). One timer
// per connection enforces the idle and read time-outs and also bounds how long a client
// that stops reading our responses can hold its slot.
#include "dns/tcp_server.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "dns/transfer_service.hpp"
#include "dns/tsig.hpp"
#include "dns/update_service.hpp"
#include "store/snapshot.hpp"

namespace acmezone::dns {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::size_t kInitialReadBuffer = 512;          // grows to 2 + the message length when needed
constexpr std::size_t kMaxQueuedBytes = 256 * 1024;      // responses a slow reader may leave queued before we stop reading
constexpr std::size_t kMaxGather = 64;                    // answers per gathered write (writev takes 64 buffers at once in Asio)
constexpr std::chrono::milliseconds kAcceptRetry{100};   // out of descriptors or memory: try again later, do not spin

std::string format_endpoint(const tcp::endpoint& e) {
    const std::string host = e.address().to_string();
    return (e.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(e.port());
}

struct Listener {
    explicit Listener(asio::io_context& io) : acceptor(io), retry(io) {}
    tcp::acceptor acceptor;
    asio::steady_timer retry;
};

}  // namespace

struct TcpServer::Impl {
    class Connection;

    Impl(const store::Store& s, std::shared_ptr<const Responder> r, TcpOptions o)
        : responder(std::move(r)), options(o), snapshot(s), response(2 + kMaxMessage) {}

    void accept(Listener& listener);
    void admit(tcp::socket socket);
    void forget(Connection* connection);
    void close_all();

    std::shared_ptr<const Responder> responder;
    TcpOptions options;
    std::shared_ptr<UpdateService> updates;  // UPDATE and TSIG: answered later, in order
    std::shared_ptr<TransferService> transfers;  // AXFR and IXFR: answered later, in order
    asio::io_context io{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread thread;
    std::vector<std::unique_ptr<Listener>> listeners;

    // Touched only on the io thread.
    store::Snapshot snapshot;
    std::vector<std::uint8_t> response;  // 2-octet length + message, reused for every answer
    std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
    std::map<asio::ip::address, unsigned> per_ip;

    mutable std::mutex control;  // guards `bound`
    std::vector<Endpoint> bound;

    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> rejected{0};
    std::atomic<std::uint64_t> timed_out{0};
    std::atomic<std::uint64_t> queries{0};
    std::atomic<std::uint64_t> responses{0};
    QueryCounters query_counters;  // written on the io thread only
};

class TcpServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(Impl& server, tcp::socket socket, asio::ip::address peer)
        : server_(server), socket_(std::move(socket)), timer_(server.io), peer_(std::move(peer)), read_buffer_(kInitialReadBuffer) {}

    const asio::ip::address& peer() const noexcept { return peer_; }

    void start() {
        idle_since_ = Clock::now();
        gather_.reserve(kMaxGather);
        pump();
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        timer_.cancel();
        const auto keep = shared_from_this();  // forget() drops the server's reference
        server_.forget(this);
    }

private:
    // Answers what can be answered, then decides whether to read more, close, or wait.
    void pump() {
        if (closed_) return;
        process();
        if (closed_) return;
        if (finishing_ || eof_) {
            const bool more_to_answer = !finishing_ && has_complete_message();
            if (!more_to_answer && !writing_ && write_queue_.empty()) {
                close();
                return;
            }
        } else if (!reading_ && queued_bytes_ < kMaxQueuedBytes && used_ < read_buffer_.size()) {
            read();
        }
        update_deadline();
    }

    bool has_complete_message() const noexcept {
        return used_ >= 2 && used_ >= 2 + message_length(0);
    }

    std::size_t message_length(std::size_t offset) const noexcept {
        return (std::size_t{read_buffer_[offset]} << 8) | read_buffer_[offset + 1];
    }

    // Cuts complete messages out of the read buffer and answers them in order.
    void process() {
        struct EndSnapshot {  // answer() begins the pass's read transaction; it ends here, whatever happens
            store::Snapshot& snapshot;
            ~EndSnapshot() { snapshot.end(); }
        } end_snapshot{server_.snapshot};
        std::size_t offset = 0;
        while (!finishing_ && queued_bytes_ < kMaxQueuedBytes && used_ - offset >= 2) {
            const std::size_t length = message_length(offset);
            if (length == 0) {  // nothing to answer: the client is done with us
                finishing_ = true;
                break;
            }
            if (used_ - offset < 2 + length) break;
            answer(std::span<const std::uint8_t>(read_buffer_.data() + offset + 2, length));
            offset += 2 + length;
            ++queries_;
            if (server_.options.max_queries_per_connection != 0 && queries_ >= server_.options.max_queries_per_connection) {
                finishing_ = true;  // RFC 7766 §6.2.3: the server may close; answers already queued still go out
            }
        }
        if (!writing_ && !write_queue_.empty()) write();  // the answers of this pass, gathered
        if (offset > 0) {
            std::memmove(read_buffer_.data(), read_buffer_.data() + offset, used_ - offset);
            used_ -= offset;
            const auto now = Clock::now();
            if (used_ == 0) {
                idle_since_ = now;
            } else {
                message_started_ = now;  // the next message arrived with the last read
            }
        }
        if (!finishing_ && used_ >= 2 && read_buffer_.size() < 2 + message_length(0)) {
            read_buffer_.resize(2 + message_length(0));
        }
    }

    void answer(std::span<const std::uint8_t> query) {
        server_.queries.fetch_add(1, std::memory_order_relaxed);
        if (server_.transfers && is_transfer_query(query)) {
            hand_off_transfer(query);
            return;
        }
        if (server_.updates && needs_signed_path(query)) {
            hand_off(query);
            return;
        }
        // One read transaction for the queries of one process() pass (it ends it), as a UDP
        // worker has one per recvmmsg batch: renewing it per query cost more than the lookup.
        store::Snapshot& view = server_.snapshot;
        if (!view.active() && !view.begin()) {  // no consistent view of the data: let the client retry elsewhere
            finishing_ = true;
            return;
        }
        std::vector<std::uint8_t>& out = server_.response;
        const std::size_t length = server_.responder->respond(
            query, std::span<std::uint8_t>(out.data() + 2, kMaxMessage), Transport::tcp, view);
        if (length == 0 || length > kMaxMessage) return;  // nothing to say; the connection stays open
        server_.query_counters.count(std::span<const std::uint8_t>(out.data() + 2, length));
        out[0] = static_cast<std::uint8_t>(length >> 8);
        out[1] = static_cast<std::uint8_t>(length & 0xff);
        try {
            write_queue_.push_back(Queued{std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(2 + length)), true, 0});
        } catch (const std::bad_alloc&) {
            finishing_ = true;
            return;
        }
        queued_bytes_ += 2 + length;
        server_.responses.fetch_add(1, std::memory_order_relaxed);
    }

    // A placeholder keeps an answer's place in the answer order (RFC 7766 §7: UPDATEs are
    // applied in the order received, since the update service and the writer are FIFO); 0 when
    // out of memory (the connection then finishes).
    std::uint64_t reserve_answer_slot() {
        const std::uint64_t seq = ++next_seq_;
        try {
            write_queue_.push_back(Queued{{}, false, seq});
        } catch (const std::bad_alloc&) {
            finishing_ = true;
            return 0;
        }
        return seq;
    }

    // Fills the slot `seq` with framed bytes on the io thread; callable from any thread.
    std::function<void(std::vector<std::uint8_t>)> slot_filler(std::uint64_t seq) {
        std::weak_ptr<Connection> weak = weak_from_this();
        asio::io_context& loop = server_.io;
        return [weak, &loop, seq](std::vector<std::uint8_t> framed) {
            asio::post(loop, [weak, seq, framed = std::move(framed)]() mutable {
                if (auto self = weak.lock()) self->fill(seq, std::move(framed));
            });
        };
    }

    // An UPDATE or signed message, answered by the update service when it has committed.
    void hand_off(std::span<const std::uint8_t> query) {
        const std::uint64_t seq = reserve_answer_slot();
        if (seq == 0) return;
        auto deliver = [fill_slot = slot_filler(seq)](std::span<const std::uint8_t> reply) {
            std::vector<std::uint8_t> framed;
            if (!reply.empty() && reply.size() <= kMaxMessage) {
                framed.resize(2 + reply.size());
                framed[0] = static_cast<std::uint8_t>(reply.size() >> 8);
                framed[1] = static_cast<std::uint8_t>(reply.size() & 0xff);
                std::memcpy(framed.data() + 2, reply.data(), reply.size());
            }
            fill_slot(std::move(framed));
        };
        const auto peer = peer_.to_string();
        if (!server_.updates->post(query, Transport::tcp, peer, deliver)) {
            std::uint8_t reply[kHeaderSize];
            deliver({reply, UpdateService::write_servfail(query, reply)});
        }
    }

    // A zone transfer: like hand_off, but the answer is several framed messages in one piece.
    void hand_off_transfer(std::span<const std::uint8_t> query) {
        const std::uint64_t seq = reserve_answer_slot();
        if (seq == 0) return;
        auto deliver = slot_filler(seq);
        if (!server_.transfers->post(query, peer_.to_string(), deliver)) {
            std::uint8_t reply[2 + kHeaderSize];
            const std::size_t n = UpdateService::write_servfail(query, std::span<std::uint8_t>(reply + 2, kHeaderSize));
            reply[0] = 0;
            reply[1] = static_cast<std::uint8_t>(n);
            deliver(n > 0 ? std::vector<std::uint8_t>(reply, reply + 2 + n) : std::vector<std::uint8_t>{});
        }
    }

    void fill(std::uint64_t seq, std::vector<std::uint8_t> framed) {
        if (closed_) return;
        for (auto it = write_queue_.begin(); it != write_queue_.end(); ++it) {
            if (it->seq != seq) continue;
            if (framed.empty()) {  // nothing to say: drop the placeholder
                write_queue_.erase(it);
            } else {
                queued_bytes_ += framed.size();
                it->bytes = std::move(framed);
                it->ready = true;
                server_.responses.fetch_add(1, std::memory_order_relaxed);
            }
            break;
        }
        if (!writing_ && !write_queue_.empty() && write_queue_.front().ready) write();
        pump();
    }

    void read() {
        reading_ = true;
        socket_.async_read_some(asio::buffer(read_buffer_.data() + used_, read_buffer_.size() - used_),
                                [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(const error_code& ec, std::size_t n) {
        reading_ = false;
        if (closed_) return;
        if (ec == asio::error::eof) {
            eof_ = true;  // a half-close still gets the answers to what it sent
        } else if (ec) {
            close();
            return;
        }
        if (used_ == 0 && n > 0) message_started_ = Clock::now();
        used_ += n;
        pump();
    }

    // Writes the ready answers at the front of the queue with one gathered write: pipelined
    // queries cost one send for many answers. They stay in the queue (and their bytes where
    // they are: fill() only touches placeholders behind them) until the write completes.
    void write() {
        gather_.clear();
        for (const Queued& queued : write_queue_) {
            if (!queued.ready || gather_.size() == kMaxGather) break;  // an update's answer is still on its way
            gather_.push_back(asio::buffer(queued.bytes));
        }
        if (gather_.empty()) return;
        writing_ = true;
        asio::async_write(socket_, gather_, [self = shared_from_this(), count = gather_.size()](const error_code& ec, std::size_t) {
            self->on_written(ec, count);
        });
    }

    void on_written(const error_code& ec, std::size_t count) {
        writing_ = false;
        if (closed_) return;
        if (ec) {
            close();
            return;
        }
        for (std::size_t i = 0; i < count; ++i) {
            queued_bytes_ -= write_queue_.front().bytes.size();
            write_queue_.pop_front();
        }
        if (!write_queue_.empty()) write();
        pump();
    }

    // One deadline at a time: idle (no message started), read (a message under way), or
    // drain (we stopped reading and wait for our answers to leave).
    void update_deadline() {
        const TcpOptions& o = server_.options;
        auto deadline = Clock::time_point::max();
        if (finishing_ || eof_) {
            if (drain_deadline_ == Clock::time_point::max()) {
                const auto limit = o.read_timeout.count() != 0 ? o.read_timeout : o.idle_timeout;
                if (limit.count() != 0) drain_deadline_ = Clock::now() + limit;
            }
            deadline = drain_deadline_;
        } else if (used_ > 0) {
            if (o.read_timeout.count() != 0) deadline = message_started_ + o.read_timeout;
        } else if (o.idle_timeout.count() != 0) {
            deadline = idle_since_ + o.idle_timeout;
        }
        if (deadline == armed_) return;
        armed_ = deadline;
        if (deadline == Clock::time_point::max()) {
            timer_.cancel();
            return;
        }
        timer_.expires_at(deadline);
        timer_.async_wait([self = shared_from_this()](const error_code& ec) {
            if (ec != asio::error::operation_aborted) self->on_timer();
        });
    }

    void on_timer() {
        // A wait that completed just before the deadline moved on is stale: the newer one is pending.
        if (closed_ || Clock::now() < armed_) return;
        server_.timed_out.fetch_add(1, std::memory_order_relaxed);
        close();
    }

    Impl& server_;
    tcp::socket socket_;
    asio::steady_timer timer_;
    asio::ip::address peer_;
    std::vector<std::uint8_t> read_buffer_;
    std::size_t used_ = 0;
    struct Queued {
        std::vector<std::uint8_t> bytes;  // 2-octet length + message
        bool ready = true;                // false: the update service has not answered yet
        std::uint64_t seq = 0;
    };
    std::deque<Queued> write_queue_;
    std::vector<asio::const_buffer> gather_;  // the buffers of the write under way (see write())
    std::uint64_t next_seq_ = 0;
    std::size_t queued_bytes_ = 0;
    unsigned queries_ = 0;
    bool reading_ = false;
    bool writing_ = false;
    bool eof_ = false;        // the client closed its side: no more reads
    bool finishing_ = false;  // answer nothing more; close once the queue is written
    bool closed_ = false;
    Clock::time_point idle_since_{};
    Clock::time_point message_started_{};
    Clock::time_point drain_deadline_ = Clock::time_point::max();
    Clock::time_point armed_ = Clock::time_point::max();
};

void TcpServer::Impl::accept(Listener& listener) {
    listener.acceptor.async_accept([this, &listener](const error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !listener.acceptor.is_open()) return;
        if (ec) {
            const bool out_of_resources = ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
                                          ec == asio::error::no_memory || ec.value() == ENFILE;
            if (!out_of_resources) {  // e.g. the client gave up before we accepted
                accept(listener);
                return;
            }
            listener.retry.expires_after(kAcceptRetry);
            listener.retry.async_wait([this, &listener](const error_code& wait_ec) {
                if (!wait_ec && listener.acceptor.is_open()) accept(listener);
            });
            return;
        }
        try {
            admit(std::move(socket));
        } catch (const std::bad_alloc&) {
            // The socket was closed on the way out; keep accepting.
        }
        accept(listener);
    });
}

// Takes a new connection into service, or closes it at once when over a cap: turning it
// away immediately keeps the backlog moving for everyone else.
void TcpServer::Impl::admit(tcp::socket socket) {
    error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    const asio::ip::address address = remote.address();
    const auto it = per_ip.find(address);
    const unsigned from_peer = it == per_ip.end() ? 0 : it->second;
    if ((options.max_connections != 0 && connections.size() >= options.max_connections) ||
        (options.max_connections_per_ip != 0 && from_peer >= options.max_connections_per_ip)) {
        rejected.fetch_add(1, std::memory_order_relaxed);
        socket.close(ec);
        return;
    }
    socket.set_option(tcp::no_delay(true), ec);  // answers are small and latency-bound
    auto connection = std::make_shared<Connection>(*this, std::move(socket), address);
    connections.emplace(connection.get(), connection);
    ++per_ip[address];
    accepted.fetch_add(1, std::memory_order_relaxed);
    connection->start();
}

void TcpServer::Impl::forget(Connection* connection) {
    const auto it = per_ip.find(connection->peer());
    if (it != per_ip.end() && --it->second == 0) per_ip.erase(it);
    connections.erase(connection);
}

void TcpServer::Impl::close_all() {
    for (auto& listener : listeners) {
        error_code ignored;
        listener->acceptor.close(ignored);
        listener->retry.cancel();
    }
    const auto all = connections;  // close() erases from the map
    for (const auto& entry : all) entry.second->close();
}

TcpServer::TcpServer(const store::Store& store, std::shared_ptr<const Responder> responder, TcpOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(responder), options)) {}

TcpServer::~TcpServer() { stop(); }

void TcpServer::set_update_service(std::shared_ptr<UpdateService> service) { impl_->updates = std::move(service); }

void TcpServer::set_transfer_service(std::shared_ptr<TransferService> service) { impl_->transfers = std::move(service); }

core::Status TcpServer::start(const std::vector<Endpoint>& endpoints) {
    Impl& im = *impl_;
    if (im.thread.joinable()) return core::make_error(core::Errc::internal, "dns.listen: TCP server already started");
    if (!im.responder) return core::make_error(core::Errc::internal, "dns.listen: no responder");

    std::vector<std::unique_ptr<Listener>> listeners;
    std::vector<Endpoint> bound;
    for (const Endpoint& endpoint : endpoints) {
        const auto fail = [&endpoint](const char* step, const error_code& ec) {
            const int err = ec.value();
            const bool bad_address = err == EADDRNOTAVAIL || err == EAFNOSUPPORT || err == EINVAL;
            return core::make_error(bad_address ? core::Errc::invalid_argument : core::Errc::internal,
                                    "dns.listen " + endpoint.text + ": " + step + ": " + ec.message());
        };
        if (endpoint.addr.ss_family != AF_INET && endpoint.addr.ss_family != AF_INET6) {
            return fail("socket", asio::error::address_family_not_supported);
        }
        tcp::endpoint local;
        std::memcpy(local.data(), &endpoint.addr, endpoint.len);
        local.resize(endpoint.len);

        auto listener = std::make_unique<Listener>(im.io);
        tcp::acceptor& acceptor = listener->acceptor;
        error_code ec;
        if (acceptor.open(local.protocol(), ec); ec) return fail("socket", ec);
        if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) return fail("SO_REUSEADDR", ec);
        if (local.protocol() == tcp::v6()) {
            if (acceptor.set_option(asio::ip::v6_only(true), ec); ec) return fail("IPV6_V6ONLY", ec);
        }
        if (acceptor.bind(local, ec); ec) return fail("bind", ec);
        if (acceptor.listen(im.options.listen_backlog, ec); ec) return fail("listen", ec);

        Endpoint actual = endpoint;
        const tcp::endpoint chosen = acceptor.local_endpoint(ec);
        if (ec) return fail("getsockname", ec);
        if (local.port() == 0) {
            std::memcpy(&actual.addr, chosen.data(), chosen.size());
            actual.len = static_cast<socklen_t>(chosen.size());
            actual.text = format_endpoint(chosen);
        }
        bound.push_back(std::move(actual));
        listeners.push_back(std::move(listener));
    }

    im.listeners = std::move(listeners);
    for (auto& listener : im.listeners) im.accept(*listener);
    im.work.emplace(im.io.get_executor());
    try {
        im.thread = std::thread([&im] {
            for (;;) {
                try {
                    im.io.run();
                    return;
                } catch (const std::exception&) {
                    // A handler failed (out of memory): its connection times out; keep serving the rest.
                }
            }
        });
    } catch (const std::system_error& e) {
        im.work.reset();
        im.listeners.clear();
        im.io.restart();
        return core::make_error(core::Errc::internal, std::string("dns.listen: starting the TCP thread: ") + e.what());
    }
    std::lock_guard lock(im.control);
    im.bound = std::move(bound);
    return core::Ok{};
}

void TcpServer::stop() {
    Impl& im = *impl_;
    if (!im.thread.joinable()) return;
    // Closing every acceptor, socket and timer on the io thread leaves run() without work.
    asio::post(im.io, [&im] { im.close_all(); });
    im.work.reset();
    im.thread.join();
    im.io.restart();
    im.listeners.clear();
    std::lock_guard lock(im.control);
    im.bound.clear();
}

TcpStats TcpServer::stats() const noexcept {
    const Impl& im = *impl_;
    TcpStats s;
    s.accepted = im.accepted.load(std::memory_order_relaxed);
    s.rejected = im.rejected.load(std::memory_order_relaxed);
    s.timed_out = im.timed_out.load(std::memory_order_relaxed);
    s.queries = im.queries.load(std::memory_order_relaxed);
    s.responses = im.responses.load(std::memory_order_relaxed);
    im.query_counters.add_to(s.answers);
    return s;
}

std::vector<Endpoint> TcpServer::bound_endpoints() const {
    std::lock_guard lock(impl_->control);
    return impl_->bound;
}

}  // namespace acmezone::dns
