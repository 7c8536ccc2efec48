// zcrx-fuzz: feed zcrx every input a user controls and check each answer.
//
//   refill     hostile refill entries under a verified stream (fuzz/refill.cpp)
//   sqe        random IORING_OP_RECV_ZC submissions (fuzz/sqe.cpp)
//   reg        random IORING_REGISTER_ZCRX_IFQ structures, and ZCRX_CTRL calls
//              on each ifq registered (fuzz/reg.cpp)
//   lifecycle  rings closed and owners killed under a stream (fuzz/lifecycle.cpp)
//   charge     the memlock charges of the closed rings are back (fuzz/charge.cpp)
//   query      random IORING_REGISTER_QUERY chains (fuzz/query.cpp)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "fuzz/common.hpp"
#include "zcrx/area.hpp"
#include "zcrx/cli.hpp"
#include "zcrx/ifq.hpp"

namespace {

namespace cli = zcrx::cli;

constexpr cli::Option options[] = {
    {"ifname", "DEV", "the interface (required but for query)"},
    {"queue", "Q", "the RX queue (required but for query)"},
    {"port", "PORT", "refill, lifecycle: zcrx-send's stream comes to PORT"},
    {"seed", "S", "seed of the random inputs (default 1)"},
    {"count", "N", "inputs to try (entries, SQEs, registrations, cycles)"},
    {"seconds", "T", "stop trying new inputs after T seconds"},
    {"area-size", "SIZE", "refill: the area (default 64M)"},
    {"rq-entries", "N", "refill: refill ring entries (default 1024)"},
    {"chaos", "N", "refill: then N timing-dependent entries (default 0)"},
    {"help", "", "show this help and exit", 'h'},
};

std::string help_text() {
    std::string s = "Usage: zcrx-fuzz refill|sqe|reg|lifecycle|charge --ifname DEV --queue Q\n"
                    "                 [OPTIONS]\n"
                    "       zcrx-fuzz query [OPTIONS]\n"
                    "\n"
                    "Fuzz io_uring zero-copy receive on RX queue Q of DEV and check every answer:\n"
                    "  refill     hostile refill entries under zcrx-send's stream on --port\n"
                    "  sqe        random RECV_ZC SQEs on a loopback connection\n"
                    "  reg        random registrations, and ZCRX_CTRL calls on each success\n"
                    "  lifecycle  rings closed and receivers killed under zcrx-send's stream\n"
                    "  charge     closed rings' memlock charge is back (without CAP_IPC_LOCK)\n"
                    "  query      random IORING_REGISTER_QUERY chains (needs no NIC queue)\n"
                    "All but charge need --count or --seconds.\n"
                    "\n"
                    "Options:\n";
    s += cli::option_help(options);
    s += "\n"
         "Exit status: 0 every answer as expected, 1 an unexpected answer or bad data,\n"
         "2 usage error, 3 setup error. See zcrx-fuzz(1) for details.\n";
    return s;
}

int run(std::string_view mode, const cli::Args &args) {
    fuzz::Settings s;
    const bool nic = mode != "query";
    if (nic) {
        s.ifname = std::string(args.required("ifname"));
        s.queue = static_cast<std::uint32_t>(
            cli::parse_count(args.required("queue"), "--queue", 0, UINT32_MAX - 1));
    }
    if (mode == "refill" || mode == "lifecycle")
        s.port = cli::parse_port(args.required("port"), "--port");
    s.seed = args.count_or("seed", 1, 0, UINT64_MAX);
    s.count = args.count_or("count", 0, 0, UINT64_MAX);
    s.seconds = static_cast<double>(args.count_or("seconds", 0, 0, 86400));
    if (s.count == 0 && s.seconds == 0 && mode != "charge")
        throw cli::UsageError("give --count or --seconds");
    s.area_size = args.size_or("area-size", s.area_size, 4096, std::uint64_t{1} << 30);
    s.rq_entries =
        static_cast<std::uint32_t>(args.count_or("rq-entries", 1024, 64, zcrx::max_rq_entries));
    s.chaos = args.count_or("chaos", 0, 0, UINT64_MAX);
    if (nic) {
        zcrx::Result<std::uint32_t> idx = zcrx::interface_index(s.ifname);
        if (!idx) {
            std::fprintf(stderr, "zcrx-fuzz: %s\n", idx.error().message().c_str());
            return 3;
        }
        s.if_index = *idx;
    }
    std::printf("%.*s: seed %llu\n", static_cast<int>(mode.size()), mode.data(),
                static_cast<unsigned long long>(s.seed));
    std::fflush(stdout);

    int rc = 1;
    if (mode == "refill")
        rc = fuzz::run_refill(s);
    else if (mode == "sqe")
        rc = fuzz::run_sqe(s);
    else if (mode == "reg")
        rc = fuzz::run_reg(s);
    else if (mode == "lifecycle")
        rc = fuzz::run_lifecycle(s);
    else if (mode == "query")
        rc = fuzz::run_query(s);
    else
        rc = fuzz::run_charge(s);
    // every ring is closed by now: their pinned pages must all come back
    if (!fuzz::pins_settle(mode, std::chrono::seconds(20)))
        rc = 1;
    std::printf("%.*s: %s\n", static_cast<int>(mode.size()), mode.data(),
                rc == 0 ? "ok" : "FAILED");
    return rc;
}

} // namespace

int main(int argc, char **argv) {
    return cli::guard("zcrx-fuzz", 3, [&] {
        const std::string_view mode = argc > 1 ? argv[1] : "";
        const cli::Args args = cli::Args::parse(
            options,
            std::span<const char *const>(argv + std::min(argc, 2),
                                         static_cast<std::size_t>(argc - std::min(argc, 2))));
        if (mode == "--help" || mode == "-h" || args.has("help")) {
            std::fputs(help_text().c_str(), stdout);
            return cli::exit_ok;
        }
        if (mode != "refill" && mode != "sqe" && mode != "reg" && mode != "lifecycle" &&
            mode != "charge" && mode != "query")
            throw cli::UsageError(
                "the first argument must be refill, sqe, reg, lifecycle, charge or query");
        args.expect_positional(0, 0, "");
        std::setvbuf(stdout, nullptr, _IOLBF, 0);
        return run(mode, args);
    });
}
