#include "dns/answer.hpp"

#include <cstring>
#include <string_view>

namespace acmezone::dns {
namespace {

std::string_view as_view(std::span<const std::uint8_t> bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

RRsetRef fixed_ref(const core::RRset& set) noexcept {
    RRsetRef ref;
    ref.source = RRsetRef::Source::fixed;
    ref.type = set.type;
    ref.ttl = set.ttl;
    ref.fixed = &set;
    return ref;
}

RRsetRef dynamic_ref(std::uint16_t type, const store::RRsetView& view) noexcept {
    RRsetRef ref;
    ref.source = RRsetRef::Source::dynamic;
    ref.type = type;
    ref.ttl = view.ttl();
    ref.dynamic = view;
    return ref;
}

// One name, one type: RFC 1034 §4.3.2 step 3 without the chain (find_answer follows it).
class Lookup {
public:
    Lookup(const core::Zone& zone, const store::Snapshot& snapshot) noexcept : zone_(zone), snapshot_(snapshot) {}

    AnswerKind step(std::span<const std::uint8_t> name, std::uint16_t qtype, RRsetRef& ref) const noexcept {
        const core::StaticNode* node = zone_.find(as_view(name));
        if (qtype == core::rrtype::ANY) return any(name, node, ref);
        if (qtype == core::rrtype::SOA && is_apex(name)) {
            ref = soa_ref();
            return AnswerKind::found;
        }
        if (node != nullptr) {
            if (const auto* cname = node->find(core::rrtype::CNAME); cname && qtype != core::rrtype::CNAME) {
                ref = fixed_ref(*cname);
                return AnswerKind::cname;
            }
            if (const auto* set = node->find(qtype)) {
                ref = fixed_ref(*set);
                return AnswerKind::found;
            }
        }
        if (auto view = snapshot_.find(name, qtype); !view.empty()) {
            ref = dynamic_ref(qtype, view);
            return AnswerKind::found;
        }
        return negative(name, node);
    }

private:
    bool is_apex(std::span<const std::uint8_t> name) const noexcept { return as_view(name) == zone_.apex().canonical_wire(); }

    RRsetRef soa_ref() const noexcept {
        RRsetRef ref;
        ref.source = RRsetRef::Source::soa;
        ref.type = core::rrtype::SOA;
        ref.ttl = zone_.spec().soa.ttl;
        return ref;
    }

    // RFC 8020 / RFC 4592 §2.2.2: a name with data or with descendants exists (NODATA);
    // only a name with neither is NXDOMAIN.
    AnswerKind negative(std::span<const std::uint8_t> name, const core::StaticNode* node) const noexcept {
        const bool exists = node != nullptr || is_apex(name) || zone_.has_static_descendant(as_view(name)) ||
                            snapshot_.has_any(name) || snapshot_.has_descendants(name);
        return exists ? AnswerKind::nodata : AnswerKind::nxdomain;
    }

    // RFC 8482 §4: answer ANY with one RRset, preferring what ACME clients look for (TXT).
    // The store holds TXT only (core::Zone), so a dynamic name without TXT has nothing else.
    AnswerKind any(std::span<const std::uint8_t> name, const core::StaticNode* node, RRsetRef& ref) const noexcept {
        if (node != nullptr) {
            if (const auto* txt = node->find(core::rrtype::TXT)) {
                ref = fixed_ref(*txt);
                return AnswerKind::found;
            }
        }
        if (auto view = snapshot_.find(name, core::rrtype::TXT); !view.empty()) {
            ref = dynamic_ref(core::rrtype::TXT, view);
            return AnswerKind::found;
        }
        if (is_apex(name)) {
            ref = soa_ref();
            return AnswerKind::found;
        }
        if (node != nullptr && !node->rrsets.empty()) {
            ref = fixed_ref(node->rrsets.front());
            return AnswerKind::found;
        }
        return negative(name, node);
    }

    const core::Zone& zone_;
    const store::Snapshot& snapshot_;
};

// Lower-cases a valid uncompressed wire name into out; returns its size, 0 when invalid.
std::size_t canonicalise(std::span<const std::uint8_t> wire, std::uint8_t (&out)[core::kMaxNameWire]) noexcept {
    if (!core::is_valid_uncompressed_wire(wire)) return 0;
    for (std::size_t i = 0; i < wire.size(); ++i) out[i] = core::fold_case(wire[i]);
    return wire.size();
}

}  // namespace

bool wire_is_at_or_below(std::span<const std::uint8_t> name, std::span<const std::uint8_t> ancestor) noexcept {
    if (ancestor.size() > name.size()) return false;
    const std::size_t skip = name.size() - ancestor.size();
    std::size_t pos = 0;
    while (pos < skip) pos += 1 + name[pos];  // the suffix must start on a label boundary
    return pos == skip && std::memcmp(name.data() + skip, ancestor.data(), ancestor.size()) == 0;
}

void find_answer(const core::Zone& zone, const store::Snapshot& snapshot, std::span<const std::uint8_t> canonical_qname,
                 std::uint16_t qtype, Answer& out) noexcept {
    const Lookup lookup(zone, snapshot);
    out.count = 0;
    out.tail = AnswerKind::found;
    RRsetRef ref;
    out.kind = lookup.step(canonical_qname, qtype, ref);
    if (out.kind != AnswerKind::found && out.kind != AnswerKind::cname) return;
    out.entries[out.count++] = {Owner{kQuestionPointer, {}}, ref};
    if (out.kind != AnswerKind::cname) return;

    // RFC 1034 §4.3.2 step 3a: follow the chain while it stays inside the zone.
    const auto apex = as_bytes(zone.apex().canonical_wire());
    std::uint8_t canonical[core::kMaxNameWire];
    for (std::size_t steps = 0; steps < kMaxCnameChain; ++steps) {
        const auto target = as_bytes(ref.fixed->rdatas.front());
        const std::size_t size = canonicalise(target, canonical);
        if (size == 0 || !wire_is_at_or_below({canonical, size}, apex)) return;  // outside: the CNAMEs are the answer
        const AnswerKind kind = lookup.step({canonical, size}, qtype, ref);
        if (kind != AnswerKind::found && kind != AnswerKind::cname) {
            out.tail = kind;
            return;
        }
        out.entries[out.count++] = {Owner{0, target}, ref};
        if (kind == AnswerKind::found) return;
    }
}

}  // namespace acmezone::dns
