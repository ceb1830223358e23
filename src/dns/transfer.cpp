// dns/transfer: see the header. Order of checks for one request: framing (FORMERR) -> TSIG
// placement (FORMERR) -> transfer key (BADKEY) -> MAC (BADSIG) -> time (BADTIME) -> zone
// (NOTAUTH) -> ACL (REFUSED) -> AXFR, or IXFR from the journal (RFC 1995 §4).
#include "dns/transfer.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/rr.hpp"
#include "dns/message_writer.hpp"
#include "dns/responder.hpp"
#include "dns/wire_reader.hpp"
#include "store/journal.hpp"
#include "store/meta.hpp"
#include "store/txn.hpp"

namespace acmezone::dns {

namespace {

constexpr std::uint16_t kOpcodeMask = 0x7800;

std::uint16_t get_u16(std::span<const std::uint8_t> m, std::size_t at) noexcept {
    return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

std::span<const std::uint8_t> bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::size_t tsig_room(const TsigKeyMaterial& key) noexcept {
    return key.name.wire().size() + 10 + tsig_algorithm_wire(key.algorithm).size() + 16 + tsig_digest_size(key.algorithm);
}

// How the messages of one answer are signed (RFC 8945 §5.3.1); inactive for unsigned requests.
struct Signer {
    const TsigKeyMaterial* key = nullptr;
    std::vector<std::uint8_t> prior_mac;  // the request MAC, then each message's own
    bool first = true;
    TsigVariables vars;
};

// Cuts an answer into messages: the same ID and flags, the question in the first only, each
// at most about `soft_limit` bytes unless one RR alone is larger.
class Packer {
public:
    Packer(std::uint16_t id, std::uint16_t flags, std::span<const std::uint8_t> question, std::size_t soft_limit, Signer& signer)
        : id_(id), flags_(flags), question_(question), soft_limit_(soft_limit), signer_(signer),
          buffer_(kMaxMessage), writer_(buffer_, limit()) {
        writer_.start(id_, flags_, question_);
    }

    bool add(std::span<const std::uint8_t> owner, std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
        const std::size_t size = owner.size() + 10 + rdata.size();
        if (rrs_in_message_ > 0 && writer_.mark().pos + size > soft_limit_) {
            if (!flush()) return false;
        }
        if (!writer_.add_rr(Section::answer, Owner{0, owner}, type, core::rrclass::IN, ttl, rdata)) {
            if (rrs_in_message_ == 0 || !flush()) return false;  // even alone it does not fit a message
            if (!writer_.add_rr(Section::answer, Owner{0, owner}, type, core::rrclass::IN, ttl, rdata)) return false;
        }
        ++rrs_in_message_;
        ++records_;
        return true;
    }

    // Ends the last message; false when signing failed.
    bool finish() { return flush(); }

    std::vector<std::vector<std::uint8_t>>& messages() { return messages_; }
    std::size_t records() const noexcept { return records_; }

private:
    std::size_t limit() const noexcept { return kMaxMessage - (signer_.key ? tsig_room(*signer_.key) : 0); }

    bool flush() {
        std::size_t length = writer_.finish();
        if (signer_.key != nullptr) {
            const std::size_t unsigned_length = length;
            length = signer_.first ? sign_response(buffer_, length, *signer_.key, signer_.prior_mac, signer_.vars)
                                   : sign_next_message(buffer_, length, *signer_.key, signer_.prior_mac, signer_.vars);
            if (length == 0) return false;
            // This message's MAC starts the next one's input: it sits after the key name, the
            // fixed RR part, the algorithm name, time (6), fudge (2) and MAC size (2).
            const std::size_t at = unsigned_length + signer_.key->name.wire().size() + 10 +
                                   tsig_algorithm_wire(signer_.key->algorithm).size() + 8;
            const std::size_t mac_size = get_u16(buffer_, at);
            signer_.prior_mac.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(at + 2),
                                     buffer_.begin() + static_cast<std::ptrdiff_t>(at + 2 + mac_size));
            signer_.first = false;
        }
        messages_.emplace_back(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
        writer_ = MessageWriter(buffer_, limit());
        writer_.start(id_, flags_, {});  // RFC 5936 §2.2: the question only in the first message
        rrs_in_message_ = 0;
        return true;
    }

    std::uint16_t id_;
    std::uint16_t flags_;
    std::span<const std::uint8_t> question_;
    std::size_t soft_limit_;
    Signer& signer_;
    std::vector<std::uint8_t> buffer_;
    MessageWriter writer_;
    std::size_t rrs_in_message_ = 0;
    std::size_t records_ = 0;
    std::vector<std::vector<std::uint8_t>> messages_;
};

// The client's serial from the SOA in the authority section of an IXFR request (RFC 1995 §3).
std::optional<std::uint32_t> ixfr_client_serial(std::span<const std::uint8_t> msg, std::size_t question_end) {
    Header h;
    if (!read_header(msg, h)) return std::nullopt;
    std::size_t pos = question_end;
    WireName scratch;
    for (unsigned i = 0; i < h.ancount + h.nscount; ++i) {
        if (read_name(msg, pos, scratch) != NameError::none || pos + 10 > msg.size()) return std::nullopt;
        const std::uint16_t type = get_u16(msg, pos);
        const std::size_t rdlength = get_u16(msg, pos + 8);
        pos += 10;
        if (pos + rdlength > msg.size()) return std::nullopt;
        if (i >= h.ancount && type == core::rrtype::SOA) {
            std::size_t p = pos;
            if (read_name(msg, p, scratch) != NameError::none || read_name(msg, p, scratch) != NameError::none) return std::nullopt;
            if (p + 20 > pos + rdlength) return std::nullopt;
            return (std::uint32_t{msg[p]} << 24) | (std::uint32_t{msg[p + 1]} << 16) | (std::uint32_t{msg[p + 2]} << 8) | msg[p + 3];
        }
        pos += rdlength;
    }
    return std::nullopt;
}

// The whole zone between two copies of its SOA (RFC 5936 §2.2), from one snapshot.
bool write_zone(Packer& packer, const core::Zone& zone, const store::Snapshot& snapshot, std::uint32_t serial) {
    const std::string soa = zone.soa_rdata(serial);
    const auto apex = bytes(zone.apex().wire());
    const std::uint32_t soa_ttl = zone.spec().soa.ttl;
    if (!packer.add(apex, core::rrtype::SOA, soa_ttl, bytes(soa))) return false;
    for (const core::RRset* set : zone.all_rrsets())
        for (const auto& rdata : set->rdatas)
            if (!packer.add(bytes(set->owner.wire()), set->type, set->ttl, bytes(rdata))) return false;
    bool ok = true;
    snapshot.for_each([&](const core::Name& owner, std::uint16_t type, const store::RRsetView& rrset) {
        // Only what the zone may hold: dynamic TXT at owners that are not reserved.
        if (!ok || !owner.is_at_or_below(zone.apex()) || zone.is_reserved_owner(owner)) return;
        for (const auto rr : rrset)
            if (!packer.add(bytes(owner.wire()), type, rrset.ttl(), rr.rdata)) ok = false;
    });
    return ok && packer.add(apex, core::rrtype::SOA, soa_ttl, bytes(soa));
}

// RFC 1995 §4: our SOA, then per step the old SOA, what left, the new SOA, what came, and our
// SOA again.
bool write_steps(Packer& packer, const core::Zone& zone, const std::vector<store::JournalEntry>& steps, std::uint32_t serial) {
    const auto apex = bytes(zone.apex().wire());
    const std::uint32_t soa_ttl = zone.spec().soa.ttl;
    const std::string current = zone.soa_rdata(serial);
    if (!packer.add(apex, core::rrtype::SOA, soa_ttl, bytes(current))) return false;
    for (const auto& step : steps) {
        if (!packer.add(apex, core::rrtype::SOA, soa_ttl, bytes(zone.soa_rdata(step.serial_from)))) return false;
        for (const auto& rr : step.deleted)
            if (!packer.add(bytes(rr.owner), rr.type, rr.ttl, bytes(rr.rdata))) return false;
        if (!packer.add(apex, core::rrtype::SOA, soa_ttl, bytes(zone.soa_rdata(step.serial_to)))) return false;
        for (const auto& rr : step.added)
            if (!packer.add(bytes(rr.owner), rr.type, rr.ttl, bytes(rr.rdata))) return false;
    }
    return packer.add(apex, core::rrtype::SOA, soa_ttl, bytes(current));
}

}  // namespace

bool TransferAcl::permits(const std::optional<core::IpAddress>& peer, const TsigKeyMaterial* key) const noexcept {
    if (!enabled()) return false;
    if (!allow.empty()) {
        if (!peer) return false;
        if (std::none_of(allow.begin(), allow.end(), [&](const core::Cidr& c) { return c.contains(*peer); })) return false;
    }
    if (!keys.empty() && key == nullptr) return false;
    return true;
}

const TsigKeyMaterial* TransferAcl::find_key(const core::Name& name) const noexcept {
    for (const auto& key : keys)
        if (key.name == name) return &key;
    return nullptr;
}

bool is_transfer_query(std::span<const std::uint8_t> msg) noexcept {
    Header h;
    if (!read_header(msg, h) || h.qr() || h.opcode() != opcode::QUERY || h.qdcount != 1) return false;
    std::size_t pos = kHeaderSize;
    WireName name;
    if (read_name(msg, pos, name) != NameError::none || pos + 4 > msg.size()) return false;
    const std::uint16_t qtype = get_u16(msg, pos);
    return qtype == core::rrtype::AXFR || qtype == core::rrtype::IXFR;
}

const char* transfer_kind_text(TransferKind kind) noexcept {
    switch (kind) {
    case TransferKind::axfr: return "axfr";
    case TransferKind::ixfr_current: return "ixfr_current";
    case TransferKind::ixfr_diff: return "ixfr_diff";
    case TransferKind::ixfr_full: return "ixfr_full";
    case TransferKind::refused: return "refused";
    case TransferKind::notauth: return "notauth";
    case TransferKind::formerr: return "formerr";
    case TransferKind::servfail: return "servfail";
    case TransferKind::ignored: return "ignored";
    }
    return "?";
}

TransferAnswer answer_transfer(std::span<const std::uint8_t> query, const std::optional<core::IpAddress>& peer,
                               const core::Zone& zone, const store::Store& store, store::Snapshot& snapshot,
                               const TransferOptions& options, std::uint64_t now) {
    TransferAnswer answer;
    Header h;
    if (!read_header(query, h) || h.qr()) return answer;
    const std::uint16_t base_flags = static_cast<std::uint16_t>(flag::QR | (h.flags & (kOpcodeMask | flag::RD)));

    Signer signer;
    signer.vars = TsigVariables{now, options.fudge, tsig_error::NOERROR, {}};
    std::span<const std::uint8_t> question;
    // One message with a header, the question (when known) and no records; signed when the
    // request's TSIG verified.
    const auto error_reply = [&](TransferKind kind, std::uint16_t rc) {
        answer.kind = kind;
        Packer packer(h.id, static_cast<std::uint16_t>(base_flags | rc), question, options.message_size, signer);
        if (packer.finish()) answer.messages = std::move(packer.messages());
        return answer;
    };

    TsigRecord rec;
    const TsigFind found = find_tsig(query, rec);
    if (found == TsigFind::unreadable || found == TsigFind::malformed) return error_reply(TransferKind::formerr, rcode::FORMERR);
    const std::size_t body_end = found == TsigFind::found ? rec.offset : query.size();
    Query q;
    // The message without its TSIG (ARCOUNT as sent: parse_query tolerates the difference only
    // when told, so parse the full message and take the question from it).
    if (parse_query(query, q) != ParseError::none || !q.has_question || q.question_end > body_end)
        return error_reply(TransferKind::formerr, rcode::FORMERR);
    question = query.subspan(kHeaderSize, q.question_end - kHeaderSize);

    const TsigKeyMaterial* key = nullptr;
    if (found == TsigFind::found) {
        // RFC 8945 §5.2: only transfer keys are known here; an update key is BADKEY.
        auto name = core::Name::from_wire(rec.key_name.wire_span());
        key = name ? options.acl.find_key(*name) : nullptr;
        const TsigCheck check = key ? verify_tsig(query, rec, *key, now, TsigPolicy{options.fudge, false}) : TsigCheck::badkey;
        if (check == TsigCheck::formerr) return error_reply(TransferKind::formerr, rcode::FORMERR);
        if (check != TsigCheck::ok) {
            // §5.3.2: BADKEY and BADSIG are answered unsigned (MAC size 0) with the error in the TSIG;
            // BADTIME and BADTRUNC signed.
            answer.kind = TransferKind::notauth;
            std::vector<std::uint8_t> out(kMaxMessage);
            MessageWriter w(out, kMaxMessage);
            w.start(h.id, static_cast<std::uint16_t>(base_flags | rcode::NOTAUTH), question);
            std::size_t length = w.finish();
            const std::uint16_t error = check == TsigCheck::badkey   ? tsig_error::BADKEY
                                        : check == TsigCheck::badsig ? tsig_error::BADSIG
                                        : check == TsigCheck::badtime ? tsig_error::BADTIME
                                                                      : tsig_error::BADTRUNC;
            if (check == TsigCheck::badkey || check == TsigCheck::badsig) {
                const TsigVariables vars{now, options.fudge, error, {}};
                length = append_tsig(out, length, rec.key_name.wire_span(), rec.algorithm.wire_span(), vars, {}, rec.original_id);
            } else {
                std::uint8_t other[6];
                for (int i = 0; i < 6; ++i) other[i] = static_cast<std::uint8_t>(now >> (8 * (5 - i)));
                TsigVariables vars{check == TsigCheck::badtime ? rec.time_signed : now, options.fudge, error, {}};
                if (check == TsigCheck::badtime) vars.other = std::span<const std::uint8_t>(other, 6);
                length = sign_response(out, length, *key, rec.mac, vars);
            }
            if (length > 0) answer.messages.emplace_back(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(length));
            return answer;
        }
        signer.key = key;
        signer.prior_mac.assign(rec.mac.begin(), rec.mac.end());
    }

    // RFC 5936 §2.2.1: a zone we do not serve is NOTAUTH.
    auto qname = core::Name::from_wire(q.qname.wire_span());
    if (!qname || !(*qname == zone.apex()) || (q.qclass != core::rrclass::IN && q.qclass != core::rrclass::ANY))
        return error_reply(TransferKind::notauth, rcode::NOTAUTH);
    if (!options.acl.permits(peer, key)) return error_reply(TransferKind::refused, rcode::REFUSED);

    const std::uint16_t flags = static_cast<std::uint16_t>(base_flags | flag::AA);
    Packer packer(h.id, flags, question, options.message_size, signer);
    bool ok = true;
    answer.kind = TransferKind::axfr;
    bool full = true;
    if (q.qtype == core::rrtype::IXFR) {
        const auto client = ixfr_client_serial(query.first(body_end), q.question_end);
        if (!client) return error_reply(TransferKind::formerr, rcode::FORMERR);  // RFC 1995 §3: the SOA is required
        // Serial and journal from one read transaction.
        auto txn = store::Txn::begin(store.env(), nullptr, MDB_RDONLY, "starting a transfer read");
        std::uint32_t serial = 0;
        if (!txn || store::read_meta_u32(txn->get(), store.meta_db(), store::kMetaSerial, serial) != 0)
            return error_reply(TransferKind::servfail, rcode::SERVFAIL);
        answer.serial = serial;
        answer.kind = TransferKind::ixfr_full;
        if (*client == serial) {
            // §4: the client is current; our SOA alone.
            full = false;
            answer.kind = TransferKind::ixfr_current;
            const std::string soa = zone.soa_rdata(serial);
            ok = packer.add(bytes(zone.apex().wire()), core::rrtype::SOA, zone.spec().soa.ttl, bytes(soa));
        } else if (store.journal_db() != 0) {
            auto steps = store::journal_range(txn->get(), store.journal_db(), *client, serial);
            if (!steps) return error_reply(TransferKind::servfail, rcode::SERVFAIL);
            if (*steps) {
                full = false;
                answer.kind = TransferKind::ixfr_diff;
                ok = write_steps(packer, zone, **steps, serial);
            }
        }
    }
    if (full) {
        if (!snapshot.begin()) return error_reply(TransferKind::servfail, rcode::SERVFAIL);
        answer.serial = snapshot.serial();
        ok = write_zone(packer, zone, snapshot, answer.serial);
        snapshot.end();
    }
    if (!ok || !packer.finish()) return error_reply(TransferKind::servfail, rcode::SERVFAIL);
    answer.records = packer.records();
    answer.messages = std::move(packer.messages());
    return answer;
}

}  // namespace acmezone::dns
