#include "api/http_guard.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "api/log.hpp"
#include "api/request_checks.hpp"

namespace acmezone::api {

bool refuse_bad_head(const httplib::Request& req, httplib::Response& res, std::size_t max_body) {
    RequestHead head;
    head.method = req.method;
    head.target = req.target;
    head.version = req.version;
    head.headers.reserve(req.headers.size());
    for (const auto& [name, value] : req.headers) {
        // The library adds these itself (from the socket) before routing; not the client's.
        if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT") continue;
        head.headers.emplace_back(name, value);
    }
    const auto rejection = check_request_head(head, max_body);
    if (!rejection) return false;
    logger()->info("event=request_refused status={} error={} rule={} client={}", error_info(rejection->error).status,
                   error_info(rejection->error).code, rejection->reason, req.remote_addr);
    reply_and_close(res, rejection->error);
    return true;
}

void reply_and_close(httplib::Response& res, ApiError error, int status) {
    res.status = status != 0 ? status : error_info(error).status;
    res.body.clear();
    res.set_header("Connection", "close");
    const auto body = std::make_shared<const std::string>(error_body(error));
    res.set_content_provider(body->size(), std::string(kJsonType).c_str(),
                             [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                 if (offset < body->size()) sink.write(body->data() + offset, std::min(length, body->size() - offset));
                                 return false;  // the body is out; failing now makes the library close the connection
                             });
}

bool is_closing_reply(const httplib::Response& res) { return res.get_header_value("Connection") == "close"; }

void ignore_ranges(const httplib::Request& req) {
    // The handlers get the request as const, but it is a local, non-const object of the
    // library's request loop: changing it is well defined.
    const_cast<httplib::Request&>(req).ranges.clear();
}

}  // namespace acmezone::api
