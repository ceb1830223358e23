// dns/update_service: see the header. Order of checks for one message (dns-standards §2.1):
// framing -> TSIG placement (FORMERR) -> key (BADKEY) -> MAC (BADSIG/FORMERR) -> time (BADTIME)
// -> truncation (BADTRUNC) -> unsigned UPDATE (REFUSED) -> zone, prerequisites, pre-scan and
// scope (update.cpp) -> the writer (prerequisites in the transaction, commit) -> signed reply.
#include "dns/update_service.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

#include "core/rr.hpp"
#include "dns/answer.hpp"
#include "dns/log.hpp"
#include "dns/message_writer.hpp"
#include "dns/update.hpp"
#include "dns/wire_reader.hpp"

namespace acmezone::dns {

namespace {

constexpr std::uint16_t kOpcodeMask = 0x7800;
constexpr std::size_t kClassicUdpLimit = 512;

std::uint64_t unix_now() noexcept { return static_cast<std::uint64_t>(std::time(nullptr)); }

std::uint16_t get_u16(std::span<const std::uint8_t> m, std::size_t at) noexcept {
    return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}
void put_u16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

// The end of the first question/zone entry, or 0 when there is none or it is unreadable.
std::size_t first_entry_end(std::span<const std::uint8_t> msg) noexcept {
    if (msg.size() < kHeaderSize || get_u16(msg, 4) == 0) return 0;
    std::size_t pos = kHeaderSize;
    WireName name;
    if (read_name(msg, pos, name) != NameError::none || pos + 4 > msg.size()) return 0;
    return pos + 4;
}

// A header (QR set, OPCODE and RD copied, the RCODE) and, when `echo_end` > 0, the first
// question/zone entry of `request` copied; no other section.
std::size_t write_header_reply(std::span<const std::uint8_t> request, std::size_t echo_end, std::uint16_t rc,
                               std::span<std::uint8_t> out) noexcept {
    if (request.size() < kHeaderSize || out.size() < std::max(kHeaderSize, echo_end)) return 0;
    const std::uint16_t flags = static_cast<std::uint16_t>(flag::QR | (get_u16(request, 2) & (kOpcodeMask | flag::RD)) | (rc & 0x0f));
    std::memset(out.data(), 0, kHeaderSize);
    std::memcpy(out.data(), request.data(), 2);
    put_u16(out.data() + 2, flags);
    if (echo_end > kHeaderSize) {
        put_u16(out.data() + 4, 1);
        std::memcpy(out.data() + kHeaderSize, request.data() + kHeaderSize, echo_end - kHeaderSize);
        return echo_end;
    }
    return kHeaderSize;
}

std::size_t tsig_room(const TsigKeyMaterial& key) noexcept {
    return key.name.wire().size() + 10 + tsig_algorithm_wire(key.algorithm).size() + 16 + tsig_digest_size(key.algorithm);
}

const char* check_text(TsigCheck c) noexcept {
    switch (c) {
    case TsigCheck::ok: return "ok";
    case TsigCheck::formerr: return "formerr";
    case TsigCheck::badkey: return "badkey";
    case TsigCheck::badsig: return "badsig";
    case TsigCheck::badtime: return "badtime";
    case TsigCheck::badtrunc: return "badtrunc";
    }
    return "?";
}

// What a commit callback needs to answer after the request buffer is gone.
struct PendingReply {
    std::vector<std::uint8_t> request_head;  // header + zone entry of the request
    std::size_t echo_end = 0;
    TsigKeyMaterial key;
    std::vector<std::uint8_t> request_mac;
    std::uint16_t fudge = 300;
    std::string zone_text;
    std::string actor;
    std::string source;
    std::string names;  // owners the update touches, relative to the zone, for the log line
    ReplyFn reply;
};

// "a,b" from the operations' owners (relative to the apex, each once); "-" for none.
std::string owner_list(const core::ChangeSet& change, const core::Zone& zone) {
    std::vector<std::string> names;
    for (const auto& op : change.operations) {
        std::string name = op.name.relative_text(zone.apex());
        if (name.empty()) name = "@";
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
    }
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
    return out.empty() ? "-" : out;
}

void send_update_reply(PendingReply& p, std::uint16_t rc) {
    std::vector<std::uint8_t> out(p.echo_end + kHeaderSize + tsig_room(p.key) + 16);
    std::size_t len = write_header_reply(p.request_head, p.echo_end, rc, out);
    const TsigVariables vars{unix_now(), p.fudge, tsig_error::NOERROR, {}};
    if (len > 0) len = sign_response(out, len, p.key, p.request_mac, vars);
    p.reply(std::span<const std::uint8_t>(out.data(), len));
}

}  // namespace

UpdateService::UpdateService(store::Store& store, store::Writer& writer, std::shared_ptr<const Responder> responder,
                             std::shared_ptr<const Keyring> keyring, UpdateServiceOptions options)
    : writer_(writer),
      responder_(std::move(responder)),
      keyring_(std::move(keyring)),
      options_(options),
      snapshot_(store) {}

UpdateService::~UpdateService() { stop(); }

core::Status UpdateService::start() {
    if (thread_.joinable()) return core::make_error(core::Errc::internal, "update service already started");
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        return core::make_error(core::Errc::internal, std::string("starting the update service: ") + e.what());
    }
    return core::Ok{};
}

void UpdateService::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Commits under way complete on the writer's thread; their replies must go out before the
    // listeners (whose sockets the replies use) are stopped.
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return in_flight_ == 0; });
}

bool UpdateService::post(std::span<const std::uint8_t> message, Transport transport, std::string source, ReplyFn reply) {
    std::unique_lock lock(mutex_);
    if (stopping_ || !thread_.joinable() || queue_.size() >= options_.queue_limit) {
        ++stats_.queue_full;
        return false;
    }
    try {
        queue_.push_back(Job{std::vector<std::uint8_t>(message.begin(), message.end()), transport, std::move(source), std::move(reply)});
    } catch (const std::bad_alloc&) {
        return false;
    }
    lock.unlock();
    wake_.notify_one();
    return true;
}

void UpdateService::run() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            handle(job.message, job.transport, job.source, std::move(job.reply));
        } catch (const std::exception& e) {
            logger()->error("event=update_failed error=\"{}\"", e.what());
        }
    }
}

void UpdateService::finish_one() {
    std::lock_guard lock(mutex_);
    if (--in_flight_ == 0) idle_.notify_all();
}

UpdateServiceStats UpdateService::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::size_t UpdateService::write_servfail(std::span<const std::uint8_t> message, std::span<std::uint8_t> out) noexcept {
    return write_header_reply(message, 0, rcode::SERVFAIL, out);
}

void UpdateService::handle(std::span<const std::uint8_t> message, Transport transport, const std::string& source, ReplyFn reply) {
    std::lock_guard handle_lock(handle_mutex_);
    Header h;
    if (!read_header(message, h) || h.qr()) {  // never answer a response
        reply({});
        return;
    }
    const bool is_update = h.opcode() == opcode::UPDATE;
    if (is_update) {
        // Every answer to an UPDATE, from any step below or from the writer's thread, is counted
        // by its RCODE on the way out (metrics: updates by outcome).
        reply = [this, inner = std::move(reply)](std::span<const std::uint8_t> bytes) {
            if (bytes.size() >= kHeaderSize) {
                std::lock_guard lock(mutex_);
                ++stats_.update_rcodes[bytes[3] & 0x0f];
            }
            inner(bytes);
        };
    }
    std::vector<std::uint8_t> out(kMaxMessage);
    const auto header_reply = [&](std::uint16_t rc, std::size_t echo_end) {
        reply(std::span<const std::uint8_t>(out.data(), write_header_reply(message, echo_end, rc, out)));
    };
    const auto count = [this](std::uint64_t UpdateServiceStats::*field) {
        std::lock_guard lock(mutex_);
        ++(stats_.*field);
    };

    TsigRecord rec;
    const TsigFind found = find_tsig(message, rec);
    if (found == TsigFind::unreadable || found == TsigFind::malformed) {
        if (found == TsigFind::malformed) count(&UpdateServiceStats::tsig_failures);
        if (is_update || found == TsigFind::malformed) {
            header_reply(rcode::FORMERR, 0);
            return;
        }
    }
    if (found != TsigFind::found) {
        if (is_update) {  // RFC 2136 §3.3 with our policy: every update must be signed
            count(&UpdateServiceStats::updates);
            logger()->info("event=update_refused reason=unsigned source={}", source);
            header_reply(rcode::REFUSED, first_entry_end(message));
            return;
        }
        std::size_t len = 0;
        if (snapshot_.begin()) {
            len = responder_->respond(message, out, transport, snapshot_);
            snapshot_.end();
        } else {
            len = write_header_reply(message, 0, rcode::SERVFAIL, out);
        }
        reply(std::span<const std::uint8_t>(out.data(), len));
        return;
    }

    // RFC 8945 §5.2.1: the key.
    const std::uint64_t now = unix_now();
    const std::size_t echo_end = std::min(first_entry_end(message), rec.offset);
    const auto unsigned_error = [&](std::uint16_t error) {
        std::size_t len = write_header_reply(message, echo_end, rcode::NOTAUTH, out);
        const TsigVariables vars{now, options_.fudge, error, {}};
        len = append_tsig(out, len, rec.key_name.wire_span(), rec.algorithm.wire_span(), vars, {}, rec.original_id);
        reply(std::span<const std::uint8_t>(out.data(), len));
    };
    auto key_name = core::Name::from_wire(rec.key_name.wire_span());
    ResolvedKey key;
    if (!key_name) {
        count(&UpdateServiceStats::tsig_failures);
        unsigned_error(tsig_error::BADKEY);
        return;
    }
    auto lookup = keyring_->find(*key_name, key);
    if (!lookup) {
        logger()->error("event=tsig_key_lookup_failed key={} error=\"{}\"", key_name->to_text(), lookup.error().message);
        header_reply(rcode::SERVFAIL, echo_end);
        return;
    }
    if (!*lookup) {
        count(&UpdateServiceStats::tsig_failures);
        logger()->info("event=tsig_failed error=badkey key={} source={}", key_name->to_text(), source);
        unsigned_error(tsig_error::BADKEY);
        return;
    }
    const TsigPolicy policy{options_.fudge, false};
    const TsigCheck check = verify_tsig(message, rec, key.key, now, policy);
    if (check != TsigCheck::ok) {
        count(&UpdateServiceStats::tsig_failures);
        logger()->info("event=tsig_failed error={} key={} source={}", check_text(check), key_name->to_text(), source);
    }
    switch (check) {
    case TsigCheck::ok: break;
    case TsigCheck::formerr: header_reply(rcode::FORMERR, 0); return;
    case TsigCheck::badkey: unsigned_error(tsig_error::BADKEY); return;
    case TsigCheck::badsig: unsigned_error(tsig_error::BADSIG); return;
    case TsigCheck::badtime:
    case TsigCheck::badtrunc: {
        // §5.3.2: signed, with the request's time and (BADTIME) our time in Other Data.
        std::uint8_t other[6];
        for (int i = 0; i < 6; ++i) other[i] = static_cast<std::uint8_t>(now >> (8 * (5 - i)));
        const bool badtime = check == TsigCheck::badtime;
        TsigVariables vars{badtime ? rec.time_signed : now, options_.fudge,
                           badtime ? tsig_error::BADTIME : tsig_error::BADTRUNC, {}};
        if (badtime) vars.other = std::span<const std::uint8_t>(other, 6);
        std::size_t len = write_header_reply(message, echo_end, rcode::NOTAUTH, out);
        len = sign_response(out, len, key.key, rec.mac, vars);
        reply(std::span<const std::uint8_t>(out.data(), len));
        return;
    }
    }

    // Verified: the message without its TSIG, ARCOUNT one less.
    std::vector<std::uint8_t> stripped(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(rec.offset));
    put_u16(stripped.data() + 10, static_cast<std::uint16_t>(h.arcount - 1));
    const TsigVariables vars{now, options_.fudge, tsig_error::NOERROR, {}};
    const auto signed_reply = [&](std::size_t len) {
        if (len > 0) len = sign_response(out, len, key.key, rec.mac, vars);
        reply(std::span<const std::uint8_t>(out.data(), len));
    };
    const core::Zone& zone = responder_->zone();

    if (is_update) {
        count(&UpdateServiceStats::updates);
        UpdateMessage update;
        std::uint16_t rc = parse_update(stripped, static_cast<unsigned>(h.arcount - 1), update);
        const std::size_t zone_end = rc == rcode::NOERROR ? update.zone_end : echo_end;
        PreparedUpdate prepared;
        if (rc == rcode::NOERROR && !options_.enabled) rc = rcode::REFUSED;
        if (rc == rcode::NOERROR) {
            prepared = prepare_update(update, zone, key.grant, options_.alias_mode);
            rc = prepared.rcode;
        }
        if (rc != rcode::NOERROR) {
            logger()->info("event=update_rejected rcode={} key={} actor={} source={} detail=\"{}\"", rc, key_name->to_text(),
                           key.grant.actor, source, prepared.detail);
            signed_reply(write_header_reply(stripped, zone_end, rc, out));
            return;
        }
        auto pending = std::make_shared<PendingReply>();
        pending->request_head.assign(stripped.begin(), stripped.begin() + static_cast<std::ptrdiff_t>(zone_end));
        pending->echo_end = zone_end;
        pending->key = key.key;
        pending->request_mac.assign(rec.mac.begin(), rec.mac.end());
        pending->fudge = options_.fudge;
        pending->zone_text = update.zone.to_text();
        pending->actor = key.grant.actor;
        pending->source = source;
        pending->names = owner_list(prepared.change, zone);
        pending->reply = std::move(reply);
        prepared.change.source = "rfc2136 " + source;
        {
            std::lock_guard lock(mutex_);
            ++in_flight_;
        }
        writer_.submit(std::move(prepared.change), [this, pending](core::Result<core::CommitResult> result) {
            const std::uint16_t code = commit_rcode(result);
            if (result)
                logger()->info("event=update_applied actor={} names={} zone={} source={} serial={} changed={}", pending->actor,
                               pending->names, pending->zone_text, pending->source, result->serial, result->changed);
            else
                logger()->info("event=update_rejected rcode={} actor={} names={} source={} detail=\"{}\"", code, pending->actor,
                               pending->names, pending->source, result.error().message);
            try {
                send_update_reply(*pending, code);
            } catch (const std::exception& e) {
                logger()->error("event=update_reply_failed error=\"{}\"", e.what());
            }
            finish_one();
        });
        return;
    }

    // A signed query (certbot's SOA probes): the normal answer, or alias mode, then signed.
    count(&UpdateServiceStats::signed_queries);
    Query q;
    const ParseError parse_error = parse_query(stripped, q);
    const bool edns_ok = q.edns.present && parse_error != ParseError::duplicate_opt;
    std::size_t limit = kMaxMessage;
    if (transport == Transport::udp)
        limit = edns_ok ? std::max<std::size_t>(kClassicUdpLimit, std::min<std::size_t>(q.edns.payload, kMaxUdpPayload))
                        : kClassicUdpLimit;
    limit -= std::min(limit - kHeaderSize, tsig_room(key.key));
    const std::span<std::uint8_t> body(out.data(), limit);

    if (options_.alias_mode && parse_error == ParseError::none && h.opcode() == opcode::QUERY && h.qdcount == 1 &&
        q.qtype == core::rrtype::SOA && q.qclass == core::rrclass::IN) {
        auto qname = core::Name::from_wire(q.qname.wire_span());
        if (qname && !qname->is_at_or_below(zone.apex()) && key.grant.alias_owner(*qname, zone)) {
            // Authoritative for that customer name alone: AA and an SOA owned by it.
            MessageWriter w(body, limit);
            if (edns_ok) w.reserve(kOptSize);
            const std::uint16_t flags = static_cast<std::uint16_t>(flag::QR | flag::AA | (h.flags & (kOpcodeMask | flag::RD)));
            std::uint8_t soa[2 * core::kMaxNameWire + 20];
            std::size_t soa_len = 0;
            if (snapshot_.begin()) {
                soa_len = zone.write_soa_rdata(snapshot_.serial(), soa, sizeof soa);
                snapshot_.end();
            }
            if (w.start(h.id, flags, std::span<const std::uint8_t>(stripped).subspan(kHeaderSize, q.question_end - kHeaderSize)) &&
                soa_len > 0) {
                w.add_rr(Section::answer, Owner{kQuestionPointer, {}}, core::rrtype::SOA, core::rrclass::IN,
                         zone.spec().soa.ttl, {soa, soa_len});
                if (edns_ok) w.add_opt(static_cast<std::uint16_t>(kMaxUdpPayload), 0, q.edns.do_bit);
                logger()->debug("event=alias_soa name={} key={}", qname->to_text(), key_name->to_text());
                signed_reply(w.finish());
                return;
            }
        }
    }
    if (!snapshot_.begin()) {
        signed_reply(write_header_reply(stripped, echo_end, rcode::SERVFAIL, out));
        return;
    }
    const std::size_t len = responder_->respond(stripped, body, transport, snapshot_);
    snapshot_.end();
    signed_reply(len);
}

}  // namespace acmezone::dns
