#include "store/store.hpp"

#include <cstring>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "store/meta.hpp"
#include "test_support.hpp"

using namespace acmezone;
using namespace acmezone::store;
using namespace acmezone::store::testing;

namespace {

// Waits for a child with a deadline (no fixed sleeps, no hang if it wedges).
int wait_child(pid_t pid, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
}

}  // namespace

TEST(Store, CreatesTheFolderWithMode0700AndStampsSchemaAndSerial) {
    TempDir dir;
    StoreOptions options;
    options.path = dir.path() / "nested" / "data";
    const mode_t old_umask = ::umask(0);  // the mode must not depend on the umask
    auto store = Store::open(options);
    ::umask(old_umask);
    ASSERT_TRUE(store) << store.error().message;
    struct stat st {};
    ASSERT_EQ(::stat(options.path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_GT((*store)->data_size(), 0u);

    // The serial starts at the current time, so a re-created store still moves it forward.
    const std::uint32_t now = unix_now();
    const std::uint32_t serial = serial_of(**store);
    EXPECT_GE(serial, now - 5);
    EXPECT_LE(serial, now + 5);

    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin((*store)->env(), nullptr, MDB_RDONLY, &txn), 0);
    std::uint32_t version = 0;
    EXPECT_EQ(read_meta_u32(txn, (*store)->meta_db(), kMetaSchemaVersion, version), 0);
    EXPECT_EQ(version, kSchemaVersion);
    mdb_txn_abort(txn);
}

TEST(Store, ReopeningKeepsDataAndSerial) {
    TempDir dir;
    StoreOptions options;
    options.path = dir.path() / "data";
    std::uint32_t serial = 0;
    {
        auto store = Store::open(options).value();
        Writer writer(*store, make_zone());
        auto r = commit(writer, change({add("a.acme.test", "kept")}));
        ASSERT_TRUE(r) << r.error().message;
        serial = r->serial;
    }
    auto again = Store::open(options);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(serial_of(**again), serial);
    EXPECT_EQ(values_at(**again, "a.acme.test"), std::vector<std::string>{"kept"});
}

TEST(Store, ReadOnlyNeverCreatesAndReadsExistingData) {
    TempDir dir;
    StoreOptions options;
    options.path = dir.path() / "data";
    options.read_only = true;
    auto missing = Store::open(options);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, core::Errc::store_error);
    EXPECT_FALSE(std::filesystem::exists(options.path));

    options.read_only = false;
    {
        auto store = Store::open(options).value();
        Writer writer(*store, make_zone());
        ASSERT_TRUE(commit(writer, change({add("a.acme.test", "v")})));
    }
    options.read_only = true;
    auto ro = Store::open(options);
    ASSERT_TRUE(ro) << ro.error().message;
    EXPECT_EQ(values_at(**ro, "a.acme.test"), std::vector<std::string>{"v"});
    // A writer on a read-only store fails cleanly instead of crashing.
    Writer writer(**ro, make_zone());
    auto r = commit(writer, change({add("b.acme.test", "v")}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::Errc::store_error);
}

TEST(Store, RefusesAnotherSchemaVersionNamingBoth) {
    TempDir dir;
    StoreOptions options;
    options.path = dir.path() / "data";
    ASSERT_TRUE(Store::open(options));

    // Rewrite the version with raw LMDB, as an older or newer build would have left it.
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 8), 0);
    ASSERT_EQ(mdb_env_open(env, options.path.c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi meta = 0;
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    ASSERT_EQ(write_meta_u32(txn, meta, kMetaSchemaVersion, 7), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    auto reopened = Store::open(options);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code, core::Errc::store_error);
    EXPECT_NE(reopened.error().message.find("schema version 7"), std::string::npos) << reopened.error().message;
    EXPECT_NE(reopened.error().message.find("schema version " + std::to_string(kSchemaVersion)), std::string::npos)
        << reopened.error().message;
}

TEST(Store, MapFullFailsCleanlyAndKeepsCommittedData) {
    TempDir dir;
    StoreOptions options;
    options.path = dir.path() / "data";
    options.map_size = std::size_t{1} << 20;  // 1 MiB
    const std::string big(3000, 'v');
    std::vector<std::string> committed;
    std::uint32_t last_serial = 0;
    {
        auto store = Store::open(options).value();
        Writer writer(*store, make_zone());
        bool full = false;
        for (int i = 0; i < 2000 && !full; ++i) {
            const std::string name = "n" + std::to_string(i) + ".acme.test";
            auto r = commit(writer, change({add(name, big + std::to_string(i))}));
            if (r) {
                committed.push_back(name);
                last_serial = r->serial;
                continue;
            }
            ASSERT_EQ(r.error().code, core::Errc::store_full) << r.error().message;
            EXPECT_NE(r.error().message.find("store.map_size_mb"), std::string::npos) << r.error().message;
            full = true;
        }
        ASSERT_TRUE(full) << "a 1 MiB map never filled up";
        ASSERT_GT(committed.size(), 10u);
        // Nothing of the failed change set was written; the serial did not move.
        EXPECT_TRUE(values_at(*store, "n" + std::to_string(committed.size()) + ".acme.test").empty());
        EXPECT_EQ(serial_of(*store), last_serial);
        // Concurrent submits while full: each fails alone with store_full, none corrupts.
        std::vector<std::future<core::Result<core::CommitResult>>> futures;
        for (int i = 0; i < 8; ++i) futures.push_back(writer.submit(change({add("m" + std::to_string(i) + ".acme.test", big)})));
        for (auto& f : futures) {
            ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
            auto r = f.get();
            if (!r) {
                EXPECT_EQ(r.error().code, core::Errc::store_full) << r.error().message;
            }
        }
    }
    auto store = Store::open(options);
    ASSERT_TRUE(store) << store.error().message;
    for (std::size_t i = 0; i < committed.size(); ++i)
        ASSERT_EQ(values_at(**store, committed[i]), std::vector<std::string>{big + std::to_string(i)}) << committed[i];
}

TEST(Store, AnotherProcessSeesCommitsAtOnce) {
    TempDir dir;
    StoreOptions options;
    options.path = dir.path() / "data";
    auto store = Store::open(options).value();
    auto zone = make_zone();
    Snapshot snap(*store);
    ASSERT_TRUE(snap.begin());
    const std::uint32_t before = snap.serial();
    snap.end();

    // The child plays the CLI: its own environment on the same folder, its own writer. It
    // is forked before this process starts any thread, and leaves with _exit so it never
    // touches the parent's environment.
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        int code = 1;
        {
            auto child = Store::open(options);
            if (child) {
                Writer writer(**child, zone);
                auto r = commit(writer, change({add("cli.acme.test", "from-cli")}));
                code = r && r->changed ? 0 : 2;
            }
        }
        ::_exit(code);
    }
    ASSERT_EQ(wait_child(pid, std::chrono::seconds(30)), 0);

    ASSERT_TRUE(snap.begin());
    EXPECT_EQ(snap.serial(), before + 1);
    EXPECT_EQ(snap.find(wire(n("cli.acme.test")), core::rrtype::TXT).count(), 1);
    snap.end();

    // And this process's writer continues from the serial the other one left.
    Writer writer(*store, zone);
    auto r = commit(writer, change({add("server.acme.test", "from-server")}));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->serial, before + 2);
}

TEST(Store, ChangeSetTooBigForTheMapFailsAloneInItsBatch) {
    TempDir dir;
    StoreOptions options;
    options.path = dir.path() / "data";
    options.map_size = std::size_t{1} << 20;  // 1 MiB
    auto store = Store::open(options).value();
    Writer writer(*store, make_zone());
    const std::uint32_t s0 = serial_of(*store);

    // Hold the writer thread in a callback so what follows is queued into one batch.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    writer.submit(change({}), [released](core::Result<core::CommitResult>) {
        released.wait_for(std::chrono::seconds(30));
    });
    std::vector<core::Operation> huge;  // ~1.2 MB of TXT: never fits a 1 MiB map
    for (int i = 0; i < 20; ++i) huge.push_back(add("h" + std::to_string(i) + ".acme.test", std::string(60000, 'h')));
    std::vector<std::future<core::Result<core::CommitResult>>> small_before, small_after;
    for (int i = 0; i < 3; ++i) small_before.push_back(writer.submit(change({add("b" + std::to_string(i) + ".acme.test", "v")})));
    auto big = writer.submit(change(huge));
    for (int i = 0; i < 3; ++i) small_after.push_back(writer.submit(change({add("a" + std::to_string(i) + ".acme.test", "v")})));
    release.set_value();

    ASSERT_EQ(big.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    auto r = big.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::Errc::store_full) << r.error().message;
    for (auto* list : {&small_before, &small_after})
        for (auto& f : *list) {
            ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
            auto ok = f.get();
            EXPECT_TRUE(ok) << ok.error().message;
        }
    EXPECT_EQ(serial_of(*store), s0 + 6);
    EXPECT_TRUE(values_at(*store, "h0.acme.test").empty());
    EXPECT_EQ(values_at(*store, "a2.acme.test"), std::vector<std::string>{"v"});
    EXPECT_EQ(values_at(*store, "b0.acme.test"), std::vector<std::string>{"v"});
}
