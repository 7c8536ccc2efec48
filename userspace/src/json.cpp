#include "zcrx/json.hpp"

#include <cstdio>

namespace zcrx {

Json json_document() {
    Json j = Json::object();
    j["version"] = json_version;
    return j;
}

Json json_error(const Error &e) {
    Json j = json_document();
    j["error"] = e.message();
    j["errno"] = e.err;
    return j;
}

std::string json_text(const Json &j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void print_json_line(const Json &j) {
    std::printf("%s\n", json_text(j).c_str());
    std::fflush(stdout);
}

void print_failure(std::string_view prog, const Error &e, bool json) {
    if (json)
        print_json_line(json_error(e));
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(prog.size()), prog.data(),
                 e.message().c_str());
}

} // namespace zcrx
