// app/log_line: the two shapes of a log line, from the one message shape the code writes:
// "event=x key=value key=\"quoted text\"". Text output keeps the message as written, with
// control characters and invalid UTF-8 escaped so no value (a client's subdomain, an error
// text) can forge a line. JSON output turns the message into one object per line whose values
// are always JSON strings. Pure functions on strings; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace acmezone::app {

// True when `text` holds a control character, DEL or invalid UTF-8 (the text sink's slow path).
bool needs_escaping(std::string_view text) noexcept;

// Appends `text` with \n, \r, \t and \\xNN for other control characters, DEL and each byte of
// invalid UTF-8; valid UTF-8 is kept as is.
void append_escaped_text(std::string_view text, std::string& out);

// Appends `text` as a JSON string literal, quotes included (RFC 8259 §7): '"', '\\' and control
// characters escaped, DEL as \u007f, each invalid UTF-8 sequence as U+FFFD (so the output is
// always valid UTF-8 and always parses).
void append_json_string(std::string_view text, std::string& out);

struct LogField {
    std::string_view key;
    std::string_view value;  // quotes removed
};

struct SplitMessage {
    std::vector<LogField> fields;  // in message order
    std::string rest;              // words that are not key=value, joined by single spaces
};

// Splits "event=x key=value key=\"quoted text\" free words". A quoted value ends at the first '"'
// followed by the end or by " key=" (values are logged without escaping, so an inner quote is
// kept when the text after it does not look like the next key), else at the last '"' followed
// by a space; an unterminated one runs to the end. Keys are [A-Za-z0-9_.-]+.
SplitMessage split_message(std::string_view message);

// One JSON object, no newline: {"ts":..., "level":..., "module":..., "event":..., then the
// message's other fields in order, then "msg" with the words that were not key=value}. A key
// seen before (or one of ts/level/module) gets a suffix: "key_2". Without an event= field,
// "event" is "log".
std::string json_log_line(std::string_view ts, std::string_view level, std::string_view module, std::string_view message);

}  // namespace acmezone::app
