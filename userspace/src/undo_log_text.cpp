// The state file as text, formats 1 and 2: what zcrx-nic wrote before the
// JSON format (undo_log.cpp). Only read, so that undo still works from a
// file an older zcrx-nic left in the state directory.
//
// Format 2: a "zcrx-nic-state 2" line, "ifindex N", "queue N", "port N", then
// one undo step a line (to_text(step)), first step first. Format 1 recorded
// what apply changed instead (parse_format1_line()).

#include <cerrno>
#include <charconv>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "undo_log_internal.hpp"

namespace zcrx::ethtool::detail {

namespace {

std::optional<std::uint32_t> parse_u32(std::string_view s) {
    std::uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size())
        return std::nullopt;
    return v;
}

// The space-separated words of a line (runs of spaces are one separator).
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    while (!line.empty()) {
        const std::size_t start = line.find_first_not_of(' ');
        if (start == std::string_view::npos)
            break;
        line.remove_prefix(start);
        const std::size_t end = line.find(' ');
        out.push_back(line.substr(0, end));
        line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    }
    return out;
}

// garbled_state() for one place in the file.
class Garbled {
public:
    explicit Garbled(std::string where) : where_(std::move(where)) {}
    [[nodiscard]] Error operator()(const std::string &why) const {
        return garbled_state(where_, why);
    }

private:
    std::string where_;
};

// The words of a step's line (to_text(step)); EINVAL saying why for anything else.
Result<UndoStep> parse_step(std::span<const std::string_view> w, const Garbled &bad) {
    const std::string_view key = w[0];
    const std::size_t args = w.size() - 1;
    if (key == "set-channels") {
        const std::optional<std::uint32_t> n = args == 1 ? parse_u32(w[1]) : std::nullopt;
        if (!n || *n == 0)
            return bad("set-channels takes one channel count above 0");
        return UndoStep(SetChannels{*n});
    }
    if (key == "set-tcp-data-split") {
        const std::optional<TcpDataSplit> v = args == 1 ? parse_split_word(w[1]) : std::nullopt;
        if (!v)
            return bad("set-tcp-data-split takes on, off or auto");
        return UndoStep(SetTcpDataSplit{*v});
    }
    if (key == "set-rss") {
        SetRss rss;
        if (args == 1 && w[1] == "default")
            return UndoStep(rss);
        for (std::size_t i = 1; i < w.size(); ++i) {
            const std::optional<std::uint32_t> q = parse_u32(w[i]);
            if (!q)
                return bad("set-rss takes \"default\" or the table's queue numbers, not '" +
                           std::string(w[i]) + "'");
            rss.indir.push_back(*q);
        }
        if (rss.indir.empty())
            return bad("set-rss takes \"default\" or the table's queue numbers");
        return UndoStep(std::move(rss));
    }
    if (key == "delete-rule") {
        const std::optional<std::uint32_t> loc = args == 2 ? parse_u32(w[1]) : std::nullopt;
        const std::optional<std::uint32_t> port = args == 2 ? parse_u32(w[2]) : std::nullopt;
        if (!loc || !port || *port == 0 || *port > 65535)
            return bad("delete-rule takes a rule location and a port (1 to 65535)");
        return UndoStep(DeleteRule{*loc, static_cast<std::uint16_t>(*port)});
    }
    return bad("'" + std::string(key) + "' is not a step zcrx-nic undo knows");
}

// Format 1 recorded values, not steps: "channels-before N",
// "tcp-data-split-before 0|1|2" (unknown, off, on) and "rule LOCATION" for
// each rule. Its undo deleted the rules, reset RSS to the default, set the
// split back (auto unless it had been off) and the channels.
Result<void> parse_format1_line(std::span<const std::string_view> w, const Garbled &bad,
                                std::optional<std::uint32_t> &channels,
                                std::optional<TcpDataSplit> &split,
                                std::vector<std::uint32_t> &rules) {
    const std::optional<std::uint32_t> v = w.size() == 2 ? parse_u32(w[1]) : std::nullopt;
    if (!v)
        return bad("'" + std::string(w[0]) + "' takes one number");
    if (w[0] == "channels-before" && *v > 0)
        channels = *v;
    else if (w[0] == "tcp-data-split-before" && *v <= 2)
        split = static_cast<TcpDataSplit>(*v);
    else if (w[0] == "rule")
        rules.push_back(*v);
    else
        return bad("'" + std::string(w[0]) + " " + std::string(w[1]) +
                   "' is not a line of a format 1 state file");
    return {};
}

} // namespace

Result<UndoLog> parse_text_state(std::string_view text) {
    UndoLog log;
    unsigned version = 0, line_no = 0;
    bool have_ifindex = false, have_queue = false, have_port = false;
    // format 1
    std::optional<std::uint32_t> channels_before;
    std::optional<TcpDataSplit> split_before;
    std::vector<std::uint32_t> rules;

    while (!text.empty()) {
        const std::size_t nl_at = text.find('\n');
        const std::string_view line = text.substr(0, nl_at);
        text = nl_at == std::string_view::npos ? std::string_view() : text.substr(nl_at + 1);
        const Garbled bad("line " + std::to_string(++line_no));
        if (line.find_first_not_of(' ') == std::string_view::npos || line.front() == '#')
            continue;
        const std::vector<std::string_view> w = words(line);
        if (version == 0) {
            const std::optional<std::uint32_t> v =
                w.size() == 2 && w[0] == state_magic ? parse_u32(w[1]) : std::nullopt;
            if (!v)
                return bad("not a zcrx-nic state file (that is a JSON object with \"" +
                           std::string(state_magic) + "\": " + std::to_string(UndoLog::format) +
                           ", or text from an older zcrx-nic starting \"" +
                           std::string(state_magic) + " " + std::to_string(last_text_format) +
                           "\")");
            if (*v > UndoLog::format)
                return bad("format " + std::to_string(*v) +
                           " is not one this zcrx-nic reads (1 to " +
                           std::to_string(UndoLog::format) + "): written by a newer zcrx-nic?");
            if (*v == 0 || *v > last_text_format)
                return bad("format " + std::to_string(*v) + " is not a text format (1 and " +
                           std::to_string(last_text_format) + " are; " +
                           std::to_string(UndoLog::format) + " is JSON)");
            version = *v;
            continue;
        }
        const std::string_view key = w[0];
        if (key == "ifindex" || key == "queue" || key == "port") {
            bool &seen = key == "ifindex" ? have_ifindex : key == "queue" ? have_queue : have_port;
            const std::optional<std::uint32_t> v = w.size() == 2 ? parse_u32(w[1]) : std::nullopt;
            if (seen)
                return bad("a second '" + std::string(key) + "'");
            if (!v || (key == "port" && (*v == 0 || *v > 65535)))
                return bad("'" + std::string(line) + "': " + std::string(key) + " takes " +
                           (key == "port" ? "a port (1 to 65535)" : "a number"));
            seen = true;
            if (key == "ifindex")
                log.ifindex = *v;
            else if (key == "queue")
                log.queue = *v;
            else
                log.port = static_cast<std::uint16_t>(*v);
            continue;
        }
        if (version == 1) {
            if (Result<void> r = parse_format1_line(w, bad, channels_before, split_before, rules);
                !r)
                return std::move(r).error();
            continue;
        }
        Result<UndoStep> step = parse_step(w, bad);
        if (!step)
            return std::move(step).error();
        log.steps.push_back(std::move(step).value());
    }
    const Garbled at_end("at its end");
    if (version == 0)
        return Garbled("empty")("not a zcrx-nic state file");
    if (!have_ifindex || !have_queue || !have_port)
        return at_end(std::string("no '") +
                      (!have_ifindex ? "ifindex"
                       : !have_queue ? "queue"
                                     : "port") +
                      "' line");
    if (version == 1) {
        // The order format 1's apply made its changes in.
        if (channels_before)
            log.steps.emplace_back(SetChannels{*channels_before});
        if (split_before.value_or(TcpDataSplit::unknown) != TcpDataSplit::enabled)
            log.steps.emplace_back(SetTcpDataSplit{split_before == TcpDataSplit::disabled
                                                       ? TcpDataSplit::disabled
                                                       : TcpDataSplit::unknown});
        log.steps.emplace_back(SetRss{});
        for (const std::uint32_t loc : rules)
            log.steps.emplace_back(DeleteRule{loc, log.port});
    }
    return log;
}

} // namespace zcrx::ethtool::detail
