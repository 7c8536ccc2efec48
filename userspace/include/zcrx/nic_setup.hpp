// The NIC setup zero-copy receive needs on one RX queue, and its undoing:
// combined channels if asked for, tcp-data-split on, the RSS table kept off
// the queue, and ntuple rules steering a TCP port to it.
//
// Every change is logged before it is made: the step that undoes it goes
// into an undo log (zcrx/undo_log.hpp), saved as a state file per device
// and network namespace, so that a failed apply rolls back, a NicSetup
// undoes what it did when it goes, and "zcrx-nic undo" finishes the job
// after a process that could not (killed, crashed) from the state file.
//
// Part of libzcrx-nic (pkg-config zcrx-nic: over libzcrx, and libmnl),
// installed apart from the receive library.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "zcrx/error.hpp"
#include "zcrx/ethtool.hpp"
#include "zcrx/result.hpp"
#include "zcrx/undo_log.hpp"

namespace zcrx::ethtool {

// Where a NIC setup says what it does. info: a change made or undone,
// "DEV: WHAT"; warning: something skipped or that cannot be confirmed;
// error: a step that failed (an undo goes on past it). Unset ones are
// dropped.
struct SetupOutput {
    std::function<void(const std::string &)> info;
    std::function<void(const std::string &)> warning;
    std::function<void(const Error &)> error;
};

// The state file's default directory (zcrx-nic's --state-dir).
inline constexpr std::string_view default_state_dir = "/run/zcrx-nic";

// A device and the two interfaces that change it: ethtool netlink and the
// ioctl (RSS table, ntuple rules).
struct Session {
    std::string dev;
    std::uint32_t ifindex = 0;
    Netlink nl;
    Ioctl io;
};

// The interface index of dev (EINVAL for a name that cannot be one, ENODEV
// with advice if there is none).
[[nodiscard]] Result<std::uint32_t> ifindex_of(const std::string &dev);
// Opens both interfaces on dev. ifindex_of() comes first: a device that
// does not exist is ENODEV before any socket is opened.
[[nodiscard]] Result<Session> open_session(const std::string &dev);

// The state file of dev in dir: one per device and network namespace.
[[nodiscard]] std::string state_path(std::string_view dir, const std::string &dev);
// nullopt if there is no state file; an Error if it is unreadable or garbled.
[[nodiscard]] Result<std::optional<UndoLog>> read_state(const std::string &path);
// Replaces the state file at once (a new file renamed over it), creating dir.
[[nodiscard]] Result<void> write_state(const std::string &dir, const std::string &path,
                                       const UndoLog &log);
// Removes the state file; one that is not there is no error.
[[nodiscard]] Result<void> remove_state(const std::string &path);

// Carries out one step of an undo log. A rule that is gone or no longer
// ours needs no undoing. With released_queue, a queue whose ring was just
// closed, tcp-data-split is set back once that queue has no memory
// provider (the ring lets go of it in the background), or after 5 s. False,
// after saying why, if the step failed.
[[nodiscard]] bool undo_step(Session &s, const UndoStep &step, const SetupOutput &out,
                             std::optional<std::uint32_t> released_queue = std::nullopt);

// Runs log backwards on the device. The steps that failed stay in the state
// file at path for another try; with none left, the file goes. Whether
// everything was undone (and the file saved or removed).
[[nodiscard]] bool run_undo(Session &s, const UndoLog &log, const std::string &state_dir,
                            const std::string &path, const SetupOutput &out,
                            std::optional<std::uint32_t> released_queue = std::nullopt);

// What NicSetup::apply() sets a device up for: one RX queue that receives
// one TCP port.
struct SetupRequest {
    std::uint32_t queue = 0;               // the RX queue to dedicate
    std::uint16_t port = 0;                // TCP destination port steered to it
    std::optional<std::uint32_t> channels; // first set this many combined channels
    bool v4 = true;                        // a tcp4 rule
    bool v6 = true;                        // a tcp6 rule
    std::string state_dir{default_state_dir};
    // An earlier setup of the device in the state file is undone first
    // (zcrx-nic apply); false: it is EBUSY (it may be in use).
    bool replace = true;
};

// The setup of one device, undone when the object goes unless release()d:
// a program that sets the NIC up for itself leaves it as it found it, on
// failure and on a signal it handles too.
class NicSetup {
public:
    // Sets dev up for req. A device that does not exist is ENODEV, as from
    // open_session(). An earlier setup of dev recorded in the state file is
    // undone first (or refused: SetupRequest::replace). Everything is probed
    // before anything changes: a device that lacks a feature is left
    // untouched (EOPNOTSUPP). A step that fails rolls back what was done,
    // and its error is returned.
    [[nodiscard]] static Result<NicSetup> apply(const std::string &dev, const SetupRequest &req,
                                                SetupOutput out);

    // Hands the setup over: other undoes nothing any more.
    NicSetup(NicSetup &&other) noexcept;
    NicSetup &operator=(NicSetup &&) = delete;
    NicSetup(const NicSetup &) = delete;
    NicSetup &operator=(const NicSetup &) = delete;
    // undo(), unless released or undone.
    ~NicSetup();

    // Puts the device back as it was: the log backwards, the state file
    // removed (or kept with the steps that failed, for zcrx-nic undo).
    // Whether everything was undone. Once only. Call it after the ring
    // that received through the queue is closed: header split goes off
    // once the queue's memory provider is gone.
    bool undo();
    // Leaves the device set up when this object goes; the state file stays,
    // for "zcrx-nic undo" (what "zcrx-nic apply" does).
    void release() noexcept { active_ = false; }

    // The device, the undo log of what apply() changed, and the state file
    // that holds the log.
    [[nodiscard]] const std::string &dev() const noexcept { return session_.dev; }
    [[nodiscard]] const UndoLog &log() const noexcept { return log_; }
    [[nodiscard]] const std::string &state_path() const noexcept { return path_; }

private:
    NicSetup(Session session, UndoLog log, std::string state_dir, std::string path,
             SetupOutput out) noexcept;

    Session session_;
    UndoLog log_;
    std::string dir_, path_;
    SetupOutput out_;
    bool active_ = true;
};

} // namespace zcrx::ethtool
