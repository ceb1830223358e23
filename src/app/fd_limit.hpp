// app/fd_limit: every connection the server holds (HTTP parked or served, DNS over TCP) costs a
// file descriptor, and the usual default soft RLIMIT_NOFILE of 1024 would cap the server far
// below its configured connection limits (and make accept() fail with EMFILE under a flood).
// At start the soft limit is raised to the hard limit (no privilege needed). Nothing in the
// process uses select(), so descriptors above 1023 are fine.
#pragma once

#include <cstdint>

#include "core/result.hpp"

namespace acmezone::app {

struct FdLimit {
    std::uint64_t before = 0;  // soft limit found
    std::uint64_t soft = 0;    // soft limit now
    std::uint64_t hard = 0;
};

core::Result<FdLimit> raise_fd_limit();

// Descriptors the configured limits may need: both connection caps plus room for listeners,
// the store, logs and the process's own (a rough floor for a warning, not a promise).
std::uint64_t fd_budget(std::uint64_t api_connections, std::uint64_t dns_tcp_connections);

}  // namespace acmezone::app
