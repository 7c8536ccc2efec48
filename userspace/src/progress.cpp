#include "zcrx/progress.hpp"

#include <cstdio>

#include "zcrx/json.hpp"

namespace zcrx::progress {

namespace {

double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

} // namespace

Interval Ticker::cut(Clock::time_point end, std::uint64_t bytes,
                     std::optional<std::uint64_t> cqes) {
    Interval i;
    i.start = seconds(from_ - start_);
    i.end = seconds(end - start_);
    i.bytes = bytes - bytes_;
    if (cqes)
        i.cqes = *cqes - cqes_;
    from_ = end;
    bytes_ = bytes;
    cqes_ = cqes.value_or(0);
    return i;
}

std::optional<Interval> Ticker::tick(Clock::time_point now, std::uint64_t bytes,
                                     std::optional<std::uint64_t> cqes) {
    if (now < next_)
        return std::nullopt;
    // the latest boundary passed: overdue intervals become one
    const auto passed = (now - start_) / every_;
    const Clock::time_point end = start_ + passed * every_;
    next_ = end + every_;
    return cut(end, bytes, cqes);
}

std::optional<Interval> Ticker::last(Clock::time_point end, std::uint64_t bytes,
                                     std::optional<std::uint64_t> cqes) {
    if (end <= from_ || (bytes == bytes_ && cqes.value_or(0) == cqes_))
        return std::nullopt;
    return cut(end, bytes, cqes);
}

std::string text_line(const Interval &i) {
    char line[160];
    std::snprintf(line, sizeof(line), "[%6.2f-%6.2f s] %llu bytes, %.3f Gbit/s", i.start, i.end,
                  static_cast<unsigned long long>(i.bytes), i.gbit_per_s());
    std::string s(line);
    if (i.cqes)
        s += ", " + std::to_string(*i.cqes) + " cqes";
    return s;
}

std::string json_line(const Interval &i, std::string_view tool) {
    Json j = json_document();
    j["type"] = "interval";
    j["tool"] = tool;
    j["start"] = i.start;
    j["end"] = i.end;
    j["bytes"] = i.bytes;
    j["gbit_per_s"] = i.gbit_per_s();
    if (i.cqes)
        j["cqes"] = *i.cqes;
    return json_text(j);
}

} // namespace zcrx::progress
