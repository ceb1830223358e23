#include "dns/responder.hpp"

#include <algorithm>
#include <utility>

#include "core/rr.hpp"
#include "dns/answer.hpp"
#include "dns/message_writer.hpp"
#include "dns/wire_reader.hpp"

namespace acmezone::dns {
namespace {

constexpr std::size_t kClassicUdpLimit = 512;  // RFC 1035 §4.2.1
constexpr std::size_t kSoaRdataMax = 2 * core::kMaxNameWire + 20;
constexpr std::uint16_t kOpcodeMask = 0x7800;

// RFC 6891 §6.2.5 and §7: never below 512, never above what we advertise.
std::size_t size_limit(Transport transport, const Edns& edns, bool edns_ok) noexcept {
    if (transport == Transport::tcp) return kMaxMessage;
    if (!edns_ok) return kClassicUdpLimit;
    return std::max<std::size_t>(kClassicUdpLimit, std::min<std::size_t>(edns.payload, kMaxUdpPayload));
}

// What a query is answered with, decided before any lookup.
enum class Verdict { answer, ixfr_soa, formerr, notimp, badvers, refused };

// Question type rules (RFC 6891 §6.1.1, RFC 8945, RFC 5936 §4.2, RFC 1995 §2).
Verdict check_qtype(std::uint16_t qtype, Transport transport) noexcept {
    switch (qtype) {
    case core::rrtype::ANY: return Verdict::answer;
    case core::rrtype::MAILA:
    case core::rrtype::MAILB: return Verdict::notimp;
    case core::rrtype::AXFR: return transport == Transport::udp ? Verdict::formerr : Verdict::notimp;
    case core::rrtype::IXFR: return transport == Transport::udp ? Verdict::ixfr_soa : Verdict::notimp;
    default: return core::rrtype::is_meta(qtype) ? Verdict::formerr : Verdict::answer;
    }
}

// RFC 1035 §4.1.1, RFC 9619, RFC 6891 §6.1.3, RFC 8906: header- and question-level checks,
// in the order that keeps a malformed message from being judged by its opcode.
Verdict check_query(ParseError error, const Query& q, bool edns_ok, Transport transport) noexcept {
    if (error != ParseError::none) return Verdict::formerr;
    if (edns_ok && q.edns.version > 0) return Verdict::badvers;
    if (q.header.opcode() != opcode::QUERY) return Verdict::notimp;  // UPDATE is routed by the caller
    if (q.header.qdcount != 1) return Verdict::formerr;
    const Verdict by_type = check_qtype(q.qtype, transport);
    if (by_type != Verdict::answer && by_type != Verdict::ixfr_soa) return by_type;
    if (q.qclass != core::rrclass::IN && q.qclass != core::rrclass::ANY) return Verdict::refused;
    return by_type;
}

struct Disposition {
    std::uint16_t rcode;
    bool authoritative;
    bool soa_in_authority;
};

// The one place where an answer kind becomes RCODE, AA and the authority section
// (RFC 1034 §4.3.2, RFC 2308 §2.1/§2.2, RFC 8906 §3).
Disposition disposition(AnswerKind kind) noexcept {
    switch (kind) {
    case AnswerKind::found:
    case AnswerKind::cname: return {rcode::NOERROR, true, false};
    case AnswerKind::nodata: return {rcode::NOERROR, true, true};
    case AnswerKind::nxdomain: return {rcode::NXDOMAIN, true, true};
    case AnswerKind::refused: break;
    }
    return {rcode::REFUSED, false, false};
}

class Reply {
public:
    Reply(const core::Zone& zone, const store::Snapshot& snapshot, const Query& q, MessageWriter& writer) noexcept
        : zone_(zone), snapshot_(snapshot), q_(q), w_(writer) {}

    // Writes the sections for an answer; false when they do not fit the limit.
    bool write(const Answer& answer, const Disposition& d) noexcept {
        for (std::size_t i = 0; i < answer.count; ++i)
            if (!write_rrset(Section::answer, answer.entries[i].owner, answer.entries[i].rrset)) return false;
        if (!d.soa_in_authority) return true;
        RRsetRef soa;
        soa.source = RRsetRef::Source::soa;
        soa.type = core::rrtype::SOA;
        soa.ttl = zone_.negative_ttl();  // RFC 2308 §5
        return write_rrset(Section::authority, apex_owner(), soa);
    }

private:
    // The apex is a suffix of the (uncompressed) question name: point at it.
    Owner apex_owner() const noexcept {
        const std::size_t skip = q_.qname.size - zone_.apex().canonical_wire().size();
        return Owner{static_cast<std::uint16_t>(0xc000 | (kHeaderSize + skip)), {}};
    }

    std::span<const std::uint8_t> soa_rdata() noexcept {
        if (soa_size_ == 0) soa_size_ = zone_.write_soa_rdata(snapshot_.serial(), soa_, sizeof soa_);
        return {soa_, soa_size_};
    }

    // A whole RRset or nothing (RFC 2181 §9). RDATA goes out as stored, uncompressed.
    bool write_rrset(Section section, const Owner& owner, const RRsetRef& ref) noexcept {
        const auto mark = w_.mark();
        bool ok = true;
        const auto add = [&](std::span<const std::uint8_t> rdata) {
            ok = ok && w_.add_rr(section, owner, ref.type, core::rrclass::IN, ref.ttl, rdata);
        };
        switch (ref.source) {
        case RRsetRef::Source::fixed:
            for (const auto& rdata : ref.fixed->rdatas)
                add({reinterpret_cast<const std::uint8_t*>(rdata.data()), rdata.size()});
            break;
        case RRsetRef::Source::dynamic:
            for (const auto rr : ref.dynamic) add(rr.rdata);
            break;
        case RRsetRef::Source::soa: {
            const auto rdata = soa_rdata();
            ok = !rdata.empty();
            add(rdata);
            break;
        }
        }
        if (!ok) w_.rollback(mark);
        return ok;
    }

    const core::Zone& zone_;
    const store::Snapshot& snapshot_;
    const Query& q_;
    MessageWriter& w_;
    std::uint8_t soa_[kSoaRdataMax];
    std::size_t soa_size_ = 0;
};

bool echoes_question(ParseError error, const Query& q) noexcept {
    return q.has_question && q.header.qdcount == 1 && error != ParseError::bad_question;
}

std::uint16_t rcode_for(Verdict verdict) noexcept {
    switch (verdict) {
    case Verdict::formerr: return rcode::FORMERR;
    case Verdict::notimp: return rcode::NOTIMP;
    case Verdict::badvers: return rcode::BADVERS;
    case Verdict::refused: return rcode::REFUSED;
    case Verdict::answer:
    case Verdict::ixfr_soa: break;
    }
    return rcode::NOERROR;
}

// Looks the question up, writes flags and sections, and returns the RCODE.
std::uint16_t answer_query(const core::Zone& zone, const store::Snapshot& snapshot, const Query& q, Verdict verdict,
                           Transport transport, MessageWriter& w) noexcept {
    Answer answer;
    const auto qname = q.qname.canonical_span();
    const auto apex = zone.apex().canonical_wire();
    const std::span<const std::uint8_t> apex_wire{reinterpret_cast<const std::uint8_t*>(apex.data()), apex.size()};
    if (verdict == Verdict::refused || !wire_is_at_or_below(qname, apex_wire)) {
        answer.kind = AnswerKind::refused;  // not ours: no referral, nothing leaked (RFC 8906 §3)
    } else {
        // RFC 1995 §2: IXFR over UDP may be answered with the current SOA alone.
        find_answer(zone, snapshot, qname, verdict == Verdict::ixfr_soa ? core::rrtype::SOA : q.qtype, answer);
    }
    const Disposition d = disposition(answer.kind == AnswerKind::cname ? answer.tail : answer.kind);
    if (d.authoritative) w.set_flags(w.flags() | flag::AA);
    Reply reply(zone, snapshot, q, w);
    if (reply.write(answer, d)) return d.rcode;
    w.truncate();  // RFC 2181 §9: TC=1 and no partial RRsets; the client retries over TCP
    if (transport == Transport::udp) return d.rcode;
    // Over TCP there is no TC (RFC 7766 §8); with capped RRsets 64 KiB cannot overflow.
    w.set_flags(static_cast<std::uint16_t>(w.flags() & ~(flag::TC | flag::AA)));
    return rcode::SERVFAIL;
}

}  // namespace

Responder::Responder(std::shared_ptr<const core::Zone> zone) : current_(zone.get()) { zones_.push_back(std::move(zone)); }

void Responder::set_zone(std::shared_ptr<const core::Zone> zone) {
    if (!zone) return;
    std::lock_guard lock(zones_mutex_);
    const core::Zone* next = zone.get();
    zones_.push_back(std::move(zone));
    // Release: a query that loads the new pointer sees the zone fully built.
    current_.store(next, std::memory_order_release);
}

std::size_t Responder::respond(std::span<const std::uint8_t> query, std::span<std::uint8_t> out, Transport transport,
                               const store::Snapshot& snapshot) const noexcept {
    Header header;
    if (!read_header(query, header) || header.qr() || out.size() < kHeaderSize) return 0;  // RFC 1035: never answer a response
    Query q;
    const ParseError error = parse_query(query, q);
    // An OPT we could read makes the response carry ours, errors included (RFC 6891 §7).
    const bool edns_ok = q.edns.present && error != ParseError::duplicate_opt;

    MessageWriter w(out, size_limit(transport, q.edns, edns_ok));
    if (edns_ok) w.reserve(kOptSize);
    const auto question = echoes_question(error, q) ? query.subspan(kHeaderSize, q.question_end - kHeaderSize)
                                                    : std::span<const std::uint8_t>{};
    // QR=1; OPCODE and RD copied; AA, TC, RA, Z, AD, CD zero (RFC 1035 §4.1.1, RFC 4035 §3.1.6).
    const std::uint16_t base = flag::QR | (header.flags & (kOpcodeMask | flag::RD));
    if (!w.start(header.id, base, question)) return 0;

    const Verdict verdict = check_query(error, q, edns_ok, transport);
    std::uint16_t rc = rcode_for(verdict);
    if (verdict == Verdict::answer || verdict == Verdict::ixfr_soa || verdict == Verdict::refused)
        rc = answer_query(zone(), snapshot, q, verdict, transport, w);  // one load per query
    w.set_flags(static_cast<std::uint16_t>(w.flags() | (rc & 0x0f)));
    if (edns_ok) w.add_opt(static_cast<std::uint16_t>(kMaxUdpPayload), static_cast<std::uint8_t>(rc >> 4), q.edns.do_bit);
    return w.finish();
}

}  // namespace acmezone::dns
