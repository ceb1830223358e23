// app/signals: shutdown signals handled synchronously. SIGTERM and SIGINT are blocked in the
// main thread before any other thread starts (threads inherit the mask), so no thread is ever
// interrupted by them; main then waits for one with sigwait. No async-signal handlers at all.
#pragma once

#include <csignal>

namespace acmezone::app {

class ShutdownSignals {
public:
    // Blocks SIGTERM and SIGINT in the calling thread (and so in threads it starts later) and
    // ignores SIGPIPE, so a peer closing a socket never kills the process.
    ShutdownSignals();
    // Restores the previous signal mask.
    ~ShutdownSignals();
    ShutdownSignals(const ShutdownSignals&) = delete;
    ShutdownSignals& operator=(const ShutdownSignals&) = delete;

    // Waits until SIGTERM or SIGINT arrives and returns its number.
    int wait() const;

private:
    sigset_t set_{};
    sigset_t previous_{};
};

// "SIGTERM", "SIGINT", or the number.
const char* signal_name(int signo) noexcept;

}  // namespace acmezone::app
