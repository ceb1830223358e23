// app/acme_dns_import: moving accounts from an acme-dns database (SQLite; its schema is in
// reference/acme-dns.md §4) into our store, so every acme-dns client keeps working unchanged:
// same username, same secret (the bcrypt hash is kept and re-hashed on first use), same
// subdomain as the credential's label, same allowfrom list, and the current TXT values.
// Reading is separate from importing so each can be tested alone. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/zone.hpp"
#include "store/credentials.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

// One row of acme-dns's `records`, with its TXT rows.
struct AcmeDnsAccount {
    std::string username;                // as stored
    std::string password_hash;           // bcrypt, read whether stored as TEXT or BLOB
    std::string subdomain;               // as stored (may hold upper case in hand-edited databases)
    std::string allowfrom_json;          // the AllowFrom column, a JSON array text ("" when NULL)
    std::vector<std::string> txt_newest;  // non-empty values, newest first (by LastUpdate, then rowid)
};

// Reads every account of an acme-dns SQLite database, opened read-only. Errors name the file
// and, for a schema mismatch, the missing table or column.
core::Result<std::vector<AcmeDnsAccount>> read_acme_dns_sqlite(const std::filesystem::path& path);

// What happened to one account.
enum class ImportOutcome { imported, exists, invalid };

struct ImportLine {
    std::string username;
    ImportOutcome outcome = ImportOutcome::invalid;
    std::string detail;  // why invalid, or the label and TXT count when imported
};

struct ImportReport {
    std::vector<ImportLine> lines;
    std::size_t imported = 0;
    std::size_t existing = 0;   // username already in the store: skipped (re-runs are no-ops)
    std::size_t invalid = 0;    // rejected (bad hash, label taken by another credential, ...)
    std::size_t txt_values = 0;  // TXT values written (or that would be, on a dry run)
    std::vector<std::string> warnings;
};

struct ImportOptions {
    bool dry_run = false;          // check and count, write nothing
    std::uint32_t txt_values = 2;  // newest values kept per label (acme-dns serves two)
    std::int64_t now = 0;          // created_at for the new credentials (Unix seconds)
};

// Imports `accounts`: each becomes a credential (username and subdomain lower-cased, the
// subdomain its one label with scheme "" = imported) and its newest TXT values are written
// through `writer` (null on a dry run). An account whose username exists is skipped; one whose
// label is owned by another credential, or whose hash is not bcrypt, is reported invalid.
// Fails only when the store itself fails.
core::Result<ImportReport> import_acme_dns(const std::vector<AcmeDnsAccount>& accounts, store::CredentialStore& credentials,
                                           store::Writer* writer, const core::Zone& zone, const ImportOptions& options);

}  // namespace acmezone::app
