#include "core/txt.hpp"

namespace acmezone::core {

Result<std::string> txt_rdata_from_value(std::string_view value) {
    std::string rdata;
    std::size_t chunks = value.empty() ? 1 : (value.size() + 254) / 255;
    if (value.size() + chunks > kMaxTxtRdata) return make_error(Errc::invalid_argument, "TXT value too long");
    rdata.reserve(value.size() + chunks);
    std::size_t pos = 0;
    do {
        std::size_t n = std::min<std::size_t>(255, value.size() - pos);
        rdata.push_back(static_cast<char>(n));
        rdata.append(value.substr(pos, n));
        pos += n;
    } while (pos < value.size());
    return rdata;
}

bool is_valid_txt_rdata(std::string_view rdata) noexcept {
    if (rdata.empty() || rdata.size() > kMaxTxtRdata) return false;
    std::size_t pos = 0;
    while (pos < rdata.size()) pos += 1 + static_cast<unsigned char>(rdata[pos]);
    return pos == rdata.size();
}

Result<std::string> txt_value_from_rdata(std::string_view rdata) {
    if (!is_valid_txt_rdata(rdata)) return make_error(Errc::invalid_argument, "malformed TXT RDATA");
    std::string value;
    for (std::size_t pos = 0; pos < rdata.size();) {
        std::size_t n = static_cast<unsigned char>(rdata[pos]);
        value.append(rdata.substr(pos + 1, n));
        pos += 1 + n;
    }
    return value;
}

bool is_acme_challenge_value(std::string_view value) noexcept {
    if (value.size() != kAcmeTokenLength) return false;
    for (char c : value) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace acmezone::core
