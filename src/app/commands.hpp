// app/commands: the CLI commands behind main's argument parsing. Each returns the process exit
// code: 0 success, 1 runtime failure (bind, store, a refused change), 2 usage or config error.
#pragma once

#include <optional>
#include <string>

namespace acmezone::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct ServeArgs {
    std::string config;
};

struct RecordArgs {
    std::string config;
    std::string label;                 // relative to the zone
    std::optional<std::string> value;  // add: required; del: optional (absent = the whole RRset)
};

struct TokenArgs {
    std::string name;  // what the token is for; shown in logs of registrations made with it
};

int run_serve(const ServeArgs& args);
// `acmezone token new --name NAME`: prints a fresh admin token and the config lines to add.
int run_token_new(const TokenArgs& args);
int run_record_add(const RecordArgs& args);
int run_record_del(const RecordArgs& args);
int run_record_list(const RecordArgs& args);

}  // namespace acmezone::app
