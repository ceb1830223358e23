#include "app/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "app/logging.hpp"

namespace acmezone::app {

using core::Errc;
using core::make_error;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// getpwnam_r / getgrnam_r with a buffer that grows on ERANGE.
template <typename Entry, typename Lookup>
std::optional<Entry> lookup(const std::string& name, Lookup fn, int& err) {
    std::vector<char> buffer(4096);
    for (;;) {
        Entry entry{};
        Entry* found = nullptr;
        err = fn(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (err == ERANGE && buffer.size() < (1u << 20)) {
            buffer.resize(buffer.size() * 4);
            continue;
        }
        if (err != 0 || found == nullptr) return std::nullopt;
        return entry;
    }
}

std::string user_of(uid_t uid) {
    std::vector<char> buffer(4096);
    passwd entry{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) return entry.pw_name;
    return std::to_string(uid);
}

}  // namespace

core::Result<std::optional<Account>> resolve_account(const ServerConfig& server) {
    if (server.user.empty()) {
        if (::geteuid() == 0)
            app_log()->warn("event=running_as_root hint=\"set [server] user to switch to an unprivileged account after binding\"");
        return std::optional<Account>{};
    }
    int err = 0;
    auto pw = lookup<passwd>(server.user, ::getpwnam_r, err);
    if (!pw)
        return make_error(Errc::invalid_argument, "server.user \"" + server.user + "\": " +
                                                      (err != 0 ? errno_text(err) : std::string("no such user")));
    Account account;
    account.user = server.user;
    account.uid = pw->pw_uid;
    account.gid = pw->pw_gid;
    if (!server.group.empty()) {
        auto gr = lookup<group>(server.group, ::getgrnam_r, err);
        if (!gr)
            return make_error(Errc::invalid_argument, "server.group \"" + server.group + "\": " +
                                                          (err != 0 ? errno_text(err) : std::string("no such group")));
        account.group = server.group;
        account.gid = gr->gr_gid;
    } else {
        std::vector<char> buffer(4096);
        group entry{};
        group* found = nullptr;
        account.group = ::getgrgid_r(account.gid, &entry, buffer.data(), buffer.size(), &found) == 0 && found
                            ? std::string(entry.gr_name)
                            : std::to_string(account.gid);
    }
    if (account.uid == 0 || account.gid == 0)
        return make_error(Errc::invalid_argument, "server.user/server.group: \"" + account.user + ":" + account.group +
                                                      "\" is root; name an unprivileged account");

    if (::geteuid() != 0) {
        // Started without root (e.g. systemd User= with AmbientCapabilities): nothing to switch.
        if (::geteuid() != account.uid)
            app_log()->warn("event=privileges_unchanged reason=not_root running_as={} configured_user={}", user_of(::geteuid()),
                            account.user);
        return std::optional<Account>{};
    }
    return std::optional<Account>{std::move(account)};
}

core::Status prepare_account(const std::filesystem::path& store_path, const Account& account) {
    std::error_code ec;
    if (!std::filesystem::exists(store_path, ec)) {
        if (store_path.has_parent_path()) std::filesystem::create_directories(store_path.parent_path(), ec);
        if (::mkdir(store_path.c_str(), 0700) != 0 && errno != EEXIST)
            return make_error(Errc::store_error, "store.path " + store_path.string() + ": cannot create: " + errno_text(errno));
        if (::chown(store_path.c_str(), account.uid, account.gid) != 0 || ::chmod(store_path.c_str(), 0700) != 0)
            return make_error(Errc::store_error, "store.path " + store_path.string() + ": cannot give it to " + account.user +
                                                     ": " + errno_text(errno));
    }
    if (::initgroups(account.user.c_str(), account.gid) != 0)
        return make_error(Errc::internal, "initgroups(" + account.user + "): " + errno_text(errno));
    return core::Ok{};
}

AsAccount::AsAccount(const Account& account) : saved_uid_(::geteuid()), saved_gid_(::getegid()) {
    // The gid first: once the uid is not 0, the gid can no longer be changed.
    if (::setegid(account.gid) != 0) {
        status_ = make_error(Errc::internal, "setegid(" + std::to_string(account.gid) + "): " + errno_text(errno));
        return;
    }
    switched_gid_ = true;
    if (::seteuid(account.uid) != 0) {
        status_ = make_error(Errc::internal, "seteuid(" + std::to_string(account.uid) + "): " + errno_text(errno));
        return;
    }
    switched_uid_ = true;
}

AsAccount::~AsAccount() {
    // Back to root (the real and saved uid are still 0); failing here would leave a half-switched
    // process, which must not go on.
    if (switched_uid_ && ::seteuid(saved_uid_) != 0) std::abort();
    if (switched_gid_ && ::setegid(saved_gid_) != 0) std::abort();
}

core::Status drop_privileges(const Account& account) {
    if (::setgid(account.gid) != 0)
        return make_error(Errc::internal, "setgid(" + std::to_string(account.gid) + "): " + errno_text(errno));
    if (::setuid(account.uid) != 0)
        return make_error(Errc::internal, "setuid(" + std::to_string(account.uid) + "): " + errno_text(errno));
    uid_t ruid = 0, euid = 0, suid = 0;
    gid_t rgid = 0, egid = 0, sgid = 0;
    if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0)
        return make_error(Errc::internal, std::string("getresuid: ") + errno_text(errno));
    if (ruid != account.uid || euid != account.uid || suid != account.uid || rgid != account.gid || egid != account.gid ||
        sgid != account.gid)
        return make_error(Errc::internal, "the process ids are not all " + account.user + "'s after setuid");
    // The proof: root must be out of reach now.
    if (::setuid(0) == 0 || ::seteuid(0) == 0)
        return make_error(Errc::internal, "setuid(0) still succeeds after switching to " + account.user);
    return core::Ok{};
}

core::Status set_no_new_privileges() {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return make_error(Errc::internal, std::string("prctl(PR_SET_NO_NEW_PRIVS): ") + errno_text(errno));
    return core::Ok{};
}

}  // namespace acmezone::app
