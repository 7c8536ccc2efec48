#include "zcrx/bench.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "zcrx/pattern.hpp"

namespace zcrx::bench {
namespace {

// The next space-separated number of line; nullopt at its end or on garbage.
std::optional<std::uint64_t> next_number(std::string_view &line) {
    while (!line.empty() && line.front() == ' ')
        line.remove_prefix(1);
    if (line.empty())
        return std::nullopt;
    std::uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
    if (ec != std::errc{} || ptr == line.data())
        return std::nullopt;
    line.remove_prefix(static_cast<std::size_t>(ptr - line.data()));
    return v;
}

} // namespace

std::optional<std::vector<CpuTicks>> parse_proc_stat(std::string_view text) {
    std::vector<CpuTicks> cpus;
    bool any = false;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        // "cpuN" lines only: "cpu " is the sum of them all
        if (line.size() < 4 || line.substr(0, 3) != "cpu" || line[3] < '0' || line[3] > '9')
            continue;
        line.remove_prefix(3);
        std::size_t cpu = 0;
        const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), cpu);
        if (ec != std::errc{} || cpu > 4096)
            return std::nullopt;
        line.remove_prefix(static_cast<std::size_t>(ptr - line.data()));
        // user nice system idle iowait irq softirq steal (guest time is
        // already in user and nice)
        std::array<std::uint64_t, 8> f{};
        std::size_t n = 0;
        for (; n < f.size(); ++n) {
            const std::optional<std::uint64_t> v = next_number(line);
            if (!v)
                break;
            f[n] = *v;
        }
        if (n < 4) // kernels since 2.6.11 have at least eight
            return std::nullopt;
        if (cpus.size() <= cpu)
            cpus.resize(cpu + 1);
        const std::uint64_t idle = f[3] + f[4];
        const std::uint64_t busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
        cpus[cpu] = {busy, busy + idle};
        any = true;
    }
    if (!any)
        return std::nullopt;
    return cpus;
}

std::optional<std::vector<CpuTicks>> read_proc_stat() {
    std::ifstream in("/proc/stat");
    if (!in)
        return std::nullopt;
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_proc_stat(text);
}

CpuTicks ticks_between(std::span<const CpuTicks> before, std::span<const CpuTicks> after,
                       std::size_t cpu) noexcept {
    const CpuTicks a = cpu < before.size() ? before[cpu] : CpuTicks{};
    const CpuTicks b = cpu < after.size() ? after[cpu] : CpuTicks{};
    // A CPU that went offline in between may count from zero again.
    return {b.busy >= a.busy ? b.busy - a.busy : b.busy,
            b.total >= a.total ? b.total - a.total : b.total};
}

std::uint64_t busy_between(std::span<const CpuTicks> before,
                           std::span<const CpuTicks> after) noexcept {
    std::uint64_t sum = 0;
    for (std::size_t cpu = 0; cpu < std::max(before.size(), after.size()); ++cpu)
        sum += ticks_between(before, after, cpu).busy;
    return sum;
}

Spread spread_of(std::vector<double> values) {
    if (values.empty())
        return {};
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return {median, values.front(), values.back()};
}

PeriodicPattern::PeriodicPattern(std::size_t period, std::size_t tail)
    : period_(std::max<std::size_t>(period, 1)), bytes_(period_ + tail) {
    const std::span<std::byte> all(bytes_);
    pattern::fill(0, all.first(period_));
    // byte i is byte i % period, for every i
    for (std::size_t i = period_; i < bytes_.size(); ++i)
        bytes_[i] = bytes_[i % period_];
}

std::span<const std::byte> PeriodicPattern::at(std::uint64_t offset,
                                               std::size_t len) const noexcept {
    const std::size_t pos = static_cast<std::size_t>(offset % period_);
    return std::span<const std::byte>(bytes_).subspan(pos, std::min(len, bytes_.size() - pos));
}

bool PeriodicPattern::matches(std::uint64_t offset,
                              std::span<const std::byte> data) const noexcept {
    while (!data.empty()) {
        const std::size_t pos = static_cast<std::size_t>(offset % period_);
        const std::size_t n = std::min(data.size(), period_ - pos);
        if (std::memcmp(data.data(), bytes_.data() + pos, n) != 0)
            return false;
        data = data.subspan(n);
        offset += n;
    }
    return true;
}

} // namespace zcrx::bench
