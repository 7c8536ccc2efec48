// zcrx-recv's report: computed once from the receive (make_report()), then
// printed as text or as one JSON object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recv/receiver.hpp"
#include "recv/settings.hpp"
#include "zcrx/fdinfo.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/pattern.hpp"
#include "zcrx/recv.hpp"

namespace zcrx_recv {

// The refill queues' counts, summed over the ring's ifqs.
struct RefillTotals {
    std::uint64_t returned = 0;
    std::uint64_t batches = 0;
    std::uint64_t unread = 0;
};

// What the events, the kernel's copy statistics and --grow said, over the
// ring's ifqs.
struct EventTotals {
    bool events = false; // asked for (the kernel has them)
    std::uint64_t alloc_fail = 0;
    std::uint64_t copy = 0;
    std::optional<double> first_copy_s; // seconds into the transfer
    std::optional<zcrx::CopyStats> stats;
    rt::CopyCause cause = rt::CopyCause::unknown;
    std::uint64_t areas = 0;
    std::uint64_t areas_added = 0;
};

// One connection.
struct ConnectionReport {
    std::string peer;
    std::size_t lane = 0; // of Settings::lanes
    zcrx::ReceiveStats stats;
    double seconds = 0;
    std::optional<bool> verified; // --verify: whether the pattern held
    std::optional<zcrx::pattern::Mismatch> mismatch;
    std::optional<std::uint32_t> cksum; // --checksum
    std::uint64_t cksum_length = 0;
    std::string problem; // what is wrong with its data; "" if nothing
};

struct Report {
    std::vector<ConnectionReport> connections; // in accept order
    zcrx::ReceiveStats total;                  // bytes, cqes, re-arms summed; the largest
    double seconds = 0;                        // first accept to last end of stream
    RefillTotals refill;
    bool flushed = false; // the refill rings, by ZCRX_CTRL_FLUSH_RQ
    std::optional<zcrx::KernelIfqStats> kernel;
    EventTotals events;
    std::size_t held_peak = 0; // --hold
    std::uint64_t idle_drains = 0;
    std::uint32_t rq_entries = 0; // of the first ifq
    std::uint64_t area_size = 0;  // its first area
    std::optional<std::string> grow_error;
    bool ok = false; // the receive ran and every connection's data is good
};

// run_ok: whether the receive loop and the refill flush went well; events:
// whether the ifqs asked for events.
[[nodiscard]] Report make_report(const Settings &s, const Receiver &r, const IfqList &ifqs,
                                 const std::optional<zcrx::KernelIfqStats> &kernel, bool flushed,
                                 bool events, bool run_ok);

void print_text(const Settings &s, const Report &report);
void print_json(const Settings &s, const Report &report);

} // namespace zcrx_recv
