// `acmezone record add|del|list`: the admin's way to the dynamic TXT records. Changes go through
// a store::Writer of this process, so every rule of the write path applies (reserved owners, the
// cap per name, serial bump); LMDB serialises it with the server's writer. Listing reads one
// snapshot. Output goes to stdout, problems to stderr.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include "app/cli_common.hpp"
#include "app/commands.hpp"
#include "app/logging.hpp"
#include "core/change_set.hpp"
#include "core/rr.hpp"
#include "core/txt.hpp"
#include "dns/zone_text.hpp"
#include "store/snapshot.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace acmezone::app {

namespace {

// A value as one zone-file character-string: quotes and backslashes escaped, anything not
// printable ASCII as \DDD (RFC 1035 §5.1).
std::string quote_value(std::string_view value) {
    std::string out = "\"";
    for (unsigned char c : value) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20 || c >= 0x7f) {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    out.push_back('"');
    return out;
}

// Loads the config; on failure prints why (exit 2). Logging is set to show problems only:
// the command's output is its result line.
std::optional<Config> load_for_cli(const RecordArgs& args) {
    auto config = load_config_or_report(args.config);
    if (config) setup_logging(std::max(config->log.level, spdlog::level::warn));
    return config;
}

// Opens the store named in config; on failure prints why (exit 1).
std::unique_ptr<store::Store> open_store(const Config& config, bool read_only) {
    store::StoreOptions options = config.store;
    options.read_only = read_only;
    auto store = store::Store::open(options);
    if (!store) {
        std::cerr << "error: cannot open the store at " << options.path.string() << ": " << store.error().message << "\n";
        return nullptr;
    }
    return std::move(store.value());
}

// LABEL relative to the zone ("_acme-challenge.www"); an absolute name must lie inside it.
core::Result<core::Name> owner_from_label(const std::string& label, const core::Zone& zone) {
    auto owner = core::Name::from_text(label, zone.apex());
    if (!owner) return core::make_error(core::Errc::invalid_argument, "LABEL \"" + label + "\": " + owner.error().message);
    if (!owner->is_at_or_below(zone.apex()))
        return core::make_error(core::Errc::invalid_argument,
                                "LABEL \"" + label + "\": " + owner->to_text() + " is outside the zone " + zone.apex().to_text());
    return owner;
}

// Submits one change set through a writer of this process and waits for the durable result.
core::Result<core::CommitResult> commit(store::Store& store, const Config& config, core::ChangeSet change) {
    store::Writer writer(store, config.zone, writer_options(config));
    change.actor = "cli";
    change.source = "local";
    auto result = writer.submit(std::move(change)).get();
    writer.stop();
    return result;
}

// Applies one operation to the store; prints the error and returns nullopt on failure.
std::optional<core::CommitResult> apply_operation(const Config& config, core::Operation op) {
    auto store = open_store(config, false);
    if (!store) return std::nullopt;
    core::ChangeSet change;
    change.operations.push_back(std::move(op));
    auto result = commit(*store, config, std::move(change));
    if (!result) {
        std::cerr << "error: " << result.error().message << "\n";
        return std::nullopt;
    }
    return result.value();
}

// VALUE as TXT RDATA; prints the error and returns nullopt when it cannot be one.
std::optional<std::string> value_rdata(std::string_view value) {
    auto rdata = core::txt_rdata_from_value(value);
    if (!rdata) {
        std::cerr << "error: VALUE: " << rdata.error().message << "\n";
        return std::nullopt;
    }
    return std::move(rdata.value());
}

}  // namespace

int run_record_add(const RecordArgs& args) {
    auto config = load_for_cli(args);
    if (!config) return kExitUsage;
    const core::Zone& zone = *config->zone;

    auto owner = owner_from_label(args.label, zone);
    if (!owner) {
        std::cerr << "error: " << owner.error().message << "\n";
        return kExitUsage;
    }
    const std::string value = args.value.value_or("");
    auto rdata = value_rdata(value);
    if (!rdata) return kExitUsage;

    auto result = apply_operation(
        *config, core::Operation{core::OpKind::add_rr, *owner, core::rrtype::TXT, zone.spec().txt_ttl, std::move(*rdata), 0});
    if (!result) return kExitFailure;
    std::cout << "added " << owner->to_text() << " TXT " << quote_value(value) << " serial " << result->serial
              << (result->changed ? "" : " (already present)") << "\n";
    return kExitOk;
}

int run_record_del(const RecordArgs& args) {
    auto config = load_for_cli(args);
    if (!config) return kExitUsage;
    const core::Zone& zone = *config->zone;

    auto owner = owner_from_label(args.label, zone);
    if (!owner) {
        std::cerr << "error: " << owner.error().message << "\n";
        return kExitUsage;
    }
    core::Operation op{core::OpKind::delete_rrset, *owner, core::rrtype::TXT, 0, {}, 0};
    if (args.value) {
        auto rdata = value_rdata(*args.value);
        if (!rdata) return kExitUsage;
        op.kind = core::OpKind::delete_rr;
        op.rdata = std::move(*rdata);
    }
    auto result = apply_operation(*config, std::move(op));
    if (!result) return kExitFailure;
    if (!result->changed) {
        std::cout << "nothing to delete at " << owner->to_text() << "\n";
        return kExitOk;
    }
    std::cout << "deleted " << owner->to_text() << " TXT";
    if (args.value) std::cout << " " << quote_value(*args.value);
    std::cout << " serial " << result->serial << "\n";
    return kExitOk;
}

int run_record_list(const RecordArgs& args) {
    auto config = load_for_cli(args);
    if (!config) return kExitUsage;
    auto store = open_store(*config, true);
    if (!store) return kExitFailure;

    struct Line {
        std::vector<std::string> reversed_labels;  // canonical (lower-case) labels, rightmost first
        std::string rdata;
        std::string text;
    };
    std::vector<Line> lines;
    store::Snapshot snapshot(*store);
    if (auto st = snapshot.begin(); !st) {
        std::cerr << "error: cannot read the store: " << st.error().message << "\n";
        return kExitFailure;
    }
    snapshot.for_each([&](const core::Name& owner, std::uint16_t type, const store::RRsetView& rrset) {
        if (type != core::rrtype::TXT) return;
        std::vector<std::string> labels = owner.labels();
        for (auto& label : labels)
            for (auto& c : label) c = static_cast<char>(core::fold_case(static_cast<std::uint8_t>(c)));
        std::reverse(labels.begin(), labels.end());
        for (const auto rr : rrset) {
            std::string rdata(reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size());
            std::string text = owner.to_text() + " " + std::to_string(rrset.ttl()) + " IN TXT " +
                               dns::rdata_to_text(core::rrtype::TXT, rdata);
            lines.push_back(Line{labels, std::move(rdata), std::move(text)});
        }
    });
    snapshot.end();

    // DNS canonical order (RFC 4034 §6.1 for names, then RDATA octets), so output is stable.
    std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
        if (a.reversed_labels != b.reversed_labels) return a.reversed_labels < b.reversed_labels;
        return a.rdata < b.rdata;
    });
    for (const auto& line : lines) std::cout << line.text << "\n";
    return kExitOk;
}

}  // namespace acmezone::app
