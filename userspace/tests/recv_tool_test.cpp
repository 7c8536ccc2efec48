#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "zcrx/cli.hpp"
#include "zcrx/recv_tool.hpp"

namespace cli = zcrx::cli;
namespace rt = zcrx::recv_tool;
using rt::CopyCause;

namespace {

constexpr cli::Option options[] = {
    {"grow", "SIZE", "grow", 0, true},
    {"grow-max", "N", "at most"},
    {"json", "", "JSON"},
};

constexpr std::uint64_t page = 4096;
constexpr std::uint64_t first_area = std::uint64_t{64} << 10;

rt::GrowSettings grow(std::initializer_list<const char *> args, std::uint64_t buf = page) {
    const std::vector<const char *> v(args);
    return rt::parse_grow(cli::Args::parse(options, v), first_area, page, buf);
}

std::string usage_error(std::initializer_list<const char *> args, std::uint64_t buf = page) {
    try {
        (void)grow(args, buf);
    } catch (const cli::UsageError &e) {
        return e.what();
    }
    return {};
}

} // namespace

TEST_CASE("no --grow: nothing is added", "[recv-tool][grow]") {
    const rt::GrowSettings g = grow({"--json", "127.0.0.1"});
    CHECK_FALSE(g.enabled);
}

TEST_CASE("--grow alone adds areas of the first area's size, 16 at most", "[recv-tool][grow]") {
    const rt::GrowSettings g = grow({"--grow", "127.0.0.1", "5000"});
    CHECK(g.enabled);
    CHECK(g.area_size == first_area);
    CHECK(g.max == rt::default_grow_max);
    CHECK(g.max == 16);
}

TEST_CASE("--grow does not take the next argument as its size", "[recv-tool][grow]") {
    const std::vector<const char *> v{"--grow", "1M", "5000"};
    const cli::Args a = cli::Args::parse(options, v);
    CHECK(a.has("grow"));
    CHECK_FALSE(a.value("grow").has_value());
    CHECK(a.positional().size() == 2);
}

TEST_CASE("--grow=SIZE and --grow-max N are taken", "[recv-tool][grow]") {
    const rt::GrowSettings g = grow({"--grow=1M", "--grow-max", "3"});
    CHECK(g.enabled);
    CHECK(g.area_size == std::uint64_t{1} << 20);
    CHECK(g.max == 3);
}

TEST_CASE("--grow=SIZE is rounded up to whole pages", "[recv-tool][grow]") {
    CHECK(grow({"--grow=5000"}).area_size == 2 * page);
}

TEST_CASE("--grow=SIZE must be a multiple of the buffer size", "[recv-tool][grow]") {
    CHECK(grow({"--grow=128K"}, 65536).area_size == 131072);
    const std::string e = usage_error({"--grow=96K"}, 65536);
    INFO(e);
    CHECK(e.find("--grow: 96K is not a multiple of the 64K-byte buffers") == 0);
}

TEST_CASE("bad --grow and --grow-max values are usage errors", "[recv-tool][grow]") {
    CHECK(usage_error({"--grow-max", "3"}) == "--grow-max: only with --grow");
    CHECK(usage_error({"--grow=3X"}).find("--grow: '3X' is not a size") == 0);
    CHECK(usage_error({"--grow=0"}).find("--grow: 0 is out of range") == 0);
    CHECK(usage_error({"--grow", "--grow-max", "0"}).find("--grow-max: 0 is out of range") == 0);
    CHECK(usage_error({"--grow", "--grow-max", "1024"}) ==
          "--grow-max: 1024 is out of range: must be between 1 and 1023");
}

TEST_CASE("the copy cause follows from the kernel's counts", "[recv-tool][copy]") {
    CHECK(rt::copy_cause(false, 100, 0) == CopyCause::none);
    CHECK(rt::copy_cause(true, 0, 0) == CopyCause::none);
    CHECK(rt::copy_cause(true, 0, 4096) == CopyCause::device_less);
    CHECK(rt::copy_cause(true, std::nullopt, 4096) == CopyCause::device_less);
    CHECK(rt::copy_cause(false, 0, 4096) == CopyCause::not_in_place);
    CHECK(rt::copy_cause(false, 1 << 20, 4096) == CopyCause::partial);
    CHECK(rt::copy_cause(false, std::nullopt, 4096) == CopyCause::unknown);
}

TEST_CASE("each copy cause has a JSON name and a sentence", "[recv-tool][copy]") {
    CHECK(rt::copy_cause_name(CopyCause::none) == "none");
    CHECK(rt::copy_cause_name(CopyCause::device_less) == "nodev");
    CHECK(rt::copy_cause_name(CopyCause::not_in_place) == "not_in_place");
    CHECK(rt::copy_cause_name(CopyCause::partial) == "partial");
    CHECK(rt::copy_cause_name(CopyCause::unknown) == "unknown");
    CHECK(rt::copy_cause_text(CopyCause::device_less).find("by design") != std::string::npos);
    CHECK(rt::copy_cause_text(CopyCause::not_in_place).find("zcrx-nic") != std::string::npos);
    CHECK(rt::copy_cause_text(CopyCause::partial).find("other queues") != std::string::npos);
}
