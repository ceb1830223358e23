// Fuzzes what the REST API reads from a client before any store access: the JSON bodies of
// /update and /register (api/json_body), UUIDs, the client address from the peer and
// X-Forwarded-For headers (api/client_address), and CIDR and IP parsing (core/cidr).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/client_address.hpp"
#include "api/json_body.hpp"
#include "core/cidr.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace acmezone;

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find(separator, start);
        out.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

void check_json(std::string_view body) {
    auto update = api::read_update_body(body);
    (void)update;
    auto registered = api::read_register_body(body);
    if (!registered.ok) FUZZ_CHECK(registered.allowfrom.empty());
    if (auto first = api::parse_first_value(body)) (void)api::find_key(*first, "txt");
    if (auto whole = api::parse_whole(body)) {
        FUZZ_CHECK(api::parse_first_value(body).has_value());  // a whole value is also a first value
        (void)api::find_key(*whole, "allowfrom");
    }
    if (auto uuid = api::parse_uuid(body)) {
        FUZZ_CHECK(uuid->size() == 36);
        auto again = api::parse_uuid(*uuid);
        FUZZ_CHECK(again && *again == *uuid);
    }
}

void check_addresses(std::string_view text) {
    if (auto ip = core::parse_ip(text)) {
        auto again = core::parse_ip(ip->to_text());
        FUZZ_CHECK(again && *again == *ip);
    }
    if (auto cidr = core::parse_cidr(text)) {
        FUZZ_CHECK(cidr->prefix <= (cidr->v6 ? 128u : 32u));
        auto again = core::parse_cidr(cidr->text);
        FUZZ_CHECK(again && again->network == cidr->network && again->prefix == cidr->prefix && again->v6 == cidr->v6);
        core::IpAddress network{cidr->v6, cidr->network};
        FUZZ_CHECK(cidr->contains(network));
    }
    // Header handling: first line the peer, the rest X-Forwarded-For values; trusted proxies
    // are loopback and a private range, as an operator would configure them.
    static const std::vector<core::Cidr> proxies = {core::parse_cidr("127.0.0.0/8").value(),
                                                    core::parse_cidr("10.0.0.0/8").value(),
                                                    core::parse_cidr("[::1]/128").value()};
    auto lines = split(text, '\n');
    const std::string peer = lines.front();
    lines.erase(lines.begin());
    const auto client = api::client_address(peer, lines, proxies);
    FUZZ_CHECK(!client.text.empty());
    if (client.ip) FUZZ_CHECK(core::parse_ip(client.text).has_value());
    (void)api::allowed_from(split(text, ','), client);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_json(text);
    check_addresses(text);
    return 0;
}
