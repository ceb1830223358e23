#include "core/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace acmezone::core {

namespace {

constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// inet_pton wants a NUL-terminated string; addresses are short, so a stack buffer does.
bool to_c_string(std::string_view text, char (&out)[64]) {
    if (text.empty() || text.size() >= sizeof out) return false;
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    return true;
}

}  // namespace

std::string IpAddress::to_text() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf) == nullptr) return "?";
    return buf;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    char buf[64];
    if (!to_c_string(text, buf)) return std::nullopt;
    IpAddress out;
    if (::inet_pton(AF_INET, buf, out.bytes.data()) == 1) return out;
    if (::inet_pton(AF_INET6, buf, out.bytes.data()) != 1) return std::nullopt;
    if (std::memcmp(out.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
        std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
        std::fill(out.bytes.begin() + 4, out.bytes.end(), std::uint8_t{0});
        return out;
    }
    out.v6 = true;
    return out;
}

std::string strip_brackets(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text)
        if (c != '[' && c != ']') out.push_back(c);
    return out;
}

Result<Cidr> parse_cidr(std::string_view input) {
    Cidr cidr;
    cidr.text = strip_brackets(input);
    const auto bad = [&](const char* why) {
        return make_error(Errc::invalid_argument, "invalid CIDR \"" + cidr.text + "\": " + why);
    };
    const auto slash = cidr.text.find('/');
    if (slash == std::string::npos) return bad("expected address/prefix");
    const std::string_view address = std::string_view(cidr.text).substr(0, slash);
    const std::string_view prefix = std::string_view(cidr.text).substr(slash + 1);

    char buf[64];
    if (!to_c_string(address, buf)) return bad("bad address");
    // Unlike parse_ip, an IPv6 form stays IPv6 even when IPv4-mapped (Go keeps it 16 bytes).
    if (::inet_pton(AF_INET, buf, cidr.network.data()) == 1) {
        cidr.v6 = false;
    } else if (::inet_pton(AF_INET6, buf, cidr.network.data()) == 1) {
        cidr.v6 = true;
    } else {
        return bad("bad address");
    }
    // Decimal digits only (leading zeros allowed, as Go's dtoi does), within the family's bits.
    if (prefix.empty() || prefix.size() > 3 ||
        !std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad("bad prefix length");
    unsigned bits = 0;
    for (char c : prefix) bits = bits * 10 + static_cast<unsigned>(c - '0');
    if (bits > (cidr.v6 ? 128u : 32u)) return bad("prefix length out of range");
    cidr.prefix = bits;

    // Clear the host bits of the network so contains() compares whole bytes.
    const unsigned total = cidr.v6 ? 16 : 4;
    for (unsigned i = 0; i < total; ++i) {
        const unsigned start = i * 8;
        if (start >= bits) {
            cidr.network[i] = 0;
        } else if (bits - start < 8) {
            cidr.network[i] &= static_cast<std::uint8_t>(0xff << (8 - (bits - start)));
        }
    }
    return cidr;
}

bool Cidr::contains(const IpAddress& address) const noexcept {
    if (address.v6 != v6) return false;
    unsigned bits = prefix;
    for (unsigned i = 0; bits > 0; ++i) {
        const unsigned take = std::min(bits, 8u);
        const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
        if ((address.bytes[i] & mask) != network[i]) return false;
        bits -= take;
    }
    return true;
}

}  // namespace acmezone::core
