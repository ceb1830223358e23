// `acmezone token new --name NAME`: a fresh admin token for POST /register in "token" mode.
// Only its SHA-256 goes into the config; the token itself is printed once and stored nowhere.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>

#include "app/commands.hpp"
#include "core/random.hpp"
#include "core/secret_hash.hpp"

namespace acmezone::app {

int run_token_new(const TokenArgs& args) {
    const bool name_ok = !args.name.empty() && args.name.size() <= 64 &&
                         std::all_of(args.name.begin(), args.name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
                         });
    if (!name_ok) {
        std::cerr << "error: --name must be 1 to 64 letters, digits, '.', '_' or '-'\n";
        return kExitUsage;
    }
    const std::string token = core::random_token(32);  // 256 bits, base64url
    std::cout << "token: " << token << "\n"
              << "# Give the token to the client (Authorization: Bearer <token>); add these lines to the\n"
              << "# config (only the hash is kept) and restart the server:\n"
              << "[[api.admin_tokens]]\n"
              << "name = \"" << args.name << "\"\n"
              << "sha256 = \"" << core::sha256_hex(token) << "\"\n";
    return kExitOk;
}

}  // namespace acmezone::app
