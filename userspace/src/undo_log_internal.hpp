// What the state file parsers share (undo_log.cpp reads format 3, JSON;
// undo_log_text.cpp formats 1 and 2, text); not part of any interface.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "zcrx/error.hpp"
#include "zcrx/ethtool.hpp"
#include "zcrx/result.hpp"
#include "zcrx/undo_log.hpp"

namespace zcrx::ethtool::detail {

// The name every format starts with: the first word of a text state file,
// the first member of a JSON one.
inline constexpr std::string_view state_magic = "zcrx-nic-state";

// The newest text format; UndoLog::format, the one written, is JSON.
inline constexpr unsigned last_text_format = 2;

// EINVAL for a state file that is not what zcrx-nic apply writes: where in
// it ("line 5", "steps[2].port") and what is wrong there.
[[nodiscard]] Error garbled_state(std::string_view where, std::string_view why);

// A tcp-data-split setting as a step writes it: "on", "off" or "auto"
// (unknown: the driver's default).
[[nodiscard]] inline std::string_view split_word(TcpDataSplit v) noexcept {
    return v == TcpDataSplit::unknown ? std::string_view("auto") : to_string(v);
}

[[nodiscard]] inline std::optional<TcpDataSplit> parse_split_word(std::string_view w) noexcept {
    if (w == "off")
        return TcpDataSplit::disabled;
    if (w == "on")
        return TcpDataSplit::enabled;
    if (w == "auto")
        return TcpDataSplit::unknown;
    return std::nullopt;
}

// A text state file, format 1 or 2, as zcrx-nic before the JSON format
// wrote it (blank lines and "#" comments ignored); EINVAL naming the line
// for anything else.
[[nodiscard]] Result<UndoLog> parse_text_state(std::string_view text);

} // namespace zcrx::ethtool::detail
