// The undo log of "zcrx-nic apply": for every change apply makes to a device,
// the step that puts it back, in the order apply made the changes. A failed
// apply rolls back by running the log backwards, and so does "zcrx-nic
// undo" with the log read back from the state file, which is the log as
// JSON. Pure: parsing, printing and the order of the steps are tested
// without a NIC; zcrx/nic_setup.hpp carries the steps out. Part of
// libzcrx-nic (pkg-config zcrx-nic).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "zcrx/ethtool.hpp"
#include "zcrx/result.hpp"

namespace zcrx::ethtool {

// Back to this many combined channels.
struct SetChannels {
    std::uint32_t combined = 0;
    friend bool operator==(const SetChannels &, const SetChannels &) = default;
};

// tcp-data-split back to this; unknown sets "auto", the driver's default.
struct SetTcpDataSplit {
    TcpDataSplit value = TcpDataSplit::unknown;
    friend bool operator==(const SetTcpDataSplit &, const SetTcpDataSplit &) = default;
};

// The RSS indirection table back to these entries; an empty table is the
// driver's default (spread equally over all RX queues, following the
// channel count). The hash key and function are not part of it: apply
// never changes them.
struct SetRss {
    std::vector<std::uint32_t> indir;
    friend bool operator==(const SetRss &, const SetRss &) = default;
};

// Delete the ntuple rule at location, if it still is a rule for TCP
// destination port `port` (is_port_rule()): a rule someone else put there
// since is left alone.
struct DeleteRule {
    std::uint32_t location = 0;
    std::uint16_t port = 0;
    friend bool operator==(const DeleteRule &, const DeleteRule &) = default;
};

// One step of an undo log: one of the changes above.
using UndoStep = std::variant<SetChannels, SetTcpDataSplit, SetRss, DeleteRule>;

// How to put back `table`, the RSS table of a device with `rings` RX queues:
// the driver's default if it is the table the driver spreads by itself
// (equal_indir()), so that the table follows channel changes again;
// else exactly these entries.
[[nodiscard]] SetRss restore_rss(std::vector<std::uint32_t> table, std::uint32_t rings);

// The step as one line of text, without a newline, as zcrx-nic show prints
// it and format 2 state files held it: "set-channels 1",
// "set-tcp-data-split off|on|auto", "set-rss default", "set-rss 0 1 0 1 ...",
// "delete-rule LOCATION PORT".
[[nodiscard]] std::string to_text(const UndoStep &step);

// What apply did to one device, as the steps that undo it: the log itself
// and the content of the state file.
struct UndoLog {
    // The format to_json_text() writes, the "zcrx-nic-state" member of the
    // JSON object. Formats 1 and 2 of earlier versions were text, starting
    // with a "zcrx-nic-state 1" or "zcrx-nic-state 2" line; parse() still
    // reads them, so that undo works from a state file an older zcrx-nic
    // left. Format 1 (zcrx-nic before the log) recorded what apply changed
    // instead of how to undo it; parse() turns it into the steps that
    // version's undo took.
    static constexpr unsigned format = 3;

    std::uint32_t ifindex = 0; // the device apply changed (a re-created one has none of it)
    std::uint32_t queue = 0;
    std::uint16_t port = 0;
    std::vector<UndoStep> steps; // in the order apply made the changes

    friend bool operator==(const UndoLog &, const UndoLog &) = default;

    // The state file: a JSON object, indented by two, and a newline:
    //   {"zcrx-nic-state": 3, "ifindex": N, "queue": N, "port": N,
    //    "steps": [STEP, ...]}
    // with the steps first step first, each an object named by "step":
    //   {"step": "set-channels", "combined": N}
    //   {"step": "set-tcp-data-split", "value": "on"|"off"|"auto"}
    //   {"step": "set-rss", "indir": "default"|[Q, ...]}
    //   {"step": "delete-rule", "location": N, "port": P}
    [[nodiscard]] std::string to_json_text() const;
    // What to_json_text() writes, or a text state file of format 1 or 2
    // (blank lines and "#" comments ignored): text whose first character
    // past white space is "{" is read as JSON. Anything else is EINVAL, the
    // detail naming where it is wrong ("steps[2].port", "line 5") and why:
    // a member of the wrong type or range, a missing, unknown or repeated
    // member, an unknown step, a syntax error (its line and column).
    [[nodiscard]] static Result<UndoLog> parse(std::string_view text);

    // Calls undo(step) for every step from the last to the first, going on
    // after a step that fails (undo returns false). Returns the steps that
    // failed, in log order: what is still to be undone.
    [[nodiscard]] std::vector<UndoStep>
    run_backwards(const std::function<bool(const UndoStep &)> &undo) const;
};

} // namespace zcrx::ethtool
