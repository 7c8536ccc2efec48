// Command-line parsing shared by the zcrx tools.
//
// Long options take "--name value" or "--name=value"; flags take no value;
// an option whose value is optional takes it only as "--name=value" (alone,
// it is given without one); "--" ends the options; everything else is positional ("-" included). An
// option may also have a one-letter alias ("-h"). Given twice, the last one
// wins. Numbers are validated with ranges, and every error names the option.
//
// Usage errors are exceptions (cli::UsageError): parsing is setup, and a tool
// turns the exception into a message and exit status 2 in one place.
//
// Why not getopt_long or CLI11 (bookworm's libcli11-dev 2.1.2): the
// tokenizer below is some 50 lines. getopt_long would need as many to
// build its tables from these, copy argv (it permutes it), reset its global
// state and turn '?' and ':' back into messages that name the option, and
// it accepts abbreviations ("--verif"), which would make adding an option
// break scripts. CLI11 would replace the tokenizer and the help text but
// not the converters (sizes with suffixes, ranges, durations) and would
// change every tool's option handling and its --help, which the man pages
// are checked against.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zcrx::cli {

// Exit statuses, the same for every zcrx tool (the README's table).
inline constexpr int exit_ok = 0;
inline constexpr int exit_data = 1;        // the data was wrong or incomplete
inline constexpr int exit_usage = 2;       // bad command line
inline constexpr int exit_runtime = 3;     // a set-up or run-time step failed
inline constexpr int exit_unsupported = 4; // the kernel or device lacks a feature

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Option {
    std::string_view name;    // long name without the leading "--"
    std::string_view metavar; // placeholder for the value ("SIZE"); empty for a flag
    std::string_view help;
    char short_name = 0; // optional "-x" alias
    // The value may be left out ("--name" or "--name=value", never "--name
    // value"): has() says whether it was given, value() what came with it.
    bool value_optional = false;

    [[nodiscard]] constexpr bool takes_value() const noexcept { return !metavar.empty(); }
};

// The parsed command line. Holds views into the argument strings and the
// option table: both must outlive it (argv and static tables do).
class Args {
public:
    // args: the arguments after the program (or subcommand) name.
    // Throws UsageError for unknown options, missing or unexpected values.
    [[nodiscard]] static Args parse(std::span<const Option> options,
                                    std::span<const char *const> args);

    // Whether a declared flag or option was given.
    [[nodiscard]] bool has(std::string_view name) const noexcept;
    // The value of a declared option, if given.
    [[nodiscard]] std::optional<std::string_view> value(std::string_view name) const noexcept;
    // The value, or UsageError "missing required option --name".
    [[nodiscard]] std::string_view required(std::string_view name) const;

    [[nodiscard]] std::span<const std::string_view> positional() const noexcept {
        return positional_;
    }
    // UsageError unless min <= count <= max; names describes them ("HOST PORT").
    void expect_positional(std::size_t min, std::size_t max, std::string_view names) const;

    // Typed values of optional options: fallback when absent, else parsed and
    // range-checked (UsageError naming the option otherwise).
    [[nodiscard]] std::uint64_t size_or(std::string_view name, std::uint64_t fallback,
                                        std::uint64_t min, std::uint64_t max) const;
    [[nodiscard]] std::uint64_t count_or(std::string_view name, std::uint64_t fallback,
                                         std::uint64_t min, std::uint64_t max) const;
    // A duration (parse_seconds()); nullopt when absent.
    [[nodiscard]] std::optional<std::chrono::milliseconds>
    seconds(std::string_view name, std::chrono::milliseconds min,
            std::chrono::milliseconds max) const;

private:
    const Option *find(std::string_view name) const noexcept;

    std::span<const Option> options_;
    // (option name, value) in command-line order; flags have no value.
    std::vector<std::pair<std::string_view, std::optional<std::string_view>>> given_;
    std::vector<std::string_view> positional_;
};

// Converters for option values and positionals; what names the argument in
// error messages ("--size", "PORT").

// A byte count: digits with an optional binary suffix K, M, G or T (any case,
// optionally followed by "iB" or "B"; 1K = 1024), or a plain "B".
[[nodiscard]] std::uint64_t parse_size(std::string_view text, std::string_view what,
                                       std::uint64_t min, std::uint64_t max);
// A decimal count.
[[nodiscard]] std::uint64_t parse_count(std::string_view text, std::string_view what,
                                        std::uint64_t min, std::uint64_t max);
// A duration in seconds: digits with an optional fraction of up to three
// digits ("2", "0.5", "1.25"), between min and max.
[[nodiscard]] std::chrono::milliseconds parse_seconds(std::string_view text, std::string_view what,
                                                      std::chrono::milliseconds min,
                                                      std::chrono::milliseconds max);
// A TCP/UDP port, 1 to 65535.
[[nodiscard]] std::uint16_t parse_port(std::string_view text, std::string_view what);

// Shortest exact spelling with a binary suffix: 1073741824 -> "1G", 1536 -> "1536".
[[nodiscard]] std::string format_size(std::uint64_t bytes);

// The options block of a --help text: one aligned line per option.
[[nodiscard]] std::string option_help(std::span<const Option> options);

// The frame of a tool's main(): runs body() and returns its status; a
// UsageError becomes "PROG: what" plus "Try 'PROG --help'." on stderr and
// exit_usage, any other exception "PROG: what" and failure_status.
[[nodiscard]] int guard(std::string_view prog, int failure_status,
                        const std::function<int()> &body) noexcept;

// guard() around a tool without subcommands: parses argv against options,
// prints help_text() and returns exit_ok on --help, else runs body(args).
[[nodiscard]] int run_tool(std::string_view prog, std::span<const Option> options, int argc,
                           char **argv, const std::function<std::string()> &help_text,
                           int failure_status,
                           const std::function<int(const Args &)> &body) noexcept;

} // namespace zcrx::cli
