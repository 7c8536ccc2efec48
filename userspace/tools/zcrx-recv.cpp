// zcrx-recv: accept TCP connections and receive them with io_uring zero-copy
// receive, optionally verifying zcrx-send's pattern or computing a checksum.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recv/receiver.hpp"
#include "recv/report.hpp"
#include "recv/settings.hpp"
#include "zcrx/area.hpp"
#include "zcrx/cli.hpp"
#include "zcrx/error.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/fdinfo.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/json.hpp"
#include "zcrx/net.hpp"
#include "zcrx/nic_setup.hpp"
#include "zcrx/progress.hpp"
#include "zcrx/query.hpp"
#include "zcrx/recv_tool.hpp"
#include "zcrx/result.hpp"
#include "zcrx/ring.hpp"

namespace {

namespace cli = zcrx::cli;
using namespace zcrx_recv;

constexpr cli::Option options[] = {
    {"ifname", "DEV[,DEV...]", "the NIC(s) receiving (required but for --nodev)"},
    {"queue", "Q[,Q...]", "RX queue(s) to register (required but for --nodev)"},
    {"nodev", "", "no NIC: any TCP socket, all copied (see above)"},
    {"area-size", "SIZE", "memory area received data lands in (default 32M)"},
    {"rq-entries", "N", "refill ring entries, a power of two (default 4096, at most 32768)"},
    {"region", "user|kernel", "refill ring in our memory or in the kernel's (default user)"},
    {"huge-pages", "", "back the area with huge pages (MAP_HUGETLB)"},
    {"rx-buf-len", "SIZE",
     "bytes per receive buffer, a power of two (default: a page; larger "
     "needs --huge-pages and a NIC that posts them)"},
    {"area", "memory|dmabuf", "the area: our memory, or a dma-buf (udmabuf; see above)"},
    {"shared-ring", "", "receive on a second ring that imports the queue (see above)"},
    {"hold", "N", "hold back the N newest buffers: a slow consumer (default 0, see above)"},
    {"connections", "N", "connections to accept, received concurrently (default 1)"},
    {"verify", "", "check every stream against zcrx-send's pattern"},
    {"checksum", "", "print each stream's POSIX cksum (compare with: cksum < FILE)"},
    {"expect-bytes", "SIZE", "every connection must carry exactly SIZE bytes"},
    {"grow", "SIZE", "add an area of SIZE (default: --area-size) when buffers run out", 0, true},
    {"grow-max", "N", "with --grow: add at most N areas per queue (default 16)"},
    {"setup", "", "set each NIC up for its queue and port, and undo it on exit (see above)"},
    {"interval", "SECS", "print progress every SECS seconds (0.1 to 3600) while receiving"},
    {"json", "", "print the results as one JSON object on stdout (see above)"},
    {"help", "", "show this help and exit", 'h'},
};

std::string help_text() {
    std::string s =
        "Usage: zcrx-recv --ifname DEV --queue Q [OPTIONS] ADDRESS PORT\n"
        "       zcrx-recv --ifname DEV[,DEV...] --queue Q,Q... [OPTIONS] ADDRESS PORT,PORT...\n"
        "       zcrx-recv --nodev [OPTIONS] ADDRESS PORT\n"
        "\n"
        "Register RX queue Q of DEV for io_uring zero-copy receive, listen on ADDRESS\n"
        "PORT (IPv4 or IPv6; 0.0.0.0 or :: for any), accept --connections connections\n"
        "and receive each with one multishot RECV_ZC request until the peer closes. All\n"
        "connections are received concurrently on one ring. Data steered to queue Q\n"
        "arrives without a copy; data of other queues is copied into the area by the\n"
        "kernel (copy fallback): zcrx-nic apply sets up the steering.\n"
        "\n"
        "Each connection is its own stream: with --verify, byte n of every stream must\n"
        "be zcrx-send's pattern byte at offset n. Prints bytes, seconds, throughput,\n"
        "completions (cqes) and re-arms (requests that ran out of buffers or completion\n"
        "space and were submitted again) per connection and in total. Time runs from\n"
        "the accept to the end of the stream.\n"
        "\n"
        "--hold N plays a consumer that is slow to give buffers back: the N newest\n"
        "buffers (of all connections) stay out of the kernel's reach, and each one\n"
        "received beyond them sends the oldest back. Held buffers are verified (or\n"
        "checksummed) when they are let go, so a buffer the kernel reused while it was\n"
        "held shows up as a mismatch. N must be below the area's buffer count (area\n"
        "size / page size: 512 for 2M of 4K pages). Close to it, the kernel runs\n"
        "short: the NIC drops what it has no buffer for (the sender retransmits), and\n"
        "a receive that finds no buffer to copy into ends with ENOMEM; then every\n"
        "held buffer goes back before the receive is re-armed. Held buffers also all\n"
        "go back after " +
        std::to_string(hold_idle.count()) +
        " ms without data: the few the consumer leaves the kernel\n"
        "can all be stuck in TCP's out-of-order queue, behind a lost segment that\n"
        "has no buffer to land in.\n"
        "\n"
        "--area dmabuf receives into a dma-buf (a udmabuf over a memfd, as devmem's\n"
        "ncdevmem uses) instead of pinned memory. The kernel cannot copy into a\n"
        "dma-buf: a flow not steered to queue Q fails with EFAULT.\n"
        "\n"
        "With several queues (a comma-separated --queue, one PORT each, and one device\n"
        "or one per queue), each queue gets its own interface queue and area on the one\n"
        "ring; connections on the i-th port are received through the i-th queue, so\n"
        "steer that port to it. --connections applies to each port.\n"
        "\n"
        "--shared-ring registers the queue on one ring, exports it (ZCRX_CTRL_EXPORT)\n"
        "and receives on a second ring that imports it (ZCRX_REG_IMPORT), as a program\n"
        "with one ring per thread would; the first ring stays open throughout.\n"
        "\n"
        "--nodev registers a device-less interface queue (ZCRX_REG_NODEV, Linux 7.1)\n"
        "instead: no NIC set-up, no --ifname or --queue, one PORT, any TCP socket\n"
        "(loopback, veth). The kernel copies every byte into the area (its zero-copy\n"
        "count stays 0); completions and the refill ring work as with a device. The\n"
        "area is memory, not a dma-buf; --rx-buf-len needs no huge pages.\n"
        "\n"
        "Where the kernel has zcrx events (Linux 7.2), zcrx-recv asks to be told when\n"
        "data is copied and when buffers run out (again 250 ms after each time), and\n"
        "has the kernel count its copies. It reports when the copy fallback first\n"
        "kicked in (seconds into the transfer), why as far as the kernel's counts tell,\n"
        "the copies counted and how often buffers ran out. --grow (Linux 7.3,\n"
        "ZCRX_CTRL_ADD_AREA) adds an area of SIZE (default: the first area's size, a\n"
        "multiple of the buffer size) each time buffers run out, up to --grow-max\n"
        "areas per queue.\n"
        "\n"
        "--setup does what zcrx-nic apply does for each queue and its port first\n"
        "(tcp-data-split on, RSS off the queue, the port steered to it; one queue per\n"
        "device) and undoes it when zcrx-recv exits: after the transfer, on a failure,\n"
        "and on SIGINT or SIGTERM, which then end the receive (exit 3). Its lines go\n"
        "to stderr. A device set up already (zcrx-nic apply, another receiver) is\n"
        "left alone (exit 3). Killed by another signal, it leaves the state file for\n"
        "zcrx-nic undo DEV.\n"
        "\n"
        "--interval SECS prints a line every SECS seconds from the first accept on:\n"
        "the bytes and completions of all connections in that interval and their\n"
        "throughput, as \"[  1.00-  2.00 s] N bytes, X Gbit/s, N cqes\"; the last line\n"
        "covers what came after the last whole interval. With --json each is a JSON\n"
        "object of its own line ({\"version\":1,\"type\":\"interval\",...}), before\n"
        "the line of the results: the output is NDJSON.\n"
        "\n"
        "Options:\n";
    s += cli::option_help(options);
    s += "\n"
         "Registering an RX queue, or a device-less one, needs CAP_NET_ADMIN. Run inside\n"
         "the device's network namespace (ip netns exec NS zcrx-recv ...).\n"
         "\n"
         "Exit status:\n"
         "  0  every connection was received (and verified, if asked)\n"
         "  1  data error: a pattern mismatch, a byte count other than --expect-bytes\n"
         "     (\"received N bytes, expected M\": the peer closed early, or sent more),\n"
         "     or a connection that failed; the message names the connection, the step\n"
         "     and the errno\n"
         "  2  usage error: an unknown option, a missing or malformed value, a value out\n"
         "     of range, or a wrong number of arguments\n"
         "  3  setup error: the interface, the ring, registering the queue, or the\n"
         "     listening socket; the message says what to check\n"
         "  4  a feature is missing: the kernel lacks zcrx (RECV_ZC, DEFER_TASKRUN,\n"
         "     CQE32, for --nodev ZCRX_REG_NODEV, for --grow events and\n"
         "     ZCRX_CTRL_ADD_AREA) or the device cannot host it (EOPNOTSUPP, ENODATA)\n";
    return s;
}

// A failed setup step: the message, and the exit status that fits it.
// unsupported: the step failed for want of a kernel feature.
int setup_failure(const Settings &s, const Error &e, bool unsupported = false) {
    zcrx::print_failure("zcrx-recv", e, s.json);
    return unsupported || e.err == EOPNOTSUPP || e.err == ENODATA ? cli::exit_unsupported
                                                                  : cli::exit_runtime;
}

// Split a comma-separated list; every item non-empty.
std::vector<std::string_view> split_list(std::string_view text, std::string_view what) {
    std::vector<std::string_view> items;
    for (;;) {
        const std::size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        if (item.empty())
            throw cli::UsageError(std::string(what) + ": empty item in the list");
        items.push_back(item);
        if (comma == std::string_view::npos)
            return items;
        text.remove_prefix(comma + 1);
    }
}

// --queue Q[,Q...] with PORT[,PORT...], one port per queue, and --ifname
// DEV[,DEV...]: one device for all, or one per queue.
std::vector<Lane> parse_lanes(std::string_view ifnames, std::string_view queues,
                              std::string_view ports) {
    const std::vector<std::string_view> q = split_list(queues, "--queue");
    const std::vector<std::string_view> p = split_list(ports, "PORT");
    const std::vector<std::string_view> d = split_list(ifnames, "--ifname");
    if (q.size() > max_queues)
        throw cli::UsageError("--queue: at most " + std::to_string(max_queues) + " queues");
    if (p.size() != q.size())
        throw cli::UsageError("PORT: " + std::to_string(p.size()) + " ports for " +
                              std::to_string(q.size()) + " queues: give one port per queue");
    if (d.size() != 1 && d.size() != q.size())
        throw cli::UsageError("--ifname: " + std::to_string(d.size()) + " devices for " +
                              std::to_string(q.size()) + " queues: give one, or one per queue");
    std::vector<Lane> lanes(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) {
        lanes[i].ifname = std::string(d[d.size() == 1 ? 0 : i]);
        lanes[i].queue =
            static_cast<std::uint32_t>(cli::parse_count(q[i], "--queue", 0, UINT32_MAX));
        lanes[i].port = cli::parse_port(p[i], "PORT");
    }
    return lanes;
}

// --setup: the NIC changes of each queue, undone when they go (after the
// ring, which is made after them: the kernel keeps tcp-data-split on while
// a queue has a memory provider), and SIGINT and SIGTERM blocked and read
// through a signalfd, so that they end the receive instead of the process.
struct NicSetups {
    std::vector<zcrx::ethtool::NicSetup> devices;
    Fd signals;
    signalfd_siginfo siginfo{}; // the ring reads the signal here
};

// Where --setup's lines go: stderr, which leaves stdout to the results.
zcrx::ethtool::SetupOutput setup_output() {
    return {[](const std::string &line) { std::fprintf(stderr, "zcrx-recv: %s\n", line.c_str()); },
            [](const std::string &line) {
                std::fprintf(stderr, "zcrx-recv: warning: %s\n", line.c_str());
            },
            [](const Error &e) { std::fprintf(stderr, "zcrx-recv: %s\n", e.message().c_str()); }};
}

// Blocks SIGINT and SIGTERM and applies each lane's NIC setup. Blocked
// first: a signal that comes while the NIC is being set up waits for the
// receive loop, which ends at once, and everything is undone.
Result<void> set_up_nics(const Settings &s, NicSetups &out) {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGINT);
    ::sigaddset(&set, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0)
        return Error(errno, "block SIGINT and SIGTERM", {}, "");
    out.signals.reset(::signalfd(-1, &set, SFD_CLOEXEC));
    if (!out.signals)
        return Error(errno, "make a signalfd for SIGINT and SIGTERM", {}, "");
    out.devices.reserve(s.lanes.size());
    for (const Lane &lane : s.lanes) {
        zcrx::ethtool::SetupRequest req;
        req.queue = lane.queue;
        req.port = lane.port;
        req.replace = false; // a setup in the state file may be another receiver's
        Result<zcrx::ethtool::NicSetup> setup =
            zcrx::ethtool::NicSetup::apply(lane.ifname, req, setup_output());
        if (!setup)
            return std::move(setup).error();
        out.devices.push_back(std::move(setup).value());
    }
    return {};
}

int receive(const Settings &s, NicSetups &nics);

// The NIC set up (--setup), the receive, and the set-up undone once the
// ring is closed; an undo that fails is exit 3, its steps left in the state
// file for zcrx-nic undo.
int run(const Settings &s) {
    NicSetups nics;
    if (s.setup)
        if (Result<void> r = set_up_nics(s, nics); !r)
            return setup_failure(s, r.error());
    int status = receive(s, nics);
    for (zcrx::ethtool::NicSetup &setup : nics.devices)
        if (!setup.undo()) {
            std::fprintf(stderr,
                         "zcrx-recv: %s is not put back all the way: zcrx-nic undo %s "
                         "tries the rest again\n",
                         setup.dev().c_str(), setup.dev().c_str());
            status = cli::exit_runtime;
        }
    return status;
}

// Everything from the ring on; returns the exit status. The ring is closed
// when it returns.
int receive(const Settings &s, NicSetups &nics) {
    zcrx::RingConfig rc;
    rc.sq_entries = std::max<std::uint32_t>(
        64, static_cast<std::uint32_t>(s.connections * s.lanes.size() + s.lanes.size() + 1));
    Result<zcrx::Ring> ring = zcrx::Ring::create(rc);
    if (!ring)
        return setup_failure(s, ring.error(), ring.error().err == EINVAL);
    Result<bool> has_recv_zc = ring->supports_op(zcrx::uapi::op_recv_zc);
    if (!has_recv_zc)
        return setup_failure(s, has_recv_zc.error());
    if (!*has_recv_zc)
        return setup_failure(s,
                             Error(0, "the kernel lacks IORING_OP_RECV_ZC",
                                   "it needs Linux 6.15 or later, or the zcrx patch series"),
                             true);

    // Events and copy statistics where the kernel has them; --grow needs
    // them, and areas added at run time.
    const bool events = zcrx::kernel_has_events();
    if (s.grow.enabled && !events)
        return setup_failure(s,
                             Error(0,
                                   "--grow: the kernel has no zcrx events (ZCRX_FEATURE_EVENT) to "
                                   "say when buffers run out",
                                   "it needs Linux 7.2 or later, or the zcrx patch series"),
                             true);
    if (s.grow.enabled && !zcrx::kernel_has_add_area())
        return setup_failure(s,
                             Error(0,
                                   "--grow: the kernel cannot add areas to a live queue "
                                   "(ZCRX_CTRL_ADD_AREA)",
                                   "it needs Linux 7.3 or later, or the zcrx patch series"),
                             true);

    // One interface queue per lane, all on this ring, each with its own zcrx_id
    IfqList ifqs;
    ifqs.reserve(s.lanes.size());
    for (const Lane &lane : s.lanes) {
        zcrx::IfqConfig ic = s.nodev ? zcrx::IfqConfig::device_less() : zcrx::IfqConfig{};
        if (!s.nodev) {
            Result<std::uint32_t> ifindex = zcrx::interface_index(lane.ifname);
            if (!ifindex)
                return setup_failure(s, ifindex.error());
            ic.if_index = *ifindex;
            ic.if_name = lane.ifname;
            ic.rx_queue = lane.queue;
        }
        ic.rq_entries = s.rq_entries;
        ic.area_size = s.area_size;
        ic.huge_pages = s.huge_pages;
        ic.rx_buf_len = s.rx_buf_len;
        ic.area = s.area;
        ic.region = s.region;
        if (events) {
            ic.event_types = wanted_events;
            ic.event_user_data = event_tag - ifqs.size();
            ic.stats = true;
        }
        Result<std::reference_wrapper<zcrx::Ifq>> ifq = ring->register_ifq(ic);
        if (!ifq) // a kernel without the device-less mode refuses it with EINVAL
            return setup_failure(s, ifq.error(),
                                 s.nodev && ifq.error().err == EINVAL && !zcrx::kernel_has_nodev());
        ifqs.push_back(*ifq);
    }

    // --shared-ring (one queue): declared after ring, so it closes first
    std::optional<zcrx::Ring> importer;
    std::uint32_t shared_index = 0;
    if (s.shared_ring) {
        Result<zcrx::Ring> r2 = zcrx::Ring::create(rc);
        if (!r2)
            return setup_failure(s, r2.error());
        importer.emplace(std::move(r2).value());
        Result<std::uint32_t> id = ifqs.front().get().share_with(*importer);
        if (!id)
            return setup_failure(s, id.error());
        shared_index = *id;
    }

    // Listen only once the queues are ready: a listener means "send now".
    std::vector<Listener> listeners(s.lanes.size());
    for (std::size_t i = 0; i < s.lanes.size(); ++i) {
        Result<Fd> fd =
            zcrx::listen_tcp(s.address, s.lanes[i].port, static_cast<int>(s.connections));
        if (!fd)
            return setup_failure(s, fd.error());
        listeners[i].ifq = &ifqs[i].get();
        listeners[i].index = importer ? shared_index : ifqs[i].get().index();
        listeners[i].fd = std::move(fd).value();
    }

    // events come on the ring that registered the queues
    Receiver receiver(s, importer ? *importer : *ring, std::move(listeners),
                      importer ? &*ring : nullptr, nics.signals.get(), &nics.siginfo);
    const Result<void> ran = receiver.run();
    if (!ran)
        std::fprintf(stderr, "zcrx-recv: %s\n", ran.error().message().c_str());
    const std::optional<int> stopped_by = receiver.stopped_by();
    if (stopped_by) {
        const char *abbrev = ::sigabbrev_np(*stopped_by);
        std::fprintf(stderr, "zcrx-recv: stopped by %s%s: the receive ended early%s\n",
                     abbrev ? "SIG" : "a signal", abbrev ? abbrev : "",
                     s.setup ? "; the NIC set-up is undone on exit" : "");
    }

    // Have the kernel read every buffer given back, so that its counts (bad
    // refill entries) are final. Kernels before 6.19 cannot (EINVAL).
    bool ok = ran.ok() && !stopped_by;
    bool flushed = true;
    for (zcrx::Ifq &ifq : ifqs) {
        const Result<void> f = ifq.flush_refill();
        if (f)
            continue;
        flushed = false;
        if (f.error().err != EINVAL) {
            std::fprintf(stderr, "zcrx-recv: %s\n", f.error().message().c_str());
            ok = false;
        }
    }
    const std::optional<zcrx::KernelIfqStats> kst = zcrx::read_ifq_stats(ring->fd());
    const Report report = make_report(s, receiver, ifqs, kst, flushed, events, ok);
    for (std::size_t i = 0; i < report.connections.size(); ++i)
        if (const ConnectionReport &c = report.connections[i]; !c.problem.empty())
            std::fprintf(stderr, "zcrx-recv: connection %zu from %s: %s\n", i + 1, c.peer.c_str(),
                         c.problem.c_str());
    if (s.json)
        print_json(s, report);
    else
        print_text(s, report);
    if (stopped_by)
        return cli::exit_runtime;
    return report.ok ? cli::exit_ok : cli::exit_data;
}

} // namespace

int main(int argc, char **argv) {
    return cli::run_tool(
        "zcrx-recv", options, argc, argv, help_text, cli::exit_runtime, [](const cli::Args &args) {
            args.expect_positional(2, 2, "ADDRESS PORT");
            Settings s;
            s.address = std::string(args.positional()[0]);
            s.nodev = args.has("nodev");
            if (s.nodev) {
                if (args.has("ifname") || args.has("queue"))
                    throw cli::UsageError("--nodev: takes no --ifname or --queue: a device-less "
                                          "interface queue has no NIC queue");
                if (args.positional()[1].find(',') != std::string_view::npos)
                    throw cli::UsageError("PORT: --nodev takes one port");
                s.lanes = {Lane{{}, 0, cli::parse_port(args.positional()[1], "PORT")}};
            } else {
                s.lanes = parse_lanes(args.required("ifname"), args.required("queue"),
                                      args.positional()[1]);
            }
            s.area_size = args.size_or("area-size", default_area_size, 1, zcrx::max_area_len);
            s.rq_entries = static_cast<std::uint32_t>(
                args.count_or("rq-entries", default_rq_entries, 1, zcrx::max_rq_entries));
            if (const auto region = args.value("region")) {
                if (*region == "user")
                    s.region = zcrx::RegionKind::user;
                else if (*region == "kernel")
                    s.region = zcrx::RegionKind::kernel;
                else
                    throw cli::UsageError("--region: '" + std::string(*region) +
                                          "' is not user or kernel");
            }
            s.huge_pages = args.has("huge-pages");
            s.rx_buf_len = static_cast<std::uint32_t>(args.size_or("rx-buf-len", 0, 0, UINT32_MAX));
            if (const auto area = args.value("area")) {
                if (*area == "memory")
                    s.area = zcrx::AreaKind::anonymous;
                else if (*area == "dmabuf" && s.nodev)
                    throw cli::UsageError("--area dmabuf: not with --nodev: the kernel copies "
                                          "every byte, and cannot copy into a dma-buf");
                else if (*area == "dmabuf")
                    s.area = zcrx::AreaKind::udmabuf;
                else
                    throw cli::UsageError("--area: '" + std::string(*area) +
                                          "' is not memory or dmabuf");
            }
            s.shared_ring = args.has("shared-ring");
            if (s.shared_ring && s.lanes.size() > 1)
                throw cli::UsageError("--shared-ring: takes one queue, not " +
                                      std::to_string(s.lanes.size()));
            // The kernel needs at least one buffer the consumer does not hold.
            const long page_size = ::sysconf(_SC_PAGESIZE);
            const std::uint64_t page = page_size > 0 ? static_cast<std::uint64_t>(page_size) : 4096;
            const std::uint64_t buf = s.rx_buf_len != 0 ? s.rx_buf_len : page;
            s.hold = args.count_or("hold", 0, 0, zcrx::area_buffers(s.area_size, buf) - 1);
            s.connections =
                static_cast<std::uint32_t>(args.count_or("connections", 1, 1, max_connections));
            s.verify = args.has("verify");
            s.checksum = args.has("checksum");
            if (args.has("expect-bytes"))
                s.expect_bytes = args.size_or("expect-bytes", 0, 0, UINT64_MAX);
            s.json = args.has("json");
            s.setup = args.has("setup");
            if (s.setup && s.nodev)
                throw cli::UsageError("--setup: not with --nodev, which has no NIC to set up");
            if (s.setup)
                for (std::size_t i = 0; i < s.lanes.size(); ++i)
                    for (std::size_t j = 0; j < i; ++j)
                        if (s.lanes[i].ifname == s.lanes[j].ifname)
                            throw cli::UsageError("--setup: one queue per device (" +
                                                  s.lanes[i].ifname + " has two)");
            s.interval = args.seconds("interval", zcrx::progress::min_interval,
                                      zcrx::progress::max_interval);
            s.grow = rt::parse_grow(args, s.area_size, page, buf);
            return run(s);
        });
}
