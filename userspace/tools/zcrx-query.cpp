// zcrx-query: what the running kernel's io_uring supports, zero-copy receive
// included, as IORING_REGISTER_QUERY reports it. Needs no ring, NIC or
// privilege.
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "zcrx/cli.hpp"
#include "zcrx/json.hpp"
#include "zcrx/query.hpp"

namespace {

namespace cli = zcrx::cli;

constexpr cli::Option options[] = {
    {"json", "", "print the answers as one JSON object on stdout"},
    {"help", "", "show this help and exit", 'h'},
};

std::string help_text() {
    std::string s = "Usage: zcrx-query [--json]\n"
                    "\n"
                    "Ask the kernel what its io_uring and zero-copy receive support\n"
                    "(IORING_REGISTER_QUERY; needs no ring, NIC or privilege).\n"
                    "\n"
                    "Options:\n";
    s += cli::option_help(options);
    s += "\n"
         "Exit status: 0 the kernel has zero-copy receive, 2 usage error, 3 the query\n"
         "failed, 4 no answer or no zero-copy receive. See zcrx-query(1) for details.\n";
    return s;
}

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    return buf;
}

void print_json(const zcrx::Support &s) {
    zcrx::Json j = zcrx::json_document();
    j["opcodes"] = nullptr;
    if (const auto &o = s.opcodes)
        j["opcodes"] = {{"request", o->nr_request_opcodes},   {"register", o->nr_register_opcodes},
                        {"query", o->nr_query_opcodes},       {"features", o->feature_flags},
                        {"setup_flags", o->ring_setup_flags}, {"enter_flags", o->enter_flags},
                        {"sqe_flags", o->sqe_flags}};
    j["zcrx"] = nullptr;
    if (const auto &z = s.zcrx)
        j["zcrx"] = {
            {"register_flags", z->register_flags}, {"area_flags", z->area_flags},
            {"ctrl_opcodes", z->nr_ctrl_opcodes},  {"features", z->features},
            {"rq_hdr_size", z->rq_hdr_size},       {"rq_hdr_alignment", z->rq_hdr_alignment},
            {"nodev", zcrx::has_nodev(s)},         {"events", zcrx::has_events(s)},
            {"add_area", zcrx::has_add_area(s)}};
    j["scq"] = nullptr;
    if (const auto &c = s.scq)
        j["scq"] = {{"hdr_size", c->hdr_size}, {"hdr_alignment", c->hdr_alignment}};
    zcrx::print_json_line(j);
}

void print_text(const zcrx::Support &s) {
    if (const auto &o = s.opcodes)
        std::printf("opcodes: %u request, %u register, %u query\n"
                    "features %s, setup flags %s, enter flags %s, sqe flags %s\n",
                    o->nr_request_opcodes, o->nr_register_opcodes, o->nr_query_opcodes,
                    hex(o->feature_flags).c_str(), hex(o->ring_setup_flags).c_str(),
                    hex(o->enter_flags).c_str(), hex(o->sqe_flags).c_str());
    else
        std::printf("opcodes: not answered\n");
    if (const auto &z = s.zcrx)
        std::printf("zero-copy receive: register flags %s, area flags %s, control ops %u, "
                    "features %s; refill queue header %u bytes, entries aligned to %u\n",
                    hex(z->register_flags).c_str(), hex(z->area_flags).c_str(), z->nr_ctrl_opcodes,
                    hex(z->features).c_str(), z->rq_hdr_size, z->rq_hdr_alignment);
    else
        std::printf("zero-copy receive: not supported by this kernel\n");
    if (s.zcrx) {
        std::printf("device-less interface queues (ZCRX_REG_NODEV): %s\n",
                    zcrx::has_nodev(s) ? "supported, every byte copied"
                                       : "not supported (needs Linux 7.1)");
        std::printf("events and statistics (ZCRX_FEATURE_EVENT): %s\n",
                    zcrx::has_events(s) ? "supported" : "not supported (needs Linux 7.2)");
        std::printf("areas added at run time (ZCRX_CTRL_ADD_AREA): %s\n",
                    zcrx::has_add_area(s) ? "supported" : "not supported (needs Linux 7.3)");
    }
    if (const auto &c = s.scq)
        std::printf("SQ/CQ ring header: %" PRIu64 " bytes, aligned to %" PRIu64 "\n", c->hdr_size,
                    c->hdr_alignment);
    else
        std::printf("SQ/CQ ring header: not answered\n");
}

} // namespace

int main(int argc, char **argv) {
    return cli::run_tool(
        "zcrx-query", options, argc, argv, help_text, cli::exit_runtime, [](const cli::Args &args) {
            args.expect_positional(0, 0, "no arguments");
            const zcrx::Result<zcrx::Support> s = zcrx::query();
            if (!s) {
                zcrx::print_failure("zcrx-query", s.error(), args.has("json"));
                const int err = s.error().err;
                return err == EBADF || err == EINVAL ? cli::exit_unsupported : cli::exit_runtime;
            }
            if (args.has("json"))
                print_json(*s);
            else
                print_text(*s);
            return s->zcrx ? cli::exit_ok : cli::exit_unsupported;
        });
}
