// zcrx-recv's own logic that needs no kernel: why the kernel copied data
// (from its counts), and the --grow options. In the tools' helper library,
// not in libzcrx.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "zcrx/cli.hpp"

namespace zcrx::recv_tool {

// Why data was copied into the area instead of received in place, as far
// as the kernel's counts tell.
enum class CopyCause {
    none,         // nothing was copied
    device_less,  // a device-less ifq (--nodev): every byte, by design
    not_in_place, // copied, and nothing received in place: the flow never
                  // reached the queue in place (steering, header split)
    partial,      // some in place, some copied: other queues, linear parts
    unknown,      // copied, but the kernel does not say what came in place
};

// nodev: a device-less ifq; zero_copy_bytes: what the kernel received in
// place (fdinfo; nullopt if it does not say); copy_bytes: what it copied.
[[nodiscard]] constexpr CopyCause copy_cause(bool nodev,
                                             std::optional<std::uint64_t> zero_copy_bytes,
                                             std::uint64_t copy_bytes) noexcept {
    if (copy_bytes == 0)
        return CopyCause::none;
    if (nodev)
        return CopyCause::device_less;
    if (!zero_copy_bytes)
        return CopyCause::unknown;
    return *zero_copy_bytes == 0 ? CopyCause::not_in_place : CopyCause::partial;
}

// The cause as a JSON value ("none", "nodev", "not_in_place", "partial",
// "unknown"), and as a sentence for people.
[[nodiscard]] std::string_view copy_cause_name(CopyCause cause) noexcept;
[[nodiscard]] std::string_view copy_cause_text(CopyCause cause) noexcept;

// --grow[=SIZE] and --grow-max N: add an area of SIZE bytes each time the
// kernel says buffers ran out, at most N times.
inline constexpr std::uint64_t default_grow_max = 16;

struct GrowSettings {
    bool enabled = false;
    std::uint64_t area_size = 0; // bytes per added area
    std::uint64_t max = default_grow_max;
};

// From the parsed command line (options "grow", value optional, and
// "grow-max"): SIZE defaults to first_area_size; it is rounded up to whole
// pages and must then be a multiple of buffer_size (page or rx_buf_len).
// N is 1 to 1023 (an ifq has at most 1024 areas). UsageError for --grow-max
// without --grow, or a bad value.
[[nodiscard]] GrowSettings parse_grow(const cli::Args &args, std::uint64_t first_area_size,
                                      std::uint64_t page, std::uint64_t buffer_size);

} // namespace zcrx::recv_tool
