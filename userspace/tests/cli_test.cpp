#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "zcrx/cli.hpp"

namespace cli = zcrx::cli;
using cli::UsageError;

namespace {

constexpr cli::Option options[] = {
    {"size", "SIZE", "bytes to send"}, {"connections", "N", "parallel connections"},
    {"file", "PATH", "a file"},        {"json", "", "JSON output"},
    {"help", "", "show help", 'h'},
};

cli::Args parse(std::initializer_list<const char *> args) {
    const std::vector<const char *> v(args);
    return cli::Args::parse(options, v);
}

// The message of the UsageError that f throws ("" if it throws none).
template <typename F>
std::string usage_error(F &&f) {
    try {
        f();
    } catch (const UsageError &e) {
        return e.what();
    }
    return {};
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

} // namespace

TEST_CASE("options take values as --name value and --name=value", "[cli]") {
    const cli::Args a = parse({"--size", "1K", "host", "--connections=4", "80"});
    CHECK(a.value("size") == "1K");
    CHECK(a.value("connections") == "4");
    CHECK_FALSE(a.value("file").has_value());
    CHECK(a.has("size"));
    CHECK_FALSE(a.has("json"));
    REQUIRE(a.positional().size() == 2);
    CHECK(a.positional()[0] == "host");
    CHECK(a.positional()[1] == "80");
}

TEST_CASE("flags, short aliases, the last repeat wins", "[cli]") {
    const cli::Args a = parse({"--json", "-h", "--size=1", "--size", "2"});
    CHECK(a.has("json"));
    CHECK(a.has("help"));
    CHECK(a.value("size") == "2");
    CHECK(parse({"--size="}).value("size") == "");
}

TEST_CASE("-- ends the options and - is a positional", "[cli]") {
    const cli::Args a = parse({"-", "--", "--json", "-h"});
    REQUIRE(a.positional().size() == 3);
    CHECK(a.positional()[0] == "-");
    CHECK(a.positional()[1] == "--json");
    CHECK(a.positional()[2] == "-h");
    CHECK_FALSE(a.has("json"));
}

TEST_CASE("bad option use is a usage error naming the option", "[cli]") {
    CHECK(usage_error([] { (void)parse({"--nope"}); }) == "unknown option '--nope'");
    CHECK(usage_error([] { (void)parse({"--nope=3"}); }) == "unknown option '--nope'");
    CHECK(usage_error([] { (void)parse({"-x"}); }) == "unknown option '-x'");
    CHECK(usage_error([] { (void)parse({"--size"}); }) == "option --size needs a value (SIZE)");
    // A following option is taken for a forgotten value, not as the value.
    CHECK(usage_error([] {
              (void)parse({"--file", "--json"});
          }) == "option --file needs a value (PATH)");
    CHECK(parse({"--file=--json"}).value("file") == "--json");
    CHECK(parse({"--file", "-"}).value("file") == "-");
    CHECK(usage_error([] { (void)parse({"--json=yes"}); }) == "option --json takes no value");
}

TEST_CASE("required options and positional counts", "[cli]") {
    const cli::Args a = parse({"x"});
    CHECK(usage_error([&] { (void)a.required("file"); }) == "missing required option --file PATH");
    CHECK(parse({"--file", "f"}).required("file") == "f");

    CHECK(usage_error([&] { a.expect_positional(2, 2, "HOST PORT"); }) ==
          "missing argument: expected HOST PORT");
    CHECK(usage_error([] { parse({}).expect_positional(2, 2, "HOST PORT"); }) ==
          "missing arguments: expected HOST PORT");
    CHECK(usage_error([] {
              parse({"a", "b", "c"}).expect_positional(2, 2, "HOST PORT");
          }) == "unexpected argument 'c': expected HOST PORT");
    CHECK(usage_error([] { parse({"a"}).expect_positional(0, 0, ""); }) ==
          "unexpected argument 'a'");
    CHECK_NOTHROW(parse({"a", "b"}).expect_positional(2, 2, "HOST PORT"));
}

TEST_CASE("sizes take binary suffixes", "[cli]") {
    const auto size = [](std::string_view s) { return cli::parse_size(s, "--size", 0, u64_max); };
    CHECK(size("0") == 0);
    CHECK(size("4096") == 4096);
    CHECK(size("512B") == 512);
    CHECK(size("1K") == 1024);
    CHECK(size("1k") == 1024);
    CHECK(size("2KiB") == 2048);
    CHECK(size("2kb") == 2048);
    CHECK(size("3M") == 3 << 20);
    CHECK(size("1G") == std::uint64_t{1} << 30);
    CHECK(size("1GiB") == std::uint64_t{1} << 30);
    CHECK(size("5T") == std::uint64_t{5} << 40);
    CHECK(size("16777215T") == std::uint64_t{16777215} << 40);
    CHECK(size("18446744073709551615") == u64_max);
}

TEST_CASE("malformed and out-of-range sizes name the option", "[cli]") {
    const auto err = [](std::string_view s, std::uint64_t min = 0, std::uint64_t max = u64_max) {
        return usage_error([&] { (void)cli::parse_size(s, "--chunk", min, max); });
    };
    for (const char *bad :
         {"", "K", "1.5G", "-1", "+1", "1X", "1KK", "1 K", "1Ki", "1iB", "0x10", "1BB"}) {
        INFO("size '" << bad << "'");
        const std::string e = err(bad);
        CHECK(e.rfind("--chunk: '", 0) == 0);
        CHECK(contains(e, "is not a size"));
        CHECK(contains(e, "1K = 1024"));
    }
    CHECK(err("16777216T") == "--chunk: '16777216T' is too large");
    CHECK(err("18446744073709551616") == "--chunk: '18446744073709551616' is too large");
    CHECK(err("128M", 1, 64 << 20) ==
          "--chunk: 128M is out of range: must be between 1 and 64M (67108864)");
    CHECK(err("0", 1, 64 << 20) ==
          "--chunk: 0 is out of range: must be between 1 and 64M (67108864)");
    CHECK(err("1K", 1, 64 << 20).empty());
}

TEST_CASE("counts are plain decimal numbers in range", "[cli]") {
    CHECK(cli::parse_count("0", "--n", 0, 10) == 0);
    CHECK(cli::parse_count("10", "--n", 0, 10) == 10);
    CHECK(cli::parse_count("007", "--n", 0, 10) == 7);
    for (const char *bad : {"", "x", "1x", "0x1", "-1", "+1", " 1", "1 ", "1e3"}) {
        INFO("count '" << bad << "'");
        CHECK(usage_error([&] { (void)cli::parse_count(bad, "--connections", 1, 1024); }) ==
              "--connections: '" + std::string(bad) + "' is not a number");
    }
    CHECK(usage_error([] { (void)cli::parse_count("0", "--connections", 1, 1024); }) ==
          "--connections: 0 is out of range: must be between 1 and 1024");
    CHECK(usage_error([] { (void)cli::parse_count("1025", "--connections", 1, 1024); }) ==
          "--connections: 1025 is out of range: must be between 1 and 1024");
    CHECK(usage_error([] {
              (void)cli::parse_count("99999999999999999999", "--connections", 1, 1024);
          }) == "--connections: 99999999999999999999 is out of range: must be between 1 and 1024");
}

TEST_CASE("seconds are decimal with up to three fraction digits, in range", "[cli]") {
    using std::chrono::milliseconds;
    const auto secs = [](const char *t) {
        return cli::parse_seconds(t, "--interval", milliseconds(100), milliseconds(3600000));
    };
    CHECK(secs("2") == milliseconds(2000));
    CHECK(secs("0.5") == milliseconds(500));
    CHECK(secs("1.25") == milliseconds(1250));
    CHECK(secs("0.125") == milliseconds(125));
    CHECK(secs("3600") == milliseconds(3600000));
    for (const char *bad : {"", "x", "1x", ".5", "1.", "1.2345", "1.x", "-1", " 1", "1s", "1e3"}) {
        INFO("seconds '" << bad << "'");
        CHECK(usage_error([&] { (void)secs(bad); }) ==
              "--interval: '" + std::string(bad) +
                  "' is not a number of seconds (such as 2 or 0.5)");
    }
    CHECK(usage_error([&] { (void)secs("0.05"); }) ==
          "--interval: 0.05 is out of range: must be between 0.1 s and 3600 s");
    CHECK(usage_error([&] { (void)secs("3600.001"); }) ==
          "--interval: 3600.001 is out of range: must be between 0.1 s and 3600 s");
    CHECK(usage_error([&] { (void)secs("99999999999999999999"); }) ==
          "--interval: 99999999999999999999 is out of range: must be between 0.1 s and 3600 s");
    CHECK(usage_error([&] { (void)secs("18446744073709551615"); }) ==
          "--interval: 18446744073709551615 is out of range: must be between 0.1 s and 3600 s");
}

TEST_CASE("ports are 1 to 65535", "[cli]") {
    CHECK(cli::parse_port("1", "PORT") == 1);
    CHECK(cli::parse_port("9999", "PORT") == 9999);
    CHECK(cli::parse_port("65535", "PORT") == 65535);
    for (const char *bad : {"0", "65536", "", "http", "80a", "-80", "99999999999999999999"}) {
        INFO("port '" << bad << "'");
        CHECK(usage_error([&] { (void)cli::parse_port(bad, "--port"); }) ==
              "--port: '" + std::string(bad) + "' is not a port number (1 to 65535)");
    }
}

TEST_CASE("typed getters use the fallback when the option is absent", "[cli]") {
    const cli::Args none = parse({});
    CHECK(none.size_or("size", 1 << 30, 0, u64_max) == 1 << 30);
    CHECK(none.count_or("connections", 1, 1, 8) == 1);
    const cli::Args some = parse({"--size", "2M", "--connections", "8"});
    CHECK(some.size_or("size", 1, 0, u64_max) == 2 << 20);
    CHECK(some.count_or("connections", 1, 1, 8) == 8);
    CHECK(usage_error([] { (void)parse({"--connections=9"}).count_or("connections", 1, 1, 8); }) ==
          "--connections: 9 is out of range: must be between 1 and 8");
    CHECK(contains(usage_error([] { (void)parse({"--size=lots"}).size_or("size", 1, 0, 9); }),
                   "--size: 'lots' is not a size"));
}

TEST_CASE("format_size uses the largest exact binary suffix", "[cli]") {
    CHECK(cli::format_size(0) == "0");
    CHECK(cli::format_size(1) == "1");
    CHECK(cli::format_size(1024) == "1K");
    CHECK(cli::format_size(1536) == "1536");
    CHECK(cli::format_size(3 << 20) == "3M");
    CHECK(cli::format_size(std::uint64_t{1} << 30) == "1G");
    CHECK(cli::format_size(std::uint64_t{1025} << 30) == "1025G");
    CHECK(cli::format_size(std::uint64_t{2} << 40) == "2T");
}

TEST_CASE("option help lists every option in aligned columns", "[cli]") {
    const std::string help = cli::option_help(options);
    CHECK(help == "      --size SIZE      bytes to send\n"
                  "      --connections N  parallel connections\n"
                  "      --file PATH      a file\n"
                  "      --json           JSON output\n"
                  "  -h, --help           show help\n");

    // Option names too long for the column get their help on the next line.
    constexpr cli::Option long_one[] = {
        {"a-very-long-option-name", "SOMETHING", "help"},
        {"x", "", "short"},
    };
    CHECK(cli::option_help(long_one) == "      --a-very-long-option-name SOMETHING\n"
                                        "                                help\n"
                                        "      --x                       short\n");
}

TEST_CASE("an option with an optional value takes it only after '='", "[cli]") {
    constexpr cli::Option opt[] = {{"grow", "SIZE", "grow", 0, true}, {"json", "", "JSON"}};
    const std::vector<const char *> bare{"--grow", "2M"};
    const cli::Args a = cli::Args::parse(opt, bare);
    CHECK(a.has("grow"));
    CHECK_FALSE(a.value("grow").has_value());
    REQUIRE(a.positional().size() == 1);
    CHECK(a.positional()[0] == "2M");

    const std::vector<const char *> valued{"--grow=2M", "--json"};
    const cli::Args b = cli::Args::parse(opt, valued);
    CHECK(b.value("grow") == "2M");
    CHECK(b.has("json"));

    const std::vector<const char *> none{"--json"};
    CHECK_FALSE(cli::Args::parse(opt, none).has("grow"));
    CHECK(cli::option_help(opt) == "      --grow[=SIZE]  grow\n"
                                   "      --json         JSON\n");
}

TEST_CASE("guard maps a usage error to 2 and other exceptions to the tool's status", "[cli]") {
    CHECK(cli::guard("t", 3, [] { return 7; }) == 7);
    CHECK(cli::guard("t", 3, []() -> int { throw UsageError("bad"); }) == cli::exit_usage);
    CHECK(cli::guard("t", 3, []() -> int { throw std::runtime_error("broken"); }) == 3);
}

TEST_CASE("run_tool answers --help itself and hands the parsed options on", "[cli]") {
    const char *help_argv[] = {"t", "--help", nullptr};
    bool ran = false;
    CHECK(cli::run_tool(
              "t", options, 2, const_cast<char **>(help_argv), [] { return std::string(); }, 1,
              [&](const cli::Args &) {
                  ran = true;
                  return 0;
              }) == cli::exit_ok);
    CHECK_FALSE(ran);

    const char *size_argv[] = {"t", "--size", "2K", nullptr};
    CHECK(cli::run_tool(
              "t", options, 3, const_cast<char **>(size_argv), [] { return std::string(); }, 1,
              [](const cli::Args &args) {
                  return static_cast<int>(args.size_or("size", 0, 0, 1 << 20) >> 10);
              }) == 2);

    const char *bad_argv[] = {"t", "--nope", nullptr};
    CHECK(cli::run_tool(
              "t", options, 2, const_cast<char **>(bad_argv), [] { return std::string(); }, 1,
              [](const cli::Args &) { return 0; }) == cli::exit_usage);
}
