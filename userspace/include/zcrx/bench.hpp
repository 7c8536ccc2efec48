// The pure parts of zcrx-bench: CPU time from /proc/stat, the spread of a
// set of samples, and a pattern a sender can send from one prefilled buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace zcrx::bench {

// One CPU's line of /proc/stat, in clock ticks (USER_HZ).
struct CpuTicks {
    std::uint64_t busy = 0;  // user nice system irq softirq steal
    std::uint64_t total = 0; // busy + idle + iowait
};

// The per-CPU lines ("cpuN ...") of /proc/stat text, indexed by N; CPUs
// that are absent (offline) have zero ticks. nullopt if there are none or
// a line is malformed.
[[nodiscard]] std::optional<std::vector<CpuTicks>> parse_proc_stat(std::string_view text);

// Reads /proc/stat; nullopt if it cannot be read or parsed.
[[nodiscard]] std::optional<std::vector<CpuTicks>> read_proc_stat();

// CPU cpu's ticks between two readings (zero if it is in neither).
[[nodiscard]] CpuTicks ticks_between(std::span<const CpuTicks> before,
                                     std::span<const CpuTicks> after, std::size_t cpu) noexcept;

// Busy ticks of every CPU between two readings.
[[nodiscard]] std::uint64_t busy_between(std::span<const CpuTicks> before,
                                         std::span<const CpuTicks> after) noexcept;

struct Spread {
    double median = 0;
    double min = 0;
    double max = 0;
};

// Median (the mean of the middle two for an even count), minimum and
// maximum; all zero for no values.
[[nodiscard]] Spread spread_of(std::vector<double> values);

// A stream whose byte at offset o is pattern::byte_at(o % period): what a
// sender can send from one buffer filled once, so that sending costs no
// more than the send itself. Like zcrx-send's pattern, any chunk can be
// checked on its own given its stream offset; data shifted by a multiple of
// the period would pass, so the period is odd and not small.
class PeriodicPattern {
public:
    static constexpr std::size_t default_period = (std::size_t{4} << 20) + 4093;

    // bytes() is period + tail long: any tail bytes from any offset are in
    // it back to back (send from it without wrapping around).
    PeriodicPattern(std::size_t period, std::size_t tail);

    [[nodiscard]] std::size_t period() const noexcept { return period_; }
    // The tail bytes (at most) of the stream from offset on.
    [[nodiscard]] std::span<const std::byte> at(std::uint64_t offset,
                                                std::size_t len) const noexcept;
    // Whether data is the stream at offset.
    [[nodiscard]] bool matches(std::uint64_t offset,
                               std::span<const std::byte> data) const noexcept;

private:
    std::size_t period_;
    std::vector<std::byte> bytes_;
};

} // namespace zcrx::bench
