// app/privileges: `serve` without root. Two ways to serve port 53:
//  - started as a plain user with CAP_NET_BIND_SERVICE (systemd's AmbientCapabilities, or
//    setpriv): nothing to switch; [server] user, when set, should name that user (a different
//    one is reported at start and ignored);
//  - started as root with [server] user (and group): the store is opened with the account's
//    effective ids, so every file LMDB creates belongs to it and a store it could not use fails
//    at start with a clear error before any socket is bound (the CLI, run later as that account,
//    opens the same files); a missing store folder is created first, 0700, owned by it. Every
//    socket is then bound as root, and the process switches for good: supplementary groups
//    (initgroups), gid, uid; it then checks that setuid(0) fails. glibc applies set*id to every
//    thread of the process, so threads started before the switch are switched too.
// PR_SET_NO_NEW_PRIVS is set before any thread starts (it is per thread and inherited): the
// server never executes a program, so no execve may ever gain privileges (setuid binaries,
// file capabilities) even if an attacker got code execution; it costs nothing. Not thread-safe:
// call from the main thread in `serve`'s start order.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "core/result.hpp"

namespace acmezone::app {

struct Account {
    std::string user;
    std::string group;
    uid_t uid = 0;
    gid_t gid = 0;
};

// The account to switch to: nullopt when there is nothing to switch (no [server] user, or not
// started as root; a configured user other than the current one is then logged as a warning).
// Errors: an unknown user or group, or one that is root itself.
core::Result<std::optional<Account>> resolve_account(const ServerConfig& server);

// As root: creates the store folder when missing (0700, owned by the account) and sets the
// supplementary groups to the account's (initgroups).
core::Status prepare_account(const std::filesystem::path& store_path, const Account& account);

// While alive, the effective uid and gid are the account's; root's come back on destruction.
// Check ok() after constructing.
class AsAccount {
public:
    explicit AsAccount(const Account& account);
    ~AsAccount();
    AsAccount(const AsAccount&) = delete;
    AsAccount& operator=(const AsAccount&) = delete;
    const core::Status& status() const noexcept { return status_; }

private:
    uid_t saved_uid_;
    gid_t saved_gid_;
    bool switched_gid_ = false;
    bool switched_uid_ = false;
    core::Status status_ = core::Ok{};
};

// The permanent switch (gid, then uid), then the check that root cannot be regained.
core::Status drop_privileges(const Account& account);

// prctl(PR_SET_NO_NEW_PRIVS, 1).
core::Status set_no_new_privileges();

}  // namespace acmezone::app
