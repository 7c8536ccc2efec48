// The tools' --json output, built with nlohmann/json (Debian's
// nlohmann-json3-dev). In the tools' build only (zcrx-tool), not installed.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "zcrx/error.hpp"

namespace zcrx {

// Members are printed in the order they were added.
using Json = nlohmann::ordered_json;

// The version of the tools' JSON output: the first member of every object
// a tool prints ("version"), raised when a member changes meaning or goes.
inline constexpr int json_version = 1;

// A tool's output object: {"version": json_version}, members to follow.
[[nodiscard]] Json json_document();

// What every tool prints on stdout with --json when it fails, before its
// message on stderr: {"version":1,"error":MESSAGE,"errno":N} (errno 0 when
// no system call failed), plus what the tool adds.
[[nodiscard]] Json json_error(const Error &e);

// v, or null if there is none.
template <typename T>
[[nodiscard]] Json json_or_null(const std::optional<T> &v) {
    return v ? Json(*v) : Json(nullptr);
}

// j as one line of text (no newline). Bytes that are not UTF-8 in a string
// (an interface or file name) become U+FFFD: the output stays valid JSON.
// Non-finite numbers are null.
[[nodiscard]] std::string json_text(const Json &j);

// Prints json_text(j) and a newline on stdout, and flushes it.
void print_json_line(const Json &j);

// A tool's failure: "PROG: MESSAGE" on stderr and, with json, json_error(e)
// on stdout, so that a program reading the output gets an answer too.
void print_failure(std::string_view prog, const Error &e, bool json);

} // namespace zcrx
