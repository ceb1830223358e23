// Fuzzes name normalisation: core::Name from wire and from text (round trips through the
// other form must give the same name, case kept), and the label schemes of core/label_scheme
// (normalising is idempotent, reverse encoding is one-to-one and decodes back, hash labels
// have their fixed shape, issued labels fit in one DNS label).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/label_scheme.hpp"
#include "core/name.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace acmezone;

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void check_name(const core::Name& name) {
    FUZZ_CHECK(name.wire().size() <= 255);  // RFC 1035 §3.1
    FUZZ_CHECK(name.canonical_wire().size() == name.wire().size());
    FUZZ_CHECK(core::is_valid_uncompressed_wire(bytes(name.wire())));
    // Wire -> Name is exact.
    auto again = core::Name::from_wire(bytes(name.wire()));
    FUZZ_CHECK(again && again->wire() == name.wire());
    // Text -> Name gives back the same wire bytes, case kept (escapes are lossless).
    auto text = name.to_text();
    auto parsed = core::Name::from_text(text);
    FUZZ_CHECK(parsed);
    FUZZ_CHECK(parsed->wire() == name.wire());
    FUZZ_CHECK(core::Name::from_text(name.to_canonical_text()).value() == name);
    FUZZ_CHECK(name.is_at_or_below(core::Name()));
    const auto labels = name.labels();
    FUZZ_CHECK(labels.size() == name.label_count());
    // Relative to its parent and back.
    if (!labels.empty()) {
        const std::string wire(name.wire());
        auto parent = core::Name::from_wire(bytes(std::string_view(wire).substr(1 + labels.front().size())));
        FUZZ_CHECK(parent);
        FUZZ_CHECK(name.is_at_or_below(*parent));
        auto rebuilt = parent->prepend(name.relative_text(*parent));
        FUZZ_CHECK(rebuilt && *rebuilt == name);
    }
}

void check_label_schemes(std::string_view text) {
    auto normalised = core::normalise_customer_name(text);
    if (normalised) {
        const std::string& n = normalised.value();
        FUZZ_CHECK(!n.empty() && n.size() <= 253);
        auto twice = core::normalise_customer_name(n);
        FUZZ_CHECK(twice && twice.value() == n);  // idempotent
        const std::string reversed = core::reverse_encode(n);
        auto decoded = core::reverse_decode(reversed);
        FUZZ_CHECK(decoded && *decoded == n);
        const std::string hash = core::hash_label(n);
        FUZZ_CHECK(hash.size() == 32);
        for (char c : hash) FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'));
        for (auto scheme : {core::LabelScheme::hash, core::LabelScheme::reverse}) {
            const auto issued = core::make_label(n, scheme);
            FUZZ_CHECK(!issued.label.empty() && issued.label.size() <= 63);
            FUZZ_CHECK(issued.fell_back == (scheme == core::LabelScheme::reverse && issued.scheme == core::LabelScheme::hash));
        }
    }
    // Any text a reverse label decodes from is exactly what that name encodes to.
    if (auto decoded = core::reverse_decode(text)) FUZZ_CHECK(core::reverse_encode(*decoded) == text);
    if (auto scheme = core::parse_label_scheme(text)) FUZZ_CHECK(std::string_view(core::to_string(*scheme)) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> wire(data, size);
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto name = core::Name::from_wire(wire)) {
        FUZZ_CHECK(name->wire().size() == size);  // the whole input was the name
        check_name(*name);
    }
    if (auto name = core::Name::from_text(text)) check_name(*name);
    static const core::Name origin = core::Name::from_text("acme.example.test").value();
    if (auto name = core::Name::from_text(text, origin)) check_name(*name);
    check_label_schemes(text);
    return 0;
}
