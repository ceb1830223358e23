// app/signals: signals handled synchronously. SIGTERM and SIGINT (stop) and SIGHUP (reload the
// API's TLS certificate) are blocked in the main thread before any other thread starts (threads
// inherit the mask), so no thread is ever interrupted by them; main then waits for one with
// sigwait. No async-signal handlers at all.
#pragma once

#include <csignal>

namespace acmezone::app {

class ShutdownSignals {
public:
    // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in threads it starts later) and
    // ignores SIGPIPE, so a peer closing a socket never kills the process.
    ShutdownSignals();
    // Restores the previous signal mask.
    ~ShutdownSignals();
    ShutdownSignals(const ShutdownSignals&) = delete;
    ShutdownSignals& operator=(const ShutdownSignals&) = delete;

    // Waits until SIGTERM, SIGINT or SIGHUP arrives and returns its number.
    int wait() const;

private:
    sigset_t set_{};
    sigset_t previous_{};
};

// "SIGTERM", "SIGINT", "SIGHUP", or "signal".
const char* signal_name(int signo) noexcept;

}  // namespace acmezone::app
