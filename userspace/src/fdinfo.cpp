#include "zcrx/fdinfo.hpp"

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace zcrx {
namespace {

// The value of "key:\t<number>" lines; nullopt if the key is absent.
std::optional<std::uint64_t> field(std::string_view text, std::string_view key) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() <= key.size() || line.substr(0, key.size()) != key ||
            line[key.size()] != ':')
            continue;
        line.remove_prefix(key.size() + 1);
        while (!line.empty() && (line.front() == '\t' || line.front() == ' '))
            line.remove_prefix(1);
        std::uint64_t v = 0;
        const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
        if (ec != std::errc{} || ptr == line.data())
            return std::nullopt;
        return v;
    }
    return std::nullopt;
}

} // namespace

std::optional<KernelIfqStats> parse_ifq_fdinfo(std::string_view text) {
    const auto zc = field(text, "ZcrxZeroCopyBytes");
    const auto copy = field(text, "ZcrxCopyBytes");
    if (!zc || !copy)
        return std::nullopt;
    return KernelIfqStats{*zc, *copy, field(text, "ZcrxRqBadEntries").value_or(0),
                          field(text, "ZcrxIfqs").value_or(1)};
}

std::optional<KernelIfqStats> read_ifq_stats(int ring_fd) {
    std::ifstream in("/proc/self/fdinfo/" + std::to_string(ring_fd));
    if (!in)
        return std::nullopt;
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_ifq_fdinfo(text);
}

} // namespace zcrx
