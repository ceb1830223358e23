#include "dns/zone_text.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <ldns/ldns.h>

namespace acmezone::dns {
namespace {

// RAII for the ldns objects used here.
struct RrFree {
    void operator()(ldns_rr* rr) const noexcept { ldns_rr_free(rr); }
};
struct RdfFree {
    void operator()(ldns_rdf* rdf) const noexcept { ldns_rdf_deep_free(rdf); }
};
struct BufferFree {
    void operator()(ldns_buffer* buffer) const noexcept { ldns_buffer_free(buffer); }
};
struct CharFree {
    void operator()(char* text) const noexcept { std::free(text); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferFree>;
using CharPtr = std::unique_ptr<char, CharFree>;

constexpr std::size_t kBufferStart = 512;  // ldns buffers grow as needed

std::string buffer_bytes(const ldns_buffer* buffer) {
    return std::string(reinterpret_cast<const char*>(ldns_buffer_begin(buffer)), ldns_buffer_position(buffer));
}

core::Error line_error(std::string_view line, const std::string& what) {
    return core::make_error(core::Errc::invalid_argument, "record \"" + std::string(line) + "\": " + what);
}

// Uncompressed wire form of every RDATA field, names with their case kept.
core::Result<std::string> rdata_wire(const ldns_rr* rr, std::string_view line) {
    BufferPtr buffer(ldns_buffer_new(kBufferStart));
    if (!buffer) return line_error(line, "out of memory");
    if (ldns_status st = ldns_rr_rdata2buffer_wire(buffer.get(), rr); st != LDNS_STATUS_OK)
        return line_error(line, ldns_get_errorstr_by_id(st));
    return buffer_bytes(buffer.get());
}

core::Result<core::Name> owner_name(const ldns_rr* rr, std::string_view line) {
    BufferPtr buffer(ldns_buffer_new(kBufferStart));
    if (!buffer) return line_error(line, "out of memory");
    if (ldns_status st = ldns_rdf2buffer_wire(buffer.get(), ldns_rr_owner(rr)); st != LDNS_STATUS_OK)
        return line_error(line, ldns_get_errorstr_by_id(st));
    const std::string wire = buffer_bytes(buffer.get());
    auto name = core::Name::from_wire({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
    if (!name) return line_error(line, "owner: " + name.error().message);
    return name;
}

// RFC 3597 §5 generic form, for RDATA ldns cannot read.
std::string generic_rdata(std::string_view rdata) {
    std::string out = "\\# " + std::to_string(rdata.size());
    if (!rdata.empty()) out += ' ';
    char hex[3];
    for (unsigned char c : rdata) {
        std::snprintf(hex, sizeof hex, "%02x", c);
        out += hex;
    }
    return out;
}

}  // namespace

core::Result<core::ResourceRecord> parse_record_line(std::string_view line, const core::Name& origin,
                                                     std::uint32_t default_ttl) {
    RdfPtr ldns_origin(ldns_dname_new_frm_str(origin.to_text().c_str()));
    if (!ldns_origin) return line_error(line, "bad origin " + origin.to_text());
    const std::string text(line);
    ldns_rr* raw = nullptr;
    const ldns_status st = ldns_rr_new_frm_str(&raw, text.c_str(), default_ttl, ldns_origin.get(), nullptr);
    RrPtr rr(raw);
    if (st != LDNS_STATUS_OK || !rr) return line_error(line, ldns_get_errorstr_by_id(st));

    auto owner = owner_name(rr.get(), line);
    if (!owner) return std::move(owner).error();
    auto rdata = rdata_wire(rr.get(), line);
    if (!rdata) return std::move(rdata).error();
    core::ResourceRecord out;
    out.owner = std::move(owner.value());
    out.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr.get()));
    out.rrclass = static_cast<std::uint16_t>(ldns_rr_get_class(rr.get()));
    out.ttl = ldns_rr_ttl(rr.get());
    out.rdata = std::move(rdata.value());
    return out;
}

std::string rdata_to_text(std::uint16_t type, std::string_view rdata) {
    if (rdata.size() > 0xffff) return generic_rdata(rdata);  // cannot be one RR on the wire
    // A whole RR on the wire (root owner, class IN, TTL 0) lets ldns pick the field types.
    std::string wire(1, '\0');
    const std::uint8_t fixed[10] = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 1, 0, 0, 0, 0,
                                    static_cast<std::uint8_t>(rdata.size() >> 8), static_cast<std::uint8_t>(rdata.size())};
    wire.append(reinterpret_cast<const char*>(fixed), sizeof fixed);
    wire.append(rdata);
    ldns_rr* raw = nullptr;
    std::size_t pos = 0;
    const ldns_status st = ldns_wire2rr(&raw, reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size(), &pos,
                                       LDNS_SECTION_ANSWER);
    RrPtr rr(raw);
    if (st != LDNS_STATUS_OK || !rr || pos != wire.size()) return generic_rdata(rdata);
    BufferPtr buffer(ldns_buffer_new(kBufferStart));
    if (!buffer) return generic_rdata(rdata);
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr.get()); ++i) {
        if (i > 0) ldns_buffer_printf(buffer.get(), " ");
        if (ldns_rdf2buffer_str(buffer.get(), ldns_rr_rdf(rr.get(), i)) != LDNS_STATUS_OK) return generic_rdata(rdata);
    }
    return buffer_bytes(buffer.get());
}

std::string type_to_text(std::uint16_t type) {
    CharPtr text(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
    if (!text) return "TYPE" + std::to_string(type);
    return text.get();
}

}  // namespace acmezone::dns
