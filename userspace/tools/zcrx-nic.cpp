// zcrx-nic: show, apply and undo the NIC setup zero-copy receive needs on one
// RX queue: channels, header/data split, RSS kept off the queue, and an
// ntuple rule steering a TCP port to it.
#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "zcrx/cli.hpp"
#include "zcrx/error.hpp"
#include "zcrx/ethtool.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/json.hpp"
#include "zcrx/result.hpp"
#include "zcrx/undo_log.hpp"

namespace {

namespace cli = zcrx::cli;
namespace et = zcrx::ethtool;
using zcrx::Error;
using zcrx::Fd;
using zcrx::Result;

constexpr std::string_view default_state_dir = "/run/zcrx-nic";

constexpr cli::Option show_options[] = {
    {"json", "", "print one JSON object instead of text"},
    {"state-dir", "DIR", "apply's state files (default /run/zcrx-nic)"},
    {"help", "", "show this help and exit", 'h'},
};

constexpr cli::Option apply_options[] = {
    {"queue", "Q", "the RX queue to dedicate to zero-copy receive (required)"},
    {"port", "P", "TCP destination port to steer to queue Q (required)"},
    {"channels", "N", "first set this many combined channels"},
    {"ip", "4|6|both", "ntuple rules for tcp4, tcp6 or both (default both)"},
    {"state-dir", "DIR", "where to log the undo steps (default /run/zcrx-nic)"},
    {"help", "", "show this help and exit", 'h'},
};

constexpr cli::Option split_options[] = {
    {"help", "", "show this help and exit", 'h'},
};

constexpr cli::Option undo_options[] = {
    {"port", "P", "without apply's log: remove the rules steering port P"},
    {"state-dir", "DIR", "apply's state files (default /run/zcrx-nic)"},
    {"help", "", "show this help and exit", 'h'},
};

std::string help_text() {
    std::string s = "Usage: zcrx-nic show DEV [--json] [--state-dir DIR]\n"
                    "       zcrx-nic apply DEV --queue Q --port P [--channels N] [--ip 4|6|both]\n"
                    "                          [--state-dir DIR]\n"
                    "       zcrx-nic undo DEV [--port P] [--state-dir DIR]\n"
                    "       zcrx-nic split DEV on|off|auto\n"
                    "\n"
                    "Set up one RX queue of a NIC for io_uring zero-copy receive, and undo it:\n"
                    "  show   channels, rings, RSS, ntuple rules, memory providers, page pools\n"
                    "  apply  tcp-data-split on, RSS off Q, port P steered to Q; logs the undo\n"
                    "  undo   run apply's log backwards (without one: remove port P's rules)\n"
                    "  split  set tcp-data-split alone\n"
                    "\n"
                    "show options:\n";
    s += cli::option_help(show_options);
    s += "apply options:\n";
    s += cli::option_help(apply_options);
    s += "undo options:\n";
    s += cli::option_help(undo_options);
    s += "\n"
         "Exit status: 0 done, 2 usage error, 3 runtime error, 4 the device lacks a\n"
         "feature. See zcrx-nic(1) for details.\n";
    return s;
}

// ---- output helpers ----

// Errors and warnings come after the progress printed before them, even
// when both streams go to one pipe.
void report(const Error &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "zcrx-nic: %s\n", e.message().c_str());
}

int fail(const Error &e) {
    report(e);
    return e.err == EOPNOTSUPP ? cli::exit_unsupported : cli::exit_runtime;
}

void warn(const std::string &msg) {
    std::fflush(stdout);
    std::fprintf(stderr, "zcrx-nic: warning: %s\n", msg.c_str());
}

std::string na(std::uint32_t v) {
    return v ? std::to_string(v) : std::string("n/a");
}

std::string join(std::span<const std::uint32_t> v, const char *sep = " ") {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i)
            out += sep;
        out += std::to_string(v[i]);
    }
    return out;
}

// ---- device and state ----

Result<std::uint32_t> ifindex_of(const std::string &dev) {
    if (dev.empty() || dev.size() >= IFNAMSIZ)
        return Error(EINVAL, "use \"" + dev + "\" as an interface name", {},
                     "interface names are 1 to " + std::to_string(IFNAMSIZ - 1) + " characters");
    const unsigned int idx = ::if_nametoindex(dev.c_str());
    if (idx == 0) {
        const int err = errno == ENXIO ? ENODEV : errno;
        return Error(err, "find interface " + dev, {}, et::feature_advice({}, dev, ENODEV));
    }
    return std::uint32_t{idx};
}

// One state file per device and network namespace.
std::string state_path(std::string_view dir, const std::string &dev) {
    struct stat st {};
    const unsigned long long ns =
        ::stat("/proc/self/ns/net", &st) == 0 ? static_cast<unsigned long long>(st.st_ino) : 0;
    return std::string(dir) + "/" + dev + "." + std::to_string(ns);
}

// nullopt if there is no state file; an Error if it is unreadable or garbled.
Result<std::optional<et::UndoLog>> read_state(const std::string &path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::optional<et::UndoLog>();
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
    }
    Result<et::UndoLog> log = et::UndoLog::parse(text);
    if (!log) {
        Error e = std::move(log).error();
        e.what = "read " + path;
        return e;
    }
    return std::optional<et::UndoLog>(std::move(log).value());
}

// Replaces the state file at once (a new file renamed over it).
Result<void> write_state(const std::string &dir, const std::string &path, const et::UndoLog &log) {
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
        return Error(errno, "create " + dir, {}, "pass another --state-dir");
    const std::string tmp = path + ".tmp";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return Error(errno, "create " + tmp, {}, "pass another --state-dir");
    const std::string text = log.to_text();
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

struct Session {
    std::string dev;
    std::uint32_t ifindex = 0;
    et::Netlink nl;
    et::Ioctl io;
};

Result<Session> open_session(const std::string &dev) {
    Result<std::uint32_t> idx = ifindex_of(dev);
    if (!idx)
        return std::move(idx).error();
    Result<et::Netlink> nl = et::Netlink::open();
    if (!nl)
        return std::move(nl).error();
    Result<et::Ioctl> io = et::Ioctl::open(dev);
    if (!io)
        return std::move(io).error();
    return Session{dev, *idx, std::move(nl).value(), std::move(io).value()};
}

// ---- show ----

struct RssView {
    std::uint32_t rx_rings = 0;
    std::vector<std::uint32_t> indir;
};

Result<RssView> read_rss(Session &s) {
    RssView v;
    Result<std::uint32_t> rings = s.io.rx_rings();
    if (!rings)
        return std::move(rings).error();
    v.rx_rings = *rings;
    // Netlink first (Linux 6.4+); older kernels answer EOPNOTSUPP for the
    // unknown command, and so does a device without RSS: the ioctl decides.
    if (Result<et::Rss> rss = s.nl.rss(s.dev); rss && !rss->indir.empty()) {
        v.indir = std::move(rss).value().indir;
        return v;
    }
    Result<std::vector<std::uint32_t>> indir = s.io.indir();
    if (!indir)
        return std::move(indir).error();
    v.indir = std::move(indir).value();
    return v;
}

struct RulesView {
    et::RuleCount count;
    std::vector<std::pair<std::uint32_t, ethtool_rx_flow_spec>> rules;
};

Result<RulesView> read_rules(Session &s) {
    RulesView v;
    Result<et::RuleCount> count = s.io.rule_count();
    if (!count)
        return std::move(count).error();
    v.count = *count;
    if (v.count.count == 0)
        return v;
    Result<std::vector<std::uint32_t>> locs = s.io.rule_locations(v.count.count);
    if (!locs)
        return std::move(locs).error();
    for (const std::uint32_t loc : *locs) {
        Result<ethtool_rx_flow_spec> fs = s.io.rule(loc);
        if (!fs)
            return std::move(fs).error();
        v.rules.emplace_back(loc, *fs);
    }
    return v;
}

int cmd_show(const std::string &dev, bool json, const std::string &state_dir) {
    // Machines get a JSON answer on stdout even when it is an error.
    const auto show_failed = [&](const Error &e) {
        if (json) {
            zcrx::Json j = zcrx::json_error(e);
            j["device"] = dev;
            zcrx::print_json_line(j);
        }
        return fail(e);
    };
    Result<Session> session = open_session(dev);
    if (!session)
        return show_failed(session.error());
    Session &s = *session;

    // Without channels there is no queue to set up: that is the one failure.
    Result<et::Channels> ch = s.nl.channels(dev);
    if (!ch)
        return show_failed(ch.error());
    const Result<et::Rings> rings = s.nl.rings(dev);
    const Result<RssView> rss = read_rss(s);
    const Result<RulesView> rules = read_rules(s);
    const Result<std::vector<et::RxQueue>> queues = s.nl.rx_queues(s.ifindex);
    const Result<std::vector<et::PagePool>> pools = s.nl.page_pools(s.ifindex);
    const std::string spath = state_path(state_dir, dev);
    const Result<std::optional<et::UndoLog>> state = read_state(spath);

    if (json) {
        // a part that could not be read is {"error": MESSAGE}
        const auto error_of = [](const Error &e) { return zcrx::Json{{"error", e.message()}}; };
        zcrx::Json j = zcrx::json_document();
        j["device"] = dev;
        j["ifindex"] = s.ifindex;
        j["channels"] = {{"rx", ch->rx},
                         {"rx_max", ch->rx_max},
                         {"tx", ch->tx},
                         {"tx_max", ch->tx_max},
                         {"other", ch->other},
                         {"other_max", ch->other_max},
                         {"combined", ch->combined},
                         {"combined_max", ch->combined_max},
                         {"rx_queues", ch->rx_queues()}};
        if (rings)
            j["rings"] = {{"rx", rings->rx},
                          {"rx_max", rings->rx_max},
                          {"tx", rings->tx},
                          {"tx_max", rings->tx_max},
                          {"rx_buf_len", rings->rx_buf_len},
                          {"tcp_data_split", et::to_string(rings->tcp_data_split)}};
        else
            j["rings"] = error_of(rings.error());
        if (rss)
            j["rss"] = {{"rx_rings", rss->rx_rings}, {"indir", rss->indir}};
        else
            j["rss"] = error_of(rss.error());
        if (rules) {
            zcrx::Json list = zcrx::Json::array();
            for (const auto &[loc, fs] : rules->rules)
                list.push_back({{"location", loc}, {"rule", et::describe_rule(fs)}});
            j["ntuple"] = {{"table_size", rules->count.table_size}, {"rules", std::move(list)}};
        } else {
            j["ntuple"] = error_of(rules.error());
        }
        if (queues) {
            zcrx::Json list = zcrx::Json::array();
            for (const et::RxQueue &q : *queues) {
                zcrx::Json o = {
                    {"id", q.id}, {"napi_id", q.napi_id}, {"provider", et::to_string(q.provider)}};
                if (q.provider == et::Provider::dmabuf)
                    o["dmabuf"] = q.dmabuf;
                list.push_back(std::move(o));
            }
            j["queues"] = std::move(list);
        } else {
            j["queues"] = error_of(queues.error());
        }
        if (pools) {
            zcrx::Json list = zcrx::Json::array();
            for (const et::PagePool &p : *pools)
                list.push_back({{"id", p.id},
                                {"provider", et::to_string(p.provider)},
                                {"inflight", p.inflight},
                                {"detached", p.detached}});
            j["page_pools"] = std::move(list);
        } else {
            j["page_pools"] = error_of(pools.error());
        }
        j["applied"] = nullptr;
        if (state && state->has_value()) {
            zcrx::Json undo = zcrx::Json::array();
            for (const et::UndoStep &step : (*state)->steps)
                undo.push_back(et::to_text(step));
            j["applied"] = {
                {"queue", (*state)->queue}, {"port", (*state)->port}, {"undo", std::move(undo)}};
        }
        zcrx::print_json_line(j);
        return cli::exit_ok;
    }

    std::printf("device: %s (ifindex %u)\n", dev.c_str(), s.ifindex);
    std::printf("channels: combined %s (max %s), rx %s (max %s), tx %s (max %s), other %s "
                "(max %s)\n",
                na(ch->combined).c_str(), na(ch->combined_max).c_str(), na(ch->rx).c_str(),
                na(ch->rx_max).c_str(), na(ch->tx).c_str(), na(ch->tx_max).c_str(),
                na(ch->other).c_str(), na(ch->other_max).c_str());
    std::printf("rx queues: %u\n", ch->rx_queues());
    if (rings) {
        std::printf("rings: rx %s (max %s), tx %s (max %s), rx-buf-len %s\n", na(rings->rx).c_str(),
                    na(rings->rx_max).c_str(), na(rings->tx).c_str(), na(rings->tx_max).c_str(),
                    na(rings->rx_buf_len).c_str());
        std::printf("tcp-data-split: %s\n",
                    rings->tcp_data_split == et::TcpDataSplit::unknown
                        ? "not reported"
                        : std::string(et::to_string(rings->tcp_data_split)).c_str());
    } else {
        std::printf("rings: unavailable: %s\n", rings.error().message().c_str());
    }
    if (rss) {
        std::printf("rss: %zu entries over %u rx rings\n", rss->indir.size(), rss->rx_rings);
        for (std::size_t i = 0; i < rss->indir.size(); i += 16) {
            const std::size_t n = std::min<std::size_t>(16, rss->indir.size() - i);
            std::printf("  %5zu: %s\n", i, join(std::span(rss->indir).subspan(i, n)).c_str());
        }
    } else {
        std::printf("rss: unavailable: %s\n", rss.error().message().c_str());
    }
    if (rules) {
        std::printf("ntuple rules: %zu (table size %u)\n", rules->rules.size(),
                    rules->count.table_size);
        for (const auto &[loc, fs] : rules->rules)
            std::printf("  %u: %s\n", loc, et::describe_rule(fs).c_str());
    } else {
        std::printf("ntuple rules: unavailable: %s\n", rules.error().message().c_str());
    }
    if (queues) {
        std::string held;
        for (const et::RxQueue &q : *queues)
            if (q.provider != et::Provider::none)
                held += (held.empty() ? "" : ", ") + std::to_string(q.id) + " " +
                        std::string(et::to_string(q.provider));
        std::printf("memory providers: %s\n", held.empty() ? "none" : held.c_str());
    } else {
        std::printf("memory providers: unavailable: %s\n", queues.error().message().c_str());
    }
    if (pools) {
        std::printf("page pools: %zu\n", pools->size());
        for (const et::PagePool &p : *pools)
            std::printf("  %llu: %s, %llu in flight%s\n", static_cast<unsigned long long>(p.id),
                        std::string(et::to_string(p.provider)).c_str(),
                        static_cast<unsigned long long>(p.inflight),
                        p.detached ? ", detached" : "");
    } else {
        std::printf("page pools: unavailable: %s\n", pools.error().message().c_str());
    }
    if (!state)
        std::printf("zcrx-nic apply: %s\n", state.error().message().c_str());
    else if (state->has_value())
        std::printf("zcrx-nic apply: queue %u, port %u, %zu step(s) to undo (%s)\n",
                    (*state)->queue, unsigned{(*state)->port}, (*state)->steps.size(),
                    spath.c_str());
    return cli::exit_ok;
}

// ---- undo: the log backwards ----

// Carries out one step of an undo log. A rule that is gone or no longer
// ours needs no undoing. False, after saying why, if the step failed.
bool undo_step(Session &s, const et::UndoStep &step) {
    const char *dev = s.dev.c_str();
    const auto done = [&](const Result<void> &r, const std::string &what) {
        if (!r) {
            report(r.error());
            return false;
        }
        std::printf("%s: %s\n", dev, what.c_str());
        return true;
    };
    if (const auto *ch = std::get_if<et::SetChannels>(&step))
        return done(s.nl.set_channels(s.dev, ch->combined),
                    "channels: " + std::to_string(ch->combined) + " combined");
    if (const auto *split = std::get_if<et::SetTcpDataSplit>(&step))
        return done(s.nl.set_tcp_data_split(s.dev, split->value),
                    "tcp-data-split: " + (split->value == et::TcpDataSplit::unknown
                                              ? std::string("auto (the driver's default)")
                                              : std::string(et::to_string(split->value))));
    if (const auto *rss = std::get_if<et::SetRss>(&step))
        return done(s.io.set_indir(rss->indir),
                    rss->indir.empty()
                        ? std::string("rss: the default, equal over all RX queues")
                        : "rss: the " + std::to_string(rss->indir.size()) + " entries it had");
    const auto &rule = std::get<et::DeleteRule>(step);
    const std::string at = "rule at location " + std::to_string(rule.location);
    Result<ethtool_rx_flow_spec> fs = s.io.rule(rule.location);
    if (!fs) {
        const int err = fs.error().err;
        if (err != ENOENT && err != EINVAL && err != EOPNOTSUPP) {
            report(fs.error());
            return false;
        }
        warn(at + " is gone (" + fs.error().message() + "): nothing to remove");
        return true;
    }
    if (!et::is_port_rule(*fs, rule.port)) {
        warn(at + " is not the one apply added (" + et::describe_rule(*fs) + "): left alone");
        return true;
    }
    return done(s.io.delete_rule(rule.location), "ntuple: removed " + et::describe_rule(*fs));
}

// Runs log backwards on the device. The steps that failed stay in the state
// file for another "zcrx-nic undo"; with none left, the file goes.
bool run_undo(Session &s, const et::UndoLog &log, const std::string &state_dir,
              const std::string &spath) {
    et::UndoLog left = log;
    if (log.ifindex != s.ifindex) {
        warn(s.dev + " was re-created since apply (ifindex " + std::to_string(log.ifindex) +
             ", now " + std::to_string(s.ifindex) + "): what apply changed went with it");
        left.steps.clear();
    } else {
        left.steps =
            log.run_backwards([&](const et::UndoStep &step) { return undo_step(s, step); });
    }
    const Result<void> saved =
        left.steps.empty() ? remove_state(spath) : write_state(state_dir, spath, left);
    if (!saved)
        report(saved.error());
    if (!left.steps.empty())
        warn(std::to_string(left.steps.size()) + " step(s) failed and remain in " + spath +
             ": zcrx-nic undo " + s.dev + " tries them again");
    return left.steps.empty() && saved;
}

int cmd_undo(const std::string &dev, std::optional<std::uint16_t> port,
             const std::string &state_dir) {
    Result<Session> session = open_session(dev);
    if (!session)
        return fail(session.error());
    Session &s = *session;
    const std::string spath = state_path(state_dir, dev);
    Result<std::optional<et::UndoLog>> log = read_state(spath);
    if (!log)
        return fail(log.error());
    if (log->has_value()) {
        if (port && (*log)->port != *port)
            warn("--port " + std::to_string(*port) + " ignored: apply recorded port " +
                 std::to_string((*log)->port) + " in " + spath);
        return run_undo(s, **log, state_dir, spath) ? cli::exit_ok : cli::exit_runtime;
    }
    if (!port) {
        std::printf("%s: no record of zcrx-nic apply in %s: nothing to undo (pass --port P to "
                    "remove rules steering port P)\n",
                    dev.c_str(), spath.c_str());
        return cli::exit_ok;
    }
    // No log: the rules for the port are all that can be told apart.
    Result<RulesView> rules = read_rules(s);
    if (!rules)
        return fail(rules.error());
    bool ok = true;
    for (const auto &[loc, fs] : rules->rules)
        if (et::is_port_rule(fs, *port))
            ok = undo_step(s, et::DeleteRule{loc, *port}) && ok;
    return ok ? cli::exit_ok : cli::exit_runtime;
}

// ---- apply ----

struct ApplyRequest {
    std::uint32_t queue = 0;
    std::uint16_t port = 0;
    std::optional<std::uint32_t> channels;
    bool v4 = true;
    bool v6 = true;
};

// The undo log apply keeps while it changes the device, saved as the state
// file after every entry: the state file always undoes what has been done.
class Journal {
public:
    Journal(Session &s, std::string state_dir, std::string path, et::UndoLog log)
        : s_(s), dir_(std::move(state_dir)), path_(std::move(path)), log_(std::move(log)) {}

    // Saves the empty log: a state directory that cannot take it fails
    // before anything changes.
    [[nodiscard]] Result<void> start() { return write_state(dir_, path_, log_); }

    // make() makes a change that undo takes back: undo is logged first,
    // and dropped again if the change fails (then nothing changed).
    template <typename Make>
    [[nodiscard]] Result<void> change(et::UndoStep undo, Make &&make) {
        log_.steps.push_back(std::move(undo));
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
    [[nodiscard]] Result<void> made(et::UndoStep undo) {
        log_.steps.push_back(std::move(undo));
        return write_state(dir_, path_, log_);
    }

    // A step failed: everything logged so far, backwards.
    void roll_back() {
        if (log_.steps.empty()) {
            (void)remove_state(path_);
            return;
        }
        std::printf("%s: rolling back %zu change(s)\n", s_.dev.c_str(), log_.steps.size());
        (void)run_undo(s_, log_, dir_, path_);
    }

private:
    Session &s_;
    std::string dir_, path_;
    et::UndoLog log_;
};

Result<void> add_rules(Session &s, Journal &journal, const ApplyRequest &req,
                       const et::RuleCount &count, std::vector<std::uint32_t> used) {
    for (const et::IpVersion ip : {et::IpVersion::v4, et::IpVersion::v6}) {
        if ((ip == et::IpVersion::v4 && !req.v4) || (ip == et::IpVersion::v6 && !req.v6))
            continue;
        ethtool_rx_flow_spec fs = et::port_rule(ip, req.port, req.queue);
        if (!count.special_locations) {
            const std::optional<std::uint32_t> loc = et::free_location(used, count.table_size);
            if (!loc)
                return Error(ENOSPC, "add an ntuple rule to " + s.dev, {},
                             "all " + std::to_string(count.table_size) +
                                 " rule locations are in use (ethtool -n " + s.dev + ")");
            fs.location = *loc;
        }
        const auto insert = [&]() -> Result<void> {
            Result<std::uint32_t> loc = s.io.insert_rule(fs);
            if (!loc)
                return std::move(loc).error();
            fs.location = *loc;
            return {};
        };
        // Where the driver puts a rule is known only once it is there.
        Result<void> r = count.special_locations
                             ? insert()
                             : journal.change(et::DeleteRule{fs.location, req.port}, insert);
        if (r && count.special_locations)
            r = journal.made(et::DeleteRule{fs.location, req.port});
        if (!r)
            return r;
        used.push_back(fs.location);
        std::printf("%s: ntuple: %s\n", s.dev.c_str(), et::describe_rule(fs).c_str());
    }
    return {};
}

int cmd_apply(const std::string &dev, const ApplyRequest &req, const std::string &state_dir) {
    Result<Session> session = open_session(dev);
    if (!session)
        return fail(session.error());
    Session &s = *session;

    const std::string spath = state_path(state_dir, dev);
    Result<std::optional<et::UndoLog>> old = read_state(spath);
    if (!old)
        return fail(old.error());
    if (old->has_value()) {
        std::printf("%s: replacing the earlier setup (queue %u, port %u)\n", dev.c_str(),
                    (*old)->queue, unsigned{(*old)->port});
        if (!run_undo(s, **old, state_dir, spath))
            return cli::exit_runtime;
    }

    // Probe everything first: a device that lacks a feature is left untouched.
    Result<et::Channels> ch = s.nl.channels(dev);
    if (!ch)
        return fail(ch.error());
    Result<et::Rings> rings = s.nl.rings(dev);
    if (!rings)
        return fail(rings.error());
    Result<std::uint32_t> rx_rings = s.io.rx_rings();
    if (!rx_rings)
        return fail(rx_rings.error());
    Result<std::vector<std::uint32_t>> indir_before = s.io.indir();
    if (!indir_before)
        return fail(indir_before.error());
    Result<et::RuleCount> rule_count = s.io.rule_count();
    if (!rule_count)
        return fail(rule_count.error());
    std::vector<std::uint32_t> used;
    if (!rule_count->special_locations && rule_count->count > 0) {
        Result<std::vector<std::uint32_t>> locs = s.io.rule_locations(rule_count->count);
        if (!locs)
            return fail(locs.error());
        used = std::move(locs).value();
    }

    if (req.channels) {
        if (ch->combined_max == 0)
            return fail(Error(
                EOPNOTSUPP,
                "set " + dev + " to " + std::to_string(*req.channels) + " combined channels", {},
                dev + " has no combined channels; set its RX channels with "
                      "ethtool -L instead"));
        if (*req.channels > ch->combined_max)
            return fail(
                Error(ERANGE,
                      "set " + dev + " to " + std::to_string(*req.channels) + " combined channels",
                      {}, dev + " has at most " + std::to_string(ch->combined_max)));
    }
    const std::uint32_t rings_after = req.channels ? *req.channels + ch->rx : *rx_rings;
    if (rings_after < 2 || req.queue >= rings_after)
        return fail(Error(ERANGE, "dedicate queue " + std::to_string(req.queue) + " of " + dev, {},
                          dev + " has " + std::to_string(rings_after) +
                              " RX queue(s); zero-copy receive needs a queue other than the ones "
                              "RSS uses, so at least 2 (--channels N sets more)"));

    et::UndoLog header;
    header.ifindex = s.ifindex;
    header.queue = req.queue;
    header.port = req.port;
    Journal journal(s, state_dir, spath, std::move(header));
    if (Result<void> r = journal.start(); !r)
        return fail(r.error());
    const auto give_up = [&](const Error &e) {
        const int status = fail(e);
        journal.roll_back();
        return status;
    };

    if (req.channels && *req.channels != ch->combined) {
        // The kernel refuses fewer channels than a custom RSS table uses.
        if (et::max_ring(*indir_before).value_or(0) >= rings_after)
            if (Result<void> r = journal.change(et::restore_rss(*indir_before, *rx_rings),
                                                [&] { return s.io.set_indir({}); });
                !r)
                return give_up(r.error());
        if (Result<void> r = journal.change(et::SetChannels{ch->combined},
                                            [&] { return s.nl.set_channels(dev, *req.channels); });
            !r)
            return give_up(r.error());
        std::printf("%s: channels: %u -> %u combined\n", dev.c_str(), ch->combined, *req.channels);
    }
    Result<std::uint32_t> rings_now = s.io.rx_rings();
    if (!rings_now)
        return give_up(rings_now.error());
    if (*rings_now < 2 || req.queue >= *rings_now)
        return give_up(Error(ERANGE, "dedicate queue " + std::to_string(req.queue) + " of " + dev,
                             {}, dev + " has " + std::to_string(*rings_now) + " RX rings"));

    if (rings->tcp_data_split != et::TcpDataSplit::enabled) {
        if (Result<void> r = journal.change(
                et::SetTcpDataSplit{rings->tcp_data_split},
                [&] { return s.nl.set_tcp_data_split(dev, et::TcpDataSplit::enabled); });
            !r)
            return give_up(r.error());
        Result<et::Rings> check = s.nl.rings(dev);
        if (!check)
            return give_up(check.error());
        if (check->tcp_data_split == et::TcpDataSplit::unknown)
            warn(dev + " accepted tcp-data-split on but does not report it: cannot confirm");
        else if (check->tcp_data_split != et::TcpDataSplit::enabled)
            return give_up(Error(EOPNOTSUPP, "set tcp-data-split of " + dev + " to on",
                                 "the device still reports it " +
                                     std::string(et::to_string(check->tcp_data_split)),
                                 et::feature_advice(et::Feature::tcp_data_split, dev, EOPNOTSUPP)));
        std::printf("%s: tcp-data-split: %s -> on\n", dev.c_str(),
                    std::string(et::to_string(rings->tcp_data_split)).c_str());
    } else {
        std::printf("%s: tcp-data-split: already on\n", dev.c_str());
    }

    // The table as it is now: a channel change may have spread it anew.
    Result<std::vector<std::uint32_t>> indir_now = s.io.indir();
    if (!indir_now)
        return give_up(indir_now.error());
    const std::optional<std::vector<std::uint32_t>> table = et::equal_indir_excluding(
        static_cast<std::uint32_t>(indir_now->size()), *rings_now, req.queue);
    if (!table)
        return give_up(Error(EINVAL, "compute an RSS table for " + dev, {}, ""));
    if (Result<void> r = journal.change(et::restore_rss(std::move(indir_now).value(), *rings_now),
                                        [&] { return s.io.set_indir(*table); });
        !r)
        return give_up(r.error());
    std::printf("%s: rss: %zu entries spread over %u RX queues, none to queue %u\n", dev.c_str(),
                table->size(), *rings_now - 1, req.queue);

    if (Result<void> r = add_rules(s, journal, req, *rule_count, std::move(used)); !r)
        return give_up(r.error());
    std::printf("%s: queue %u ready for zero-copy receive on TCP port %u (undo: zcrx-nic undo "
                "%s)\n",
                dev.c_str(), req.queue, unsigned{req.port}, dev.c_str());
    return cli::exit_ok;
}

// ---- split ----

int cmd_split(const std::string &dev, et::TcpDataSplit want) {
    Result<std::uint32_t> idx = ifindex_of(dev);
    if (!idx)
        return fail(idx.error());
    Result<et::Netlink> nl = et::Netlink::open();
    if (!nl)
        return fail(nl.error());
    if (Result<void> r = nl->set_tcp_data_split(dev, want); !r)
        return fail(r.error());
    Result<et::Rings> now = nl->rings(dev);
    if (!now)
        return fail(now.error());
    if (want != et::TcpDataSplit::unknown && now->tcp_data_split != et::TcpDataSplit::unknown &&
        now->tcp_data_split != want)
        return fail(Error(
            EOPNOTSUPP, "set tcp-data-split of " + dev + " to " + std::string(et::to_string(want)),
            "the device still reports it " + std::string(et::to_string(now->tcp_data_split)),
            et::feature_advice(et::Feature::tcp_data_split, dev, EOPNOTSUPP)));
    std::printf("%s: tcp-data-split: %s\n", dev.c_str(),
                now->tcp_data_split == et::TcpDataSplit::unknown
                    ? "set (the device does not report it)"
                    : std::string(et::to_string(now->tcp_data_split)).c_str());
    return cli::exit_ok;
}

// ---- command line ----

et::TcpDataSplit parse_split(std::string_view v) {
    if (v == "on")
        return et::TcpDataSplit::enabled;
    if (v == "off")
        return et::TcpDataSplit::disabled;
    if (v == "auto")
        return et::TcpDataSplit::unknown;
    throw cli::UsageError("split: '" + std::string(v) + "' is not on, off or auto");
}

std::span<const char *const> rest_of(int argc, char **argv, int from) {
    return {argv + from, static_cast<std::size_t>(argc - from)};
}

int run(int argc, char **argv) {
    if (argc < 2)
        throw cli::UsageError("missing command: show, apply, undo or split");
    const std::string_view cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        std::fputs(help_text().c_str(), stdout);
        return cli::exit_ok;
    }

    std::span<const cli::Option> opts;
    if (cmd == "show")
        opts = show_options;
    else if (cmd == "split")
        opts = split_options;
    else if (cmd == "apply")
        opts = apply_options;
    else if (cmd == "undo")
        opts = undo_options;
    else
        throw cli::UsageError("unknown command '" + std::string(cmd) +
                              "': expected show, apply, undo or split");

    const cli::Args args = cli::Args::parse(opts, rest_of(argc, argv, 2));
    if (args.has("help")) {
        std::fputs(help_text().c_str(), stdout);
        return cli::exit_ok;
    }
    const bool split = cmd == "split";
    if (split)
        args.expect_positional(2, 2, "DEV on|off|auto");
    else
        args.expect_positional(1, 1, "DEV");
    const std::string dev(args.positional()[0]);
    if (dev.empty() || dev.size() >= IFNAMSIZ)
        throw cli::UsageError("DEV: '" + dev + "' is not an interface name (1 to " +
                              std::to_string(IFNAMSIZ - 1) + " characters)");
    if (split)
        return cmd_split(dev, parse_split(args.positional()[1]));
    const std::string state_dir(args.value("state-dir").value_or(default_state_dir));

    if (cmd == "show")
        return cmd_show(dev, args.has("json"), state_dir);

    if (cmd == "undo") {
        std::optional<std::uint16_t> port;
        if (const auto p = args.value("port"))
            port = cli::parse_port(*p, "--port");
        return cmd_undo(dev, port, state_dir);
    }

    ApplyRequest req;
    req.queue = static_cast<std::uint32_t>(
        cli::parse_count(args.required("queue"), "--queue", 0, UINT32_MAX - 1));
    req.port = cli::parse_port(args.required("port"), "--port");
    if (args.has("channels"))
        req.channels = static_cast<std::uint32_t>(args.count_or("channels", 0, 2, 65535));
    const std::string_view ip = args.value("ip").value_or("both");
    if (ip == "4")
        req.v6 = false;
    else if (ip == "6")
        req.v4 = false;
    else if (ip != "both")
        throw cli::UsageError("--ip: '" + std::string(ip) + "' is not 4, 6 or both");
    return cmd_apply(dev, req, state_dir);
}

} // namespace

int main(int argc, char **argv) {
    return cli::guard("zcrx-nic", cli::exit_runtime, [&] { return run(argc, argv); });
}
