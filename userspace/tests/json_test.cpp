#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "zcrx/json.hpp"

TEST_CASE("JSON writer separates members and elements with commas", "[json]") {
    zcrx::JsonWriter j;
    j.begin_object();
    j.key("a").value(std::uint64_t{1});
    j.key("b").begin_array().value("x").value(true).null().begin_object().end_object().end_array();
    j.key("c").begin_object().key("d").value(-2).end_object();
    j.key("e").begin_array().end_array();
    j.end_object();
    CHECK(j.str() == R"({"a":1,"b":["x",true,null,{}],"c":{"d":-2},"e":[]})");
}

TEST_CASE("JSON numbers: full-range integers, doubles, non-finite as null", "[json]") {
    zcrx::JsonWriter j;
    j.begin_array()
        .value(std::numeric_limits<std::uint64_t>::max())
        .value(std::numeric_limits<std::int64_t>::min())
        .value(std::uint32_t{7})
        .value(2.5)
        .value(1e-3)
        .value(std::numeric_limits<double>::infinity())
        .value(std::numeric_limits<double>::quiet_NaN())
        .end_array();
    CHECK(j.str() == "[18446744073709551615,-9223372036854775808,7,2.5,0.001,null,null]");
}

TEST_CASE("JSON strings are escaped", "[json]") {
    CHECK(zcrx::json_quote("plain") == R"("plain")");
    CHECK(zcrx::json_quote("a\"b\\c") == R"("a\"b\\c")");
    CHECK(zcrx::json_quote("l1\nl2\tx\r") == R"("l1\nl2\tx\r")");
    CHECK(zcrx::json_quote(std::string("\x01\x1f", 2)) == R"("\u0001\u001f")");
    CHECK(zcrx::json_quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    zcrx::JsonWriter j;
    j.begin_object().key("k\"").value("v\n").end_object();
    CHECK(j.str() == R"({"k\"":"v\n"})");
}
