// store/txn: RAII owners for LMDB transactions and cursors used on the write side and at
// open. A Txn aborts on destruction unless committed; a Cursor closes itself.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include <lmdb.h>

#include "core/result.hpp"
#include "store/lmdb_error.hpp"

namespace acmezone::store {

class Txn {
public:
    Txn() = default;
    ~Txn() { abort(); }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    Txn(Txn&& o) noexcept : txn_(std::exchange(o.txn_, nullptr)) {}
    Txn& operator=(Txn&& o) noexcept {
        if (this != &o) {
            abort();
            txn_ = std::exchange(o.txn_, nullptr);
        }
        return *this;
    }

    // `parent` non-null starts a nested transaction (write side only).
    static core::Result<Txn> begin(MDB_env* env, MDB_txn* parent, unsigned flags, std::string_view what) {
        Txn t;
        if (int rc = mdb_txn_begin(env, parent, flags, &t.txn_); rc != 0) {
            t.txn_ = nullptr;
            return lmdb_error(rc, what);
        }
        return t;
    }

    MDB_txn* get() const noexcept { return txn_; }

    // The handle is gone after commit whatever the outcome (LMDB frees it on failure too).
    core::Status commit(std::string_view what) {
        MDB_txn* t = std::exchange(txn_, nullptr);
        if (int rc = mdb_txn_commit(t); rc != 0) return lmdb_error(rc, what);
        return core::Ok{};
    }
    // The same, returning LMDB's code (for callers that treat MDB_MAP_FULL specially).
    int commit_rc() noexcept { return mdb_txn_commit(std::exchange(txn_, nullptr)); }
    void abort() noexcept {
        if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
    }

private:
    MDB_txn* txn_ = nullptr;
};

class Cursor {
public:
    Cursor() = default;
    ~Cursor() {
        if (cursor_) mdb_cursor_close(cursor_);
    }
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    static core::Result<Cursor> open(MDB_txn* txn, MDB_dbi dbi) {
        Cursor c;
        if (int rc = mdb_cursor_open(txn, dbi, &c.cursor_); rc != 0) {
            c.cursor_ = nullptr;
            return lmdb_error(rc, "opening a cursor");
        }
        return c;
    }
    Cursor(Cursor&& o) noexcept : cursor_(std::exchange(o.cursor_, nullptr)) {}

    MDB_cursor* get() const noexcept { return cursor_; }

private:
    MDB_cursor* cursor_ = nullptr;
};

// Deletes entries of `dbi` from the front (the smallest key first) for as long as
// `drop(key, value)` says so, at most `budget` of them, and returns how many it deleted.
// The journal and the audit log are trimmed this way, oldest first, a bounded step per commit.
template <class Drop>
core::Result<std::size_t> delete_from_front(MDB_txn* txn, MDB_dbi dbi, std::size_t budget, std::string_view operation,
                                            Drop&& drop) {
    auto cursor = Cursor::open(txn, dbi);
    if (!cursor) return std::move(cursor).error();
    std::size_t deleted = 0;
    MDB_val k{};
    MDB_val v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST);
    while (rc == 0 && deleted < budget && drop(k, v)) {
        if (int del = mdb_cursor_del(cursor->get(), 0); del != 0) return lmdb_error(del, operation);
        ++deleted;
        rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, operation);
    return deleted;
}

// A key or value pointing at `s` (LMDB does not write through it for puts and gets).
inline MDB_val to_val(std::string_view s) noexcept { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

inline MDB_val to_val(const void* data, std::size_t size) noexcept {
    return MDB_val{size, const_cast<void*>(data)};
}

}  // namespace acmezone::store
