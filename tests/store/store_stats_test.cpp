// store/store_stats and the writer's stats: sizes and counts read from LMDB without a scan,
// commits and change sets counted, and the batch-size and commit-latency histograms filled.
#include "store/store_stats.hpp"

#include <gtest/gtest.h>

#include "store/credential_admin.hpp"
#include "store/writer.hpp"
#include "test_support.hpp"

using namespace acmezone;
using namespace acmezone::store;
using namespace acmezone::store::testing;

namespace {

class StoreStatsTest : public StoreFixture {};

TEST_F(StoreStatsTest, SizesAndCountsOfAFreshAndAFilledStore) {
    auto empty = read_store_stats(*store_);
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_EQ(empty->map_bytes, options_.map_size);
    EXPECT_GT(empty->file_bytes, 0u);
    EXPECT_GT(empty->used_bytes, 0u);
    EXPECT_LE(empty->used_bytes, empty->map_bytes);
    EXPECT_GT(empty->max_readers, 0u);
    EXPECT_EQ(empty->records, 0u);
    EXPECT_EQ(empty->credentials, 0u);
    EXPECT_EQ(empty->labels, 0u);

    auto zone = make_zone();
    Writer writer(*store_, zone);
    ASSERT_TRUE(commit(writer, change({add("a.acme.test", "v1"), add("b.acme.test", "v2")})));
    CredentialAdmin admin(*store_, writer, zone);
    IssueRequest req;
    req.domains = {"www.example.com", "example.org"};
    ASSERT_TRUE(admin.issue(req, AdminActor{"test", "local"}));
    req.domains = {"other.example.net"};
    ASSERT_TRUE(admin.issue(req, AdminActor{"test", "local"}));

    auto filled = read_store_stats(*store_);
    ASSERT_TRUE(filled) << filled.error().message;
    EXPECT_EQ(filled->records, 2u);  // two owner names with TXT
    EXPECT_EQ(filled->credentials, 2u);
    EXPECT_EQ(filled->labels, 3u);
    EXPECT_GE(filled->used_bytes, empty->used_bytes);
}

TEST_F(StoreStatsTest, WriterCountsCommitsChangeSetsAndTimes) {
    Writer writer(*store_, make_zone());
    WriterStats s = writer.stats();
    EXPECT_EQ(s.commits, 0u);
    EXPECT_EQ(s.batch_size.count(), 0u);
    EXPECT_EQ(s.commit_seconds.bounds.size() + 1, s.commit_seconds.counts.size());

    ASSERT_TRUE(commit(writer, change({add("a.acme.test", "v1")})));
    ASSERT_TRUE(commit(writer, change({add("a.acme.test", "v2")})));
    // A failing change set: a prerequisite that does not hold.
    core::ChangeSet failing = change({add("b.acme.test", "v")},
                                     {core::Prerequisite{core::PrereqKind::name_in_use, n("nothing.acme.test"), 0, {}}});
    EXPECT_FALSE(commit(writer, std::move(failing)));

    s = writer.stats();
    EXPECT_EQ(s.commits, 3u);  // one at a time: one transaction each
    EXPECT_EQ(s.change_sets_ok, 2u);
    EXPECT_EQ(s.change_sets_failed, 1u);
    EXPECT_EQ(s.batch_size.count(), 3u);
    EXPECT_EQ(s.batch_size.counts[0], 3u);  // every batch held one change set (le=1)
    EXPECT_DOUBLE_EQ(s.batch_size.sum, 3.0);
    EXPECT_EQ(s.commit_seconds.count(), 3u);
    EXPECT_GT(s.commit_seconds.sum, 0.0);

    // Many submitted at once share transactions (group commit): fewer commits than change sets.
    std::vector<std::future<core::Result<core::CommitResult>>> pending;
    for (int i = 0; i < 50; ++i) pending.push_back(writer.submit(change({add("c.acme.test", "v" + std::to_string(i), 4)})));
    for (auto& f : pending) ASSERT_TRUE(f.get());
    s = writer.stats();
    EXPECT_EQ(s.change_sets_ok, 52u);
    EXPECT_EQ(s.batch_size.count(), s.commits);
    EXPECT_DOUBLE_EQ(s.batch_size.sum, 53.0);  // every change set in exactly one batch
    EXPECT_LE(s.commits, 53u);
}

}  // namespace
