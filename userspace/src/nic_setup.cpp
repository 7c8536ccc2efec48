#include "zcrx/nic_setup.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "zcrx/fd.hpp"

namespace zcrx::ethtool {

namespace {

void say(const SetupOutput &out, const std::string &dev, const std::string &what) {
    if (out.info)
        out.info(dev + ": " + what);
}

void warn(const SetupOutput &out, const std::string &msg) {
    if (out.warning)
        out.warning(msg);
}

void report(const SetupOutput &out, const Error &e) {
    if (out.error)
        out.error(e);
}

} // namespace

Result<std::uint32_t> ifindex_of(const std::string &dev) {
    if (dev.empty() || dev.size() >= IFNAMSIZ)
        return Error(EINVAL, "use \"" + dev + "\" as an interface name", {},
                     "interface names are 1 to " + std::to_string(IFNAMSIZ - 1) + " characters");
    const unsigned int idx = ::if_nametoindex(dev.c_str());
    if (idx == 0) {
        const int err = errno == ENXIO ? ENODEV : errno;
        return Error(err, "find interface " + dev, {}, feature_advice({}, dev, ENODEV));
    }
    return std::uint32_t{idx};
}

Result<Session> open_session(const std::string &dev) {
    Result<std::uint32_t> idx = ifindex_of(dev);
    if (!idx)
        return std::move(idx).error();
    Result<Netlink> nl = Netlink::open();
    if (!nl)
        return std::move(nl).error();
    Result<Ioctl> io = Ioctl::open(dev);
    if (!io)
        return std::move(io).error();
    return Session{dev, *idx, std::move(nl).value(), std::move(io).value()};
}

std::string state_path(std::string_view dir, const std::string &dev) {
    struct stat st {};
    const unsigned long long ns =
        ::stat("/proc/self/ns/net", &st) == 0 ? static_cast<unsigned long long>(st.st_ino) : 0;
    return std::string(dir) + "/" + dev + "." + std::to_string(ns);
}

constexpr std::size_t max_state_size = std::size_t{16} << 20;

Result<std::optional<UndoLog>> read_state(const std::string &path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::optional<UndoLog>();
        return Error(errno, "open " + path, {}, "");
    }
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error(errno, "read " + path, {}, "");
        if (n == 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
        // Even a 64K-entry RSS table takes about 1 MiB written out; a
        // file far larger is not one zcrx-nic wrote.
        if (text.size() > max_state_size)
            return Error(EFBIG, "read " + path, "larger than 16 MiB: not a zcrx-nic state file",
                         "remove it if nothing else wrote it, and check the device by hand "
                         "(zcrx-nic show)");
    }
    Result<UndoLog> log = UndoLog::parse(text);
    if (!log) {
        Error e = std::move(log).error();
        e.what = "read " + path;
        return e;
    }
    return std::optional<UndoLog>(std::move(log).value());
}

Result<void> write_state(const std::string &dir, const std::string &path, const UndoLog &log) {
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
        return Error(errno, "create " + dir, {}, "pass another --state-dir");
    const std::string tmp = path + ".tmp";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return Error(errno, "create " + tmp, {}, "pass another --state-dir");
    const std::string text = log.to_json_text();
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error(errno, "write " + tmp, {}, "");
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) < 0 || ::rename(tmp.c_str(), path.c_str()) < 0)
        return Error(errno, "save " + path, {}, "");
    return {};
}

Result<void> remove_state(const std::string &path) {
    if (::unlink(path.c_str()) < 0 && errno != ENOENT)
        return Error(errno, "remove " + path, {}, "");
    return {};
}

namespace {

// How long undo waits for a memory provider to leave the device's queues.
constexpr std::chrono::seconds provider_grace{5};

// A ring closed just before lets go of its queue's memory provider in the
// background, and the kernel keeps tcp-data-split on while a provider is
// bound: wait for queue to have none (or give up after provider_grace and
// try anyway).
void wait_for_no_provider(Session &s, std::uint32_t queue, const SetupOutput &out) {
    const auto give_up = std::chrono::steady_clock::now() + provider_grace;
    for (;;) {
        const Result<std::vector<RxQueue>> queues = s.nl.rx_queues(s.ifindex);
        if (!queues || std::none_of(queues->begin(), queues->end(), [&](const RxQueue &q) {
                return q.id == queue && q.provider != Provider::none;
            }))
            return;
        if (std::chrono::steady_clock::now() > give_up) {
            warn(out, "queue " + std::to_string(queue) + " of " + s.dev +
                          " still has a memory provider after " +
                          std::to_string(provider_grace.count()) + " s (zcrx-nic show " + s.dev +
                          ")");
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

} // namespace

bool undo_step(Session &s, const UndoStep &step, const SetupOutput &out,
               std::optional<std::uint32_t> released_queue) {
    const auto done = [&](const Result<void> &r, const std::string &what) {
        if (!r) {
            report(out, r.error());
            return false;
        }
        say(out, s.dev, what);
        return true;
    };
    if (const auto *ch = std::get_if<SetChannels>(&step))
        return done(s.nl.set_channels(s.dev, ch->combined),
                    "channels: " + std::to_string(ch->combined) + " combined");
    if (const auto *split = std::get_if<SetTcpDataSplit>(&step)) {
        if (released_queue)
            wait_for_no_provider(s, *released_queue, out);
        return done(s.nl.set_tcp_data_split(s.dev, split->value),
                    "tcp-data-split: " + (split->value == TcpDataSplit::unknown
                                              ? std::string("auto (the driver's default)")
                                              : std::string(to_string(split->value))));
    }
    if (const auto *rss = std::get_if<SetRss>(&step))
        return done(s.io.set_indir(rss->indir),
                    rss->indir.empty()
                        ? std::string("rss: the default, equal over all RX queues")
                        : "rss: the " + std::to_string(rss->indir.size()) + " entries it had");
    const auto &rule = std::get<DeleteRule>(step);
    const std::string at = "rule at location " + std::to_string(rule.location);
    Result<ethtool_rx_flow_spec> fs = s.io.rule(rule.location);
    if (!fs) {
        const int err = fs.error().err;
        if (err != ENOENT && err != EINVAL && err != EOPNOTSUPP) {
            report(out, fs.error());
            return false;
        }
        warn(out, at + " is gone (" + fs.error().message() + "): nothing to remove");
        return true;
    }
    if (!is_port_rule(*fs, rule.port)) {
        warn(out, at + " is not the one apply added (" + describe_rule(*fs) + "): left alone");
        return true;
    }
    return done(s.io.delete_rule(rule.location), "ntuple: removed " + describe_rule(*fs));
}

bool run_undo(Session &s, const UndoLog &log, const std::string &state_dir, const std::string &path,
              const SetupOutput &out, std::optional<std::uint32_t> released_queue) {
    UndoLog left = log;
    if (log.ifindex != s.ifindex) {
        warn(out, s.dev + " was re-created since apply (ifindex " + std::to_string(log.ifindex) +
                      ", now " + std::to_string(s.ifindex) + "): what apply changed went with it");
        left.steps.clear();
    } else {
        left.steps = log.run_backwards(
            [&](const UndoStep &step) { return undo_step(s, step, out, released_queue); });
    }
    const Result<void> saved =
        left.steps.empty() ? remove_state(path) : write_state(state_dir, path, left);
    if (!saved)
        report(out, saved.error());
    if (!left.steps.empty())
        warn(out, std::to_string(left.steps.size()) + " step(s) failed and remain in " + path +
                      ": zcrx-nic undo " + s.dev + " tries them again");
    return left.steps.empty() && saved;
}

namespace {

// The undo log apply keeps while it changes the device, saved as the state
// file after every entry: the state file always undoes what has been done.
class Journal {
public:
    Journal(Session &s, std::string state_dir, std::string path, UndoLog log,
            const SetupOutput &out)
        : s_(s), dir_(std::move(state_dir)), path_(std::move(path)), log_(std::move(log)),
          out_(out) {}

    // Saves the empty log: a state directory that cannot take it fails
    // before anything changes.
    [[nodiscard]] Result<void> start() { return write_state(dir_, path_, log_); }

    // make() makes a change that undo takes back: undo is logged first,
    // and dropped again if the change fails (then nothing changed). The
    // step is built in the log itself: moving a temporary UndoStep in
    // trips GCC 12's -Wmaybe-uninitialized at -O2 (the main job's build).
    template <typename Step, typename Make>
    [[nodiscard]] Result<void> change(Step &&undo, Make &&make) {
        log_.steps.emplace_back(std::forward<Step>(undo));
        if (Result<void> r = write_state(dir_, path_, log_); !r) {
            log_.steps.pop_back();
            return r;
        }
        Result<void> r = make();
        if (!r) {
            log_.steps.pop_back();
            (void)write_state(dir_, path_, log_);
        }
        return r;
    }

    // Logs undo for a change already made (whose undo it could not know
    // before: the location the driver picked for a rule).
    template <typename Step>
    [[nodiscard]] Result<void> made(Step &&undo) {
        log_.steps.emplace_back(std::forward<Step>(undo));
        return write_state(dir_, path_, log_);
    }

    // A step failed: everything logged so far, backwards.
    void roll_back() {
        if (log_.steps.empty()) {
            (void)remove_state(path_);
            return;
        }
        say(out_, s_.dev, "rolling back " + std::to_string(log_.steps.size()) + " change(s)");
        (void)run_undo(s_, log_, dir_, path_, out_);
    }

    [[nodiscard]] UndoLog &log() noexcept { return log_; }

private:
    Session &s_;
    std::string dir_, path_;
    UndoLog log_;
    const SetupOutput &out_;
};

Result<void> add_rules(Session &s, Journal &journal, const SetupRequest &req,
                       const RuleCount &count, std::vector<std::uint32_t> used,
                       const SetupOutput &out) {
    for (const IpVersion ip : {IpVersion::v4, IpVersion::v6}) {
        if ((ip == IpVersion::v4 && !req.v4) || (ip == IpVersion::v6 && !req.v6))
            continue;
        ethtool_rx_flow_spec fs = port_rule(ip, req.port, req.queue);
        if (!count.special_locations) {
            const std::optional<std::uint32_t> loc = free_location(used, count.table_size);
            if (!loc)
                return Error(ENOSPC, "add an ntuple rule to " + s.dev, {},
                             "all " + std::to_string(count.table_size) +
                                 " rule locations are in use (ethtool -n " + s.dev + ")");
            fs.location = *loc;
        }
        const auto insert = [&]() -> Result<void> {
            Result<std::uint32_t> loc = s.io.insert_rule(fs);
            if (!loc) {
                // Drivers refuse rules with ntuple off in their own ways.
                const Result<bool> on = s.io.ntuple_on();
                return explain_rule_refusal(std::move(loc).error(),
                                            on ? std::optional<bool>(*on) : std::nullopt, s.dev);
            }
            fs.location = *loc;
            return {};
        };
        // Where the driver puts a rule is known only once it is there.
        Result<void> r = count.special_locations
                             ? insert()
                             : journal.change(DeleteRule{fs.location, req.port}, insert);
        if (r && count.special_locations)
            r = journal.made(DeleteRule{fs.location, req.port});
        if (!r)
            return r;
        used.push_back(fs.location);
        say(out, s.dev, "ntuple: " + describe_rule(fs));
    }
    return {};
}

} // namespace

NicSetup::NicSetup(Session session, UndoLog log, std::string state_dir, std::string path,
                   SetupOutput out) noexcept
    : session_(std::move(session)), log_(std::move(log)), dir_(std::move(state_dir)),
      path_(std::move(path)), out_(std::move(out)) {}

NicSetup::NicSetup(NicSetup &&other) noexcept
    : session_(std::move(other.session_)), log_(std::move(other.log_)), dir_(std::move(other.dir_)),
      path_(std::move(other.path_)), out_(std::move(other.out_)),
      active_(std::exchange(other.active_, false)) {}

NicSetup::~NicSetup() {
    if (active_)
        (void)undo();
}

bool NicSetup::undo() {
    if (!active_)
        return true;
    active_ = false;
    // the ring that received through the queue has just been closed
    return run_undo(session_, log_, dir_, path_, out_, log_.queue);
}

Result<NicSetup> NicSetup::apply(const std::string &dev, const SetupRequest &req, SetupOutput out) {
    Result<Session> session = open_session(dev);
    if (!session)
        return std::move(session).error();
    Session &s = *session;

    const std::string spath = ethtool::state_path(req.state_dir, dev);
    Result<std::optional<UndoLog>> old = read_state(spath);
    if (!old)
        return std::move(old).error();
    if (old->has_value() && !req.replace)
        return Error(EBUSY, "set " + dev + " up for queue " + std::to_string(req.queue),
                     dev + " is set up already, for queue " + std::to_string((*old)->queue) +
                         " and port " + std::to_string((*old)->port) + " (" + spath + ")",
                     "another zcrx-recv --setup or zcrx-nic apply did it; if nothing receives "
                     "there any more, zcrx-nic undo " +
                         dev + " puts it back");
    if (old->has_value()) {
        say(out, dev,
            "replacing the earlier setup (queue " + std::to_string((*old)->queue) + ", port " +
                std::to_string((*old)->port) + ")");
        if (!run_undo(s, **old, req.state_dir, spath, out))
            return Error(EBUSY, "undo the earlier setup of " + dev, {},
                         "a step of it failed and stays in " + spath + ": zcrx-nic undo " + dev +
                             " tries it again");
    }

    // Probe everything first: a device that lacks a feature is left untouched.
    Result<Channels> ch = s.nl.channels(dev);
    if (!ch)
        return std::move(ch).error();
    Result<Rings> rings = s.nl.rings(dev);
    if (!rings)
        return std::move(rings).error();
    Result<std::uint32_t> rx_rings = s.io.rx_rings();
    if (!rx_rings)
        return std::move(rx_rings).error();
    Result<std::vector<std::uint32_t>> indir_before = s.io.indir();
    if (!indir_before)
        return std::move(indir_before).error();
    Result<RuleCount> rule_count = s.io.rule_count();
    if (!rule_count)
        return std::move(rule_count).error();
    std::vector<std::uint32_t> used;
    if (!rule_count->special_locations && rule_count->count > 0) {
        Result<std::vector<std::uint32_t>> locs = s.io.rule_locations(rule_count->count);
        if (!locs)
            return std::move(locs).error();
        used = std::move(locs).value();
    }

    Result<std::uint32_t> after = rx_queues_after(*ch, req.channels, *rx_rings, dev);
    if (!after)
        return std::move(after).error();
    const std::uint32_t rings_after = *after;
    if (rings_after < 2 || req.queue >= rings_after)
        return Error(ERANGE, "dedicate queue " + std::to_string(req.queue) + " of " + dev, {},
                     dev + " has " + std::to_string(rings_after) +
                         " RX queue(s); zero-copy receive needs a queue other than the ones "
                         "RSS uses, so at least 2 (--channels N sets more)");

    UndoLog header;
    header.ifindex = s.ifindex;
    header.queue = req.queue;
    header.port = req.port;
    Journal journal(s, req.state_dir, spath, std::move(header), out);
    if (Result<void> r = journal.start(); !r)
        return std::move(r).error();
    // What failed comes back to the caller after the rollback has run.
    const auto give_up = [&](Error e) {
        journal.roll_back();
        return e;
    };

    if (req.channels && *req.channels != ch->combined) {
        // The kernel refuses fewer channels than a custom RSS table uses;
        // bnxt refuses a custom table's resizing.
        if (rss_reset_before_channels(*indir_before, *rx_rings, rings_after))
            if (Result<void> r = journal.change(restore_rss(*indir_before, *rx_rings),
                                                [&] { return s.io.set_indir({}); });
                !r)
                return give_up(std::move(r).error());
        if (Result<void> r = journal.change(SetChannels{ch->combined},
                                            [&] { return s.nl.set_channels(dev, *req.channels); });
            !r)
            return give_up(std::move(r).error());
        say(out, dev,
            "channels: " + std::to_string(ch->combined) + " -> " + std::to_string(*req.channels) +
                " combined");
    }
    Result<std::uint32_t> rings_now = s.io.rx_rings();
    if (!rings_now)
        return give_up(std::move(rings_now).error());
    if (*rings_now < 2 || req.queue >= *rings_now)
        return give_up(Error(ERANGE, "dedicate queue " + std::to_string(req.queue) + " of " + dev,
                             {}, dev + " has " + std::to_string(*rings_now) + " RX rings"));

    if (rings->tcp_data_split != TcpDataSplit::enabled) {
        if (Result<void> r =
                journal.change(SetTcpDataSplit{rings->tcp_data_split},
                               [&] { return s.nl.set_tcp_data_split(dev, TcpDataSplit::enabled); });
            !r)
            return give_up(std::move(r).error());
        Result<Rings> check = s.nl.rings(dev);
        if (!check)
            return give_up(std::move(check).error());
        if (check->tcp_data_split == TcpDataSplit::unknown)
            warn(out, dev + " accepted tcp-data-split on but does not report it: cannot confirm");
        else if (check->tcp_data_split != TcpDataSplit::enabled)
            return give_up(Error(EOPNOTSUPP, "set tcp-data-split of " + dev + " to on",
                                 "the device still reports it " +
                                     std::string(to_string(check->tcp_data_split)),
                                 feature_advice(Feature::tcp_data_split, dev, EOPNOTSUPP)));
        say(out, dev,
            "tcp-data-split: " + std::string(to_string(rings->tcp_data_split)) + " -> on");
    } else {
        say(out, dev, "tcp-data-split: already on");
    }

    // The table as it is now: a channel change may have spread it anew.
    Result<std::vector<std::uint32_t>> indir_now = s.io.indir();
    if (!indir_now)
        return give_up(std::move(indir_now).error());
    const std::optional<std::vector<std::uint32_t>> table =
        equal_indir_excluding(static_cast<std::uint32_t>(indir_now->size()), *rings_now, req.queue);
    if (!table)
        return give_up(Error(EINVAL, "compute an RSS table for " + dev, {}, ""));
    if (Result<void> r = journal.change(restore_rss(std::move(indir_now).value(), *rings_now),
                                        [&] { return s.io.set_indir(*table); });
        !r)
        return give_up(std::move(r).error());
    say(out, dev,
        "rss: " + std::to_string(table->size()) + " entries spread over " +
            std::to_string(*rings_now - 1) + " RX queues, none to queue " +
            std::to_string(req.queue));

    if (Result<void> r = add_rules(s, journal, req, *rule_count, std::move(used), out); !r)
        return give_up(std::move(r).error());
    UndoLog log = std::move(journal.log());
    return NicSetup(std::move(*session), std::move(log), req.state_dir, spath, std::move(out));
}

} // namespace zcrx::ethtool
