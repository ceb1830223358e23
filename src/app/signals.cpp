#include "app/signals.hpp"

#include <pthread.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace acmezone::app {

ShutdownSignals::ShutdownSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGHUP);
    if (int rc = pthread_sigmask(SIG_BLOCK, &set_, &previous_); rc != 0)
        throw std::runtime_error(std::string("pthread_sigmask: ") + std::strerror(rc));
    std::signal(SIGPIPE, SIG_IGN);
}

ShutdownSignals::~ShutdownSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

int ShutdownSignals::wait() const {
    for (;;) {
        int signo = 0;
        const int rc = sigwait(&set_, &signo);
        if (rc == 0) return signo;
        if (rc != EINTR) throw std::runtime_error(std::string("sigwait: ") + std::strerror(rc));
    }
}

const char* signal_name(int signo) noexcept {
    switch (signo) {
        case SIGTERM: return "SIGTERM";
        case SIGINT: return "SIGINT";
        case SIGHUP: return "SIGHUP";
        default: return "signal";
    }
}

}  // namespace acmezone::app
