// A minimal JSON writer for the tools' --json output (one line, no spaces).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zcrx {

// Appends JSON text; the caller keeps begin/end calls balanced and puts a
// key() before every value inside an object.
class JsonWriter {
public:
    JsonWriter &begin_object();
    JsonWriter &end_object();
    JsonWriter &begin_array();
    JsonWriter &end_array();
    JsonWriter &key(std::string_view k);

    JsonWriter &value(std::string_view s);
    JsonWriter &value(const char *s) { return value(std::string_view(s)); }
    JsonWriter &value(std::uint64_t v);
    JsonWriter &value(std::int64_t v);
    JsonWriter &value(std::uint32_t v) { return value(std::uint64_t{v}); }
    JsonWriter &value(int v) { return value(std::int64_t{v}); }
    JsonWriter &value(double v); // non-finite values are written as null
    JsonWriter &value(bool v);
    JsonWriter &null();

    [[nodiscard]] const std::string &str() const noexcept { return out_; }

private:
    void before_value();

    std::string out_;
    std::vector<bool> first_; // per open container: nothing written into it yet
    bool after_key_ = false;
};

// s as a JSON string literal, quotes included.
[[nodiscard]] std::string json_quote(std::string_view s);

} // namespace zcrx
