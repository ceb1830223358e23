#include "app/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace acmezone::app {

namespace {

// The kernel refuses RLIM_INFINITY for RLIMIT_NOFILE (above fs.nr_open); its default ceiling.
constexpr std::uint64_t kNrOpenDefault = 1048576;
constexpr std::uint64_t kFdOverhead = 256;

}  // namespace

core::Result<FdLimit> raise_fd_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return core::make_error(core::Errc::internal, std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
    FdLimit out;
    out.before = limit.rlim_cur;
    out.hard = limit.rlim_max;
    const rlim_t target = limit.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(kNrOpenDefault) : limit.rlim_max;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
        rlimit raised = limit;
        raised.rlim_cur = target;
        if (::setrlimit(RLIMIT_NOFILE, &raised) != 0)
            return core::make_error(core::Errc::internal, "setrlimit(RLIMIT_NOFILE, " + std::to_string(target) +
                                                              "): " + std::strerror(errno));
        limit = raised;
    }
    out.soft = limit.rlim_cur;
    return out;
}

std::uint64_t fd_budget(std::uint64_t api_connections, std::uint64_t dns_tcp_connections) {
    return api_connections + dns_tcp_connections + kFdOverhead;
}

}  // namespace acmezone::app
