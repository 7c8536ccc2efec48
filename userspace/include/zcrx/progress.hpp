// --interval: a progress line every few seconds of a long transfer, as
// iperf3 prints them. In the tools' build only (zcrx-tool), not installed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zcrx::progress {

using Clock = std::chrono::steady_clock;

// What --interval accepts.
inline constexpr std::chrono::milliseconds min_interval{100};
inline constexpr std::chrono::milliseconds max_interval{3600 * 1000};

// What one interval carried.
struct Interval {
    double start = 0; // seconds since the transfer began
    double end = 0;
    std::uint64_t bytes = 0;
    std::optional<std::uint64_t> cqes; // completions, for a receiver

    [[nodiscard]] double gbit_per_s() const noexcept {
        return end > start ? static_cast<double>(bytes) * 8 / (end - start) / 1e9 : 0.0;
    }
};

// Cuts a transfer that began at start into intervals of every. tick() with
// the running totals reports an interval once its end has passed; when
// ticks come late (a stall), the overdue intervals are reported as one,
// from the last report up to the latest boundary passed.
class Ticker {
public:
    Ticker(std::chrono::milliseconds every, Clock::time_point start) noexcept
        : every_(every), start_(start), next_(start + every) {}

    [[nodiscard]] Clock::time_point next() const noexcept { return next_; }

    // The interval that ended by now, if one did, with what bytes and cqes
    // (totals since the start) grew by over it.
    [[nodiscard]] std::optional<Interval> tick(Clock::time_point now, std::uint64_t bytes,
                                               std::optional<std::uint64_t> cqes = std::nullopt);

    // What came after the last interval, up to end: the partial interval
    // at the end of a transfer, if it carried anything.
    [[nodiscard]] std::optional<Interval> last(Clock::time_point end, std::uint64_t bytes,
                                               std::optional<std::uint64_t> cqes = std::nullopt);

private:
    [[nodiscard]] Interval cut(Clock::time_point end, std::uint64_t bytes,
                               std::optional<std::uint64_t> cqes);

    std::chrono::milliseconds every_;
    Clock::time_point start_;
    Clock::time_point next_;
    Clock::time_point from_{start_}; // start of the interval in progress
    std::uint64_t bytes_ = 0;        // totals at from_
    std::uint64_t cqes_ = 0;
};

// "[  1.00-  2.00 s] 123456789 bytes, 0.988 Gbit/s[, 1234 cqes]"
[[nodiscard]] std::string text_line(const Interval &i);
// One NDJSON line (no newline): {"version":1,"type":"interval","tool":...,
// "start":...,"end":...,"bytes":...,"gbit_per_s":...[,"cqes":...]}
[[nodiscard]] std::string json_line(const Interval &i, std::string_view tool);

} // namespace zcrx::progress
