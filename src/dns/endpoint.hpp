// dns/endpoint: a listen address ("127.0.0.1:5353", "[::1]:5353") parsed once at start-up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

#include "core/result.hpp"

namespace acmezone::dns {

struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string text;  // as configured, for logs and errors
};

core::Result<Endpoint> parse_endpoint(std::string_view text);

}  // namespace acmezone::dns
