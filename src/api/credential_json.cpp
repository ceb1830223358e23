#include "api/credential_json.hpp"

#include <ctime>

namespace acmezone::api {

std::string base64(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 0x3f]);
    }
    if (i < bytes.size()) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out.push_back(kAlphabet[(v >> 18) & 0x3f]);
        out.push_back(kAlphabet[(v >> 12) & 0x3f]);
        out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 0x3f] : '=');
        out.push_back('=');
    }
    return out;
}

std::string rfc3339(std::int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string cname_line(const core::Label& label, const core::Zone& zone) {
    if (label.domain.empty()) return "";
    return "_acme-challenge." + label.domain + ". CNAME " + label.name + "." + store::apex_text(zone) + ".";
}

Json credential_json(const store::CredentialView& view, const core::Zone& zone) {
    const core::Credential& c = view.credential;
    const std::string apex = store::apex_text(zone);
    Json out = Json::object();
    out["username"] = c.username;
    if (view.password) out["password"] = *view.password;
    const core::Label* first = c.labels.empty() ? nullptr : &c.labels.front();
    out["subdomain"] = first ? Json(first->name) : Json(nullptr);
    out["fulldomain"] = first ? Json(first->name + "." + apex) : Json(nullptr);
    out["allowfrom"] = c.allowfrom;
    const std::string first_cname = first ? cname_line(*first, zone) : "";
    out["cname"] = first_cname.empty() ? Json(nullptr) : Json(first_cname);
    if (view.tsig_keys.empty()) {
        out["tsig"] = nullptr;
    } else {
        const auto& key = view.tsig_keys.front();
        Json tsig = Json::object();
        tsig["name"] = key.name.to_text();
        tsig["algorithm"] = key.algorithm;
        if (view.show_tsig_secret) tsig["secret"] = base64(key.secret);
        out["tsig"] = std::move(tsig);
    }
    out["disabled"] = c.disabled;
    out["created_at"] = rfc3339(c.created_at);
    out["last_used_at"] = c.last_used_at > 0 ? Json(rfc3339(c.last_used_at)) : Json(nullptr);
    Json names = Json::array();
    for (const auto& label : c.labels) {
        Json entry = Json::object();
        entry["domain"] = label.domain.empty() ? Json(nullptr) : Json(label.domain);
        entry["subdomain"] = label.name;
        entry["fulldomain"] = label.name + "." + apex;
        const std::string line = cname_line(label, zone);
        entry["cname"] = line.empty() ? Json(nullptr) : Json(line);
        entry["scheme"] = label.scheme;
        names.push_back(std::move(entry));
    }
    out["names"] = std::move(names);
    out["notes"] = view.notes;
    return out;
}

Json audit_event_json(const store::AuditEvent& e) {
    Json out = Json::object();
    const auto seconds = static_cast<std::int64_t>(e.time_ns / 1000000000ull);
    std::string time = rfc3339(seconds);
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09llu", static_cast<unsigned long long>(e.time_ns % 1000000000ull));
    time.insert(time.size() - 1, frac);
    out["time"] = time;
    out["kind"] = store::to_string(e.kind);
    out["actor"] = e.actor;
    out["label"] = e.label;
    out["source"] = e.source;
    out["outcome"] = e.outcome;
    out["detail"] = e.detail;
    out["cursor"] = e.cursor();
    return out;
}

}  // namespace acmezone::api
