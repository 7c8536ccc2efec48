#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "zcrx/json.hpp"

TEST_CASE("a tool's output object starts with its version, members in order", "[json]") {
    zcrx::Json j = zcrx::json_document();
    j["zeta"] = 1;
    j["alpha"] = true;
    CHECK(zcrx::json_text(j) == "{\"version\":1,\"zeta\":1,\"alpha\":true}");
    CHECK(zcrx::json_version == 1);
}

TEST_CASE("JSON numbers: full-range integers, doubles, non-finite as null", "[json]") {
    zcrx::Json j = zcrx::Json::array();
    j.push_back(std::numeric_limits<std::uint64_t>::max());
    j.push_back(std::numeric_limits<std::int64_t>::min());
    j.push_back(2.5);
    j.push_back(std::numeric_limits<double>::infinity());
    j.push_back(std::numeric_limits<double>::quiet_NaN());
    CHECK(zcrx::json_text(j) == "[18446744073709551615,-9223372036854775808,2.5,null,null]");
}

TEST_CASE("JSON strings: escaped, and bytes that are not UTF-8 replaced", "[json]") {
    zcrx::Json j = zcrx::Json::object();
    j["k\""] = "v\n\x01";
    CHECK(zcrx::json_text(j) == R"({"k\"":"v\n\u0001"})");
    // an interface or file name is bytes, not necessarily UTF-8: the
    // output stays valid JSON, and parses back
    j = zcrx::Json::object();
    j["file"] = std::string("caf\xc3\xa9-\xff\xfe.bin");
    const std::string text = zcrx::json_text(j);
    CHECK(text == "{\"file\":\"caf\xc3\xa9-\xef\xbf\xbd\xef\xbf\xbd.bin\"}");
    CHECK(zcrx::Json::parse(text)["file"] == "caf\xc3\xa9-\xef\xbf\xbd\xef\xbf\xbd.bin");
}

TEST_CASE("absent values are null", "[json]") {
    CHECK(zcrx::json_or_null(std::optional<int>()).is_null());
    CHECK(zcrx::json_or_null(std::optional<int>(3)) == 3);
}

TEST_CASE("a failure is one JSON object alike in every tool", "[json]") {
    const zcrx::Error e(ENODEV, "find interface eth9", {}, "check ip link");
    const zcrx::Json j = zcrx::json_error(e);
    CHECK(j["version"] == 1);
    CHECK(j["errno"] == ENODEV);
    CHECK(j["error"] == e.message());
    CHECK(zcrx::json_text(j).rfind("{\"version\":1,\"error\":", 0) == 0);
}
