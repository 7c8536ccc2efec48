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
#include "zcrx/nic_setup.hpp"
#include "zcrx/result.hpp"
#include "zcrx/undo_log.hpp"

namespace {

namespace cli = zcrx::cli;
namespace et = zcrx::ethtool;
using zcrx::Error;
using zcrx::Fd;
using zcrx::Result;
using zcrx::ethtool::open_session;
using zcrx::ethtool::read_state;
using zcrx::ethtool::Session;
using zcrx::ethtool::state_path;

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

// What apply and undo say: changes on stdout, problems on stderr.
et::SetupOutput output() {
    return {[](const std::string &line) { std::printf("%s\n", line.c_str()); }, warn, report};
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
        return et::run_undo(s, **log, state_dir, spath, output()) ? cli::exit_ok
                                                                  : cli::exit_runtime;
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
            ok = et::undo_step(s, et::DeleteRule{loc, *port}, output()) && ok;
    return ok ? cli::exit_ok : cli::exit_runtime;
}

// ---- apply ----

int cmd_apply(const std::string &dev, const et::SetupRequest &req) {
    Result<et::NicSetup> setup = et::NicSetup::apply(dev, req, output());
    if (!setup)
        return fail(setup.error());
    setup->release(); // the device stays set up; the state file tells undo how to undo it
    std::printf("%s: queue %u ready for zero-copy receive on TCP port %u (undo: zcrx-nic undo "
                "%s)\n",
                dev.c_str(), req.queue, unsigned{req.port}, dev.c_str());
    return cli::exit_ok;
}

// ---- split ----

int cmd_split(const std::string &dev, et::TcpDataSplit want) {
    Result<std::uint32_t> idx = et::ifindex_of(dev);
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
    const std::string state_dir(args.value("state-dir").value_or(et::default_state_dir));

    if (cmd == "show")
        return cmd_show(dev, args.has("json"), state_dir);

    if (cmd == "undo") {
        std::optional<std::uint16_t> port;
        if (const auto p = args.value("port"))
            port = cli::parse_port(*p, "--port");
        return cmd_undo(dev, port, state_dir);
    }

    et::SetupRequest req;
    req.state_dir = state_dir;
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
    return cmd_apply(dev, req);
}

} // namespace

int main(int argc, char **argv) {
    return cli::guard("zcrx-nic", cli::exit_runtime, [&] { return run(argc, argv); });
}
