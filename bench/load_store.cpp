// bench/load_store (acmezone_bench_load): fills an acmezone store quickly for the benchmarks
// (bench/dns-qps, bench/scale). Not a user command: built only with -DACMEZONE_BENCH=ON.
//
// It goes through the store's own code, as the server and the CLI do: credentials through
// store::CredentialStore::insert (labels made by core::make_label, secrets hashed by
// core::SecretHasher with the store's key: the real path) and their TSIG keys through
// store::TsigKeyStore::insert, as `credential issue` makes them; TXT values through the
// store::Writer, by default one change set per value as real updates arrive (every rule of
// the write path applies: reserved owners, the cap per name, serial bump, and each change set
// gets its audit event and journal entry; the writer groups them into large transactions).
// Each credential gets its `issue` audit event too (in transactions of 1,000 events). The one
// shortcut: the environment runs with MDB_NOSYNC while loading (one fsync at the end instead
// of one per commit).
//
// usage: acmezone_bench_load --config acmezone.toml [--txt FILE] [--credentials N]
//            [--txt-per-credential K] [--scheme hash|reverse|uuid] [--dump FILE] [--batch 1]
//   --txt FILE   lines "<owner relative to the zone> <value>": one TXT value each
//   --dump FILE  writes "<owner> <value>" for every TXT value of the credentials
// Prints one "key=value ..." line per step (the scripts parse them) and exits 0, or prints
// an error and exits 1 (2 for bad arguments).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/config.hpp"
#include "app/logging.hpp"
#include "core/change_set.hpp"
#include "core/credential.hpp"
#include "core/label_scheme.hpp"
#include "core/random.hpp"
#include "core/rr.hpp"
#include "core/secret_hash.hpp"
#include "core/txt.hpp"
#include "store/audit.hpp"
#include "store/credentials.hpp"
#include "store/store.hpp"
#include "store/tsig_keys.hpp"
#include "store/txn.hpp"
#include "store/writer.hpp"

namespace {

using namespace acmezone;
using Clock = std::chrono::steady_clock;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr std::size_t kAuditEventsPerTxn = 1000;
constexpr std::string_view kValueAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

struct TxtEntry {
    std::string owner;  // relative to the apex
    std::string value;
};

// 43 base64url characters, like an ACME key authorization digest (RFC 8555 §8.4). Bench
// data, not secrets: a seeded generator keeps runs repeatable.
std::string challenge_value(std::mt19937_64& rng) {
    std::string v(core::kAcmeTokenLength, 'A');
    for (auto& c : v) c = kValueAlphabet[rng() % kValueAlphabet.size()];
    return v;
}

core::Result<std::vector<TxtEntry>> read_txt_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return core::make_error(core::Errc::invalid_argument, "cannot read " + path);
    std::vector<TxtEntry> out;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        TxtEntry e;
        if (!(fields >> e.owner >> e.value))
            return core::make_error(core::Errc::invalid_argument, path + ":" + std::to_string(number) + ": expected \"<owner> <value>\"");
        out.push_back(std::move(e));
    }
    return out;
}

// N credentials for customer names host<i>.bench.example, each with one label and its TSIG
// key. Appends `per_credential` TXT values per label to `txt`.
core::Status load_credentials(store::Store& store, const core::Zone& zone, std::size_t count, core::LabelScheme scheme,
                              std::size_t per_credential, std::mt19937_64& rng, std::vector<TxtEntry>& txt) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<core::Credential> credentials(count);
    std::vector<store::TsigKey> keys(count);

    // The secrets: random_password + SecretHasher::hash, exactly as CredentialAdmin::issue does.
    const core::SecretHasher hasher(store.hash_key());
    auto started = Clock::now();
    for (std::size_t i = 0; i < count; ++i) credentials[i].secret_hash = hasher.hash(core::random_password());
    const double hash_seconds = seconds_since(started);

    started = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        core::Credential& c = credentials[i];
        auto name = core::normalise_customer_name("host" + std::to_string(i) + ".bench.example");
        if (!name) return std::move(name).error();
        const core::IssuedLabel made = core::make_label(*name, scheme);
        c.username = core::random_uuid_v4();
        c.labels.push_back(core::Label{made.label, *name, core::to_string(made.scheme)});
        c.created_at = now;
        auto key_name = zone.apex().prepend(made.label);
        if (!key_name) return std::move(key_name).error();
        keys[i] = store::TsigKey{*key_name, "hmac-sha256", std::string(32, '\0'), c.username};
        core::random_bytes(reinterpret_cast<std::uint8_t*>(keys[i].secret.data()), keys[i].secret.size());
        for (std::size_t k = 0; k < per_credential; ++k) txt.push_back(TxtEntry{made.label, challenge_value(rng)});
    }
    const double prepare_seconds = seconds_since(started);

    started = Clock::now();
    store::CredentialStore credential_store(store);
    store::TsigKeyStore key_store(store);
    for (std::size_t i = 0; i < count; ++i) {
        if (auto st = credential_store.insert(credentials[i]); !st) return st;
        if (auto st = key_store.insert(keys[i]); !st) return st;
    }
    // The `issue` events that CredentialAdmin::issue writes with each credential.
    for (std::size_t first = 0; first < count; first += kAuditEventsPerTxn) {
        auto txn = store::Txn::begin(store.env(), nullptr, 0, "starting an audit write");
        if (!txn) return std::move(txn).error();
        for (std::size_t i = first; i < std::min(count, first + kAuditEventsPerTxn); ++i) {
            const core::Credential& c = credentials[i];
            store::AuditEvent e;
            e.kind = store::AuditKind::issue;
            e.actor = "cli";
            e.source = "local";
            e.label = c.labels.front().name;
            e.outcome = "ok";
            e.detail = "credential " + c.username + " names=" + c.labels.front().domain + " scheme=" + c.labels.front().scheme;
            if (auto st = store::append_audit(txn->get(), store.audit_db(), e); !st) return st;
        }
        if (auto st = txn->commit("committing audit events"); !st) return st;
    }
    std::printf("step=credentials count=%zu scheme=%s hash_seconds=%.3f prepare_seconds=%.3f write_seconds=%.3f\n", count,
                core::to_string(scheme), hash_seconds, prepare_seconds, seconds_since(started));
    return core::Ok{};
}

// Every value through the writer, `batch` operations per change set, all queued at once so
// that the writer groups them (up to its max_batch change sets per transaction, one commit).
core::Status load_txt(store::Store& store, const std::shared_ptr<const core::Zone>& zone, const std::vector<TxtEntry>& txt,
                      std::size_t batch) {
    const auto started = Clock::now();
    store::Writer writer(store, zone);
    std::vector<std::future<core::Result<core::CommitResult>>> pending;
    core::ChangeSet change;
    change.actor = "bench-load";
    change.source = "local";
    for (std::size_t i = 0; i < txt.size(); ++i) {
        auto owner = core::Name::from_text(txt[i].owner, zone->apex());
        if (!owner) return core::make_error(core::Errc::invalid_argument, "owner \"" + txt[i].owner + "\": " + owner.error().message);
        auto rdata = core::txt_rdata_from_value(txt[i].value);
        if (!rdata) return core::make_error(core::Errc::invalid_argument, "value \"" + txt[i].value + "\": " + rdata.error().message);
        change.operations.push_back(
            core::Operation{core::OpKind::add_rr, std::move(*owner), core::rrtype::TXT, zone->spec().txt_ttl, std::move(*rdata), 0});
        if (change.operations.size() >= batch || i + 1 == txt.size()) {
            pending.push_back(writer.submit(std::move(change)));
            change = core::ChangeSet{};
            change.actor = "bench-load";
            change.source = "local";
        }
    }
    std::uint32_t serial = 0;
    for (auto& f : pending) {
        auto result = f.get();
        if (!result) return std::move(result).error();
        serial = result->serial;
    }
    writer.stop();
    std::printf("step=txt values=%zu change_sets=%zu serial=%u write_seconds=%.3f\n", txt.size(), pending.size(), serial,
                seconds_since(started));
    return core::Ok{};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"Fills an acmezone store for the benchmarks (bench/README.md)."};
    std::string config_path;
    std::string txt_path;
    std::string dump_path;
    std::string scheme_text = "hash";
    std::size_t credentials = 0;
    std::size_t per_credential = 2;
    std::size_t batch = 1;
    std::uint64_t seed = 1;
    cli.add_option("--config", config_path, "the server's acmezone.toml (zone and store path)")->required();
    cli.add_option("--txt", txt_path, "lines \"<owner> <value>\" to add as TXT values");
    cli.add_option("--credentials", credentials, "credentials to issue (host<i>.bench.example)");
    cli.add_option("--txt-per-credential", per_credential, "TXT values at each credential's label")->check(CLI::Range(0, 8));
    cli.add_option("--scheme", scheme_text, "label scheme of the credentials")->check(CLI::IsMember({"hash", "reverse", "uuid"}));
    cli.add_option("--dump", dump_path, "write the credentials' TXT values here as \"<owner> <value>\"");
    cli.add_option("--batch", batch, "TXT values per change set (1: one per value, as real updates)")->check(CLI::Range(1, 100000));
    cli.add_option("--seed", seed, "seed of the TXT values");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e) == 0 ? kExitOk : kExitUsage;  // prints the help or the problem
    }

    auto config = app::load_config(config_path);
    if (!config) {
        std::cerr << "config error: " << config.error().message << "\n";
        return kExitUsage;
    }
    app::setup_logging(spdlog::level::warn);
    std::vector<TxtEntry> txt;
    if (!txt_path.empty()) {
        auto read = read_txt_file(txt_path);
        if (!read) {
            std::cerr << "error: " << read.error().message << "\n";
            return kExitUsage;
        }
        txt = std::move(read.value());
    }

    const auto started = Clock::now();
    auto opened = store::Store::open(config->store);
    if (!opened) {
        std::cerr << "error: cannot open the store at " << config->store.path.string() << ": " << opened.error().message << "\n";
        return kExitFailure;
    }
    std::unique_ptr<store::Store> store = std::move(opened.value());
    // One fsync at the end instead of one per commit (the data is a benchmark fixture).
    if (int rc = mdb_env_set_flags(store->env(), MDB_NOSYNC, 1); rc != 0) {
        std::cerr << "error: MDB_NOSYNC: " << mdb_strerror(rc) << "\n";
        return kExitFailure;
    }

    std::mt19937_64 rng(seed);
    const std::size_t given = txt.size();
    if (credentials > 0) {
        if (auto st = load_credentials(*store, *config->zone, credentials, *core::parse_label_scheme(scheme_text), per_credential, rng, txt);
            !st) {
            std::cerr << "error: credentials: " << st.error().message << "\n";
            return kExitFailure;
        }
    }
    if (!dump_path.empty()) {
        std::ofstream out(dump_path);
        for (std::size_t i = given; i < txt.size(); ++i) out << txt[i].owner << ' ' << txt[i].value << '\n';
        if (!out.flush()) {
            std::cerr << "error: cannot write " << dump_path << "\n";
            return kExitFailure;
        }
    }
    if (!txt.empty()) {
        if (auto st = load_txt(*store, config->zone, txt, batch); !st) {
            std::cerr << "error: TXT: " << st.error().message << "\n";
            return kExitFailure;
        }
    }
    const auto sync_started = Clock::now();
    if (int rc = mdb_env_sync(store->env(), 1); rc != 0) {
        std::cerr << "error: sync: " << mdb_strerror(rc) << "\n";
        return kExitFailure;
    }
    std::printf("step=done sync_seconds=%.3f total_seconds=%.3f data_bytes=%zu\n", seconds_since(sync_started),
                seconds_since(started), store->data_size());
    return kExitOk;
}
