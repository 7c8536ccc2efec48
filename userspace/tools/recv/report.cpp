#include "recv/report.hpp"

#include <algorithm>
#include <cstdio>

#include "zcrx/cli.hpp"
#include "zcrx/json.hpp"

namespace zcrx_recv {

namespace {

// The verdict on one connection's data: "" if it is good.
std::string data_problem(const Settings &s, const Connection &c) {
    if (c.error)
        return c.error->message();
    const std::uint64_t bytes = c.rx ? c.rx->stats().bytes : 0;
    if (const auto m = c.verifier.mismatch())
        return "pattern mismatch at stream offset " + std::to_string(m->offset) + ": expected " +
               std::to_string(m->expected) + ", got " + std::to_string(m->actual);
    if (s.expect_bytes && *s.expect_bytes != bytes)
        return "received " + std::to_string(bytes) + " bytes, expected " +
               std::to_string(*s.expect_bytes);
    return {};
}

RefillTotals refill_totals(const IfqList &ifqs) {
    RefillTotals t;
    for (const zcrx::Ifq &q : ifqs) {
        const zcrx::RefillQueueStats st = q.refill().stats();
        t.returned += st.returned;
        t.batches += st.batches;
        t.unread += q.refill().unread();
    }
    return t;
}

EventTotals event_totals(const Settings &s, const Receiver &r, const IfqList &ifqs,
                         const std::optional<zcrx::KernelIfqStats> &kst, bool events) {
    EventTotals t;
    t.events = events;
    std::optional<Clock::time_point> first_copy;
    for (const Listener &l : r.listeners()) {
        t.alloc_fail += l.alloc_fail_events;
        t.copy += l.copy_events;
        t.areas_added += l.areas_added;
        if (l.first_copy && (!first_copy || *l.first_copy < *first_copy))
            first_copy = l.first_copy;
    }
    if (const auto start = r.first_start(); first_copy && start)
        t.first_copy_s = seconds_between(*start, *first_copy);
    for (const zcrx::Ifq &q : ifqs) {
        t.areas += q.area_count();
        if (const std::optional<zcrx::CopyStats> st = q.stats()) {
            zcrx::CopyStats sum = t.stats.value_or(zcrx::CopyStats{});
            sum.copy_count += st->copy_count;
            sum.copy_bytes += st->copy_bytes;
            t.stats = sum;
        }
    }
    // the statistics count every copy; fdinfo, where there are none
    if (t.stats || kst)
        t.cause = rt::copy_cause(
            s.nodev, kst ? std::optional<std::uint64_t>(kst->zero_copy_bytes) : std::nullopt,
            t.stats ? t.stats->copy_bytes : kst->copy_bytes);
    return t;
}

// Percentage of a in a + b, 0 if both are 0.
double share(std::uint64_t a, std::uint64_t b) {
    return a + b ? 100.0 * static_cast<double>(a) / static_cast<double>(a + b) : 0.0;
}

void print_events_text(const Settings &s, const Report &report) {
    const EventTotals &t = report.events;
    if (t.cause == rt::CopyCause::none && !t.first_copy_s)
        std::printf("copy fallback: none (%s)\n",
                    std::string(rt::copy_cause_text(t.cause)).c_str());
    else if (t.first_copy_s)
        std::printf("copy fallback: first at %.3f s into the transfer; why: %s\n", *t.first_copy_s,
                    std::string(rt::copy_cause_text(t.cause)).c_str());
    else
        std::printf("copy fallback: %s; why: %s\n",
                    t.events ? "when is unknown (no copy event)"
                             : "when is unknown (no zcrx events: Linux 7.2 has them)",
                    std::string(rt::copy_cause_text(t.cause)).c_str());
    if (t.stats)
        std::printf("kernel stats: %llu copies, %llu bytes copied\n",
                    static_cast<unsigned long long>(t.stats->copy_count),
                    static_cast<unsigned long long>(t.stats->copy_bytes));
    if (t.events)
        std::printf("buffers ran out: %llu times (ALLOC_FAIL events), %llu copy events\n",
                    static_cast<unsigned long long>(t.alloc_fail),
                    static_cast<unsigned long long>(t.copy));
    if (s.grow.enabled)
        std::printf("areas: %llu in all, %llu added by --grow (%s each, at most %llu per "
                    "queue)%s%s\n",
                    static_cast<unsigned long long>(t.areas),
                    static_cast<unsigned long long>(t.areas_added),
                    zcrx::cli::format_size(s.grow.area_size).c_str(),
                    static_cast<unsigned long long>(s.grow.max),
                    report.grow_error ? "; stopped: " : "",
                    report.grow_error ? report.grow_error->c_str() : "");
}

} // namespace

Report make_report(const Settings &s, const Receiver &r, const IfqList &ifqs,
                   const std::optional<zcrx::KernelIfqStats> &kernel, bool flushed, bool events,
                   bool run_ok) {
    Report report;
    report.ok = run_ok;
    for (const Connection &c : r.connections()) {
        ConnectionReport row;
        row.peer = c.peer;
        row.lane = c.lane;
        row.stats = c.rx ? c.rx->stats() : zcrx::ReceiveStats{};
        row.seconds = seconds_between(c.start, c.end);
        if (s.verify)
            row.verified = c.verifier.ok();
        row.mismatch = c.verifier.mismatch();
        if (s.checksum) {
            row.cksum = c.cksum.value();
            row.cksum_length = c.cksum.length();
        }
        row.problem = data_problem(s, c);
        report.ok = report.ok && row.problem.empty();
        report.total.bytes += row.stats.bytes;
        report.total.cqes += row.stats.cqes;
        report.total.rearms += row.stats.rearms;
        report.total.largest = std::max(report.total.largest, row.stats.largest);
        report.connections.push_back(std::move(row));
    }
    report.seconds = r.seconds();
    report.refill = refill_totals(ifqs);
    report.flushed = flushed;
    report.kernel = kernel;
    report.events = event_totals(s, r, ifqs, kernel, events);
    report.held_peak = r.held_peak();
    report.idle_drains = r.idle_drains();
    report.rq_entries = ifqs.front().get().rq_entries();
    report.area_size = ifqs.front().get().area().size();
    if (r.grow_error())
        report.grow_error = r.grow_error()->message();
    return report;
}

void print_text(const Settings &s, const Report &report) {
    for (std::size_t i = 0; i < report.connections.size(); ++i) {
        const ConnectionReport &c = report.connections[i];
        std::printf("connection %zu from %s: %llu bytes in %.3f s, %.3f Gbit/s, %llu cqes, "
                    "%llu re-arms",
                    i + 1, c.peer.c_str(), static_cast<unsigned long long>(c.stats.bytes),
                    c.seconds, gbit_per_s(c.stats.bytes, c.seconds),
                    static_cast<unsigned long long>(c.stats.cqes),
                    static_cast<unsigned long long>(c.stats.rearms));
        if (c.verified)
            std::printf(", pattern %s", *c.verified ? "ok" : "MISMATCH");
        if (c.cksum)
            std::printf(", cksum %u %llu", *c.cksum,
                        static_cast<unsigned long long>(c.cksum_length));
        if (s.lanes.size() > 1)
            std::printf(", %s queue %u", s.lanes[c.lane].ifname.c_str(), s.lanes[c.lane].queue);
        std::printf("%s\n", c.problem.empty() ? "" : ", FAILED");
    }
    const std::size_t n = report.connections.size();
    std::printf("total: %zu connection%s, %llu bytes in %.3f s, %.3f Gbit/s, %llu cqes, "
                "%llu re-arms, %llu buffers returned in %llu refill batches\n",
                n, n == 1 ? "" : "s", static_cast<unsigned long long>(report.total.bytes),
                report.seconds, gbit_per_s(report.total.bytes, report.seconds),
                static_cast<unsigned long long>(report.total.cqes),
                static_cast<unsigned long long>(report.total.rearms),
                static_cast<unsigned long long>(report.refill.returned),
                static_cast<unsigned long long>(report.refill.batches));
    std::printf("largest completion: %u bytes\n", report.total.largest);
    if (s.hold)
        std::printf("held back: at most %zu of --hold %llu buffers at once; %llu catch-ups "
                    "(all given back after %lld ms without data)\n",
                    report.held_peak, static_cast<unsigned long long>(s.hold),
                    static_cast<unsigned long long>(report.idle_drains),
                    static_cast<long long>(hold_idle.count()));
    if (const auto &k = report.kernel)
        std::printf("kernel: %llu bytes zero copy (%.1f%%), %llu bytes by copy%s, "
                    "%llu bad refill entries\n",
                    static_cast<unsigned long long>(k->zero_copy_bytes),
                    share(k->zero_copy_bytes, k->copy_bytes),
                    static_cast<unsigned long long>(k->copy_bytes), s.nodev ? "" : " fallback",
                    static_cast<unsigned long long>(k->bad_refill_entries));
    if (s.nodev)
        std::printf("no device (--nodev, ZCRX_REG_NODEV): the kernel copies every byte into "
                    "the area, none is received in place\n");
    if (report.flushed)
        std::printf("refill ring%s: flushed, %llu entries unread\n", s.lanes.size() > 1 ? "s" : "",
                    static_cast<unsigned long long>(report.refill.unread));
    else
        std::printf("refill ring: not flushed (no IORING_REGISTER_ZCRX_CTRL)\n");
    if (s.shared_ring)
        std::printf("shared ring: received on a second ring that imported the queue\n");
    print_events_text(s, report);
}

void print_json(const Settings &s, const Report &report) {
    zcrx::Json j = zcrx::json_document();
    const Lane &first = s.lanes.front();
    // --nodev: no interface or queue (null), every byte by copy
    const auto device_of = [&](const Lane &l, zcrx::Json &o) {
        o["ifname"] = s.nodev ? zcrx::Json(nullptr) : zcrx::Json(l.ifname);
        o["queue"] = s.nodev ? zcrx::Json(nullptr) : zcrx::Json(l.queue);
    };
    j["address"] = s.address;
    j["port"] = first.port;
    j["nodev"] = s.nodev;
    device_of(first, j);
    zcrx::Json queues = zcrx::Json::array();
    for (const Lane &l : s.lanes) {
        zcrx::Json q = zcrx::Json::object();
        device_of(l, q);
        q["port"] = l.port;
        queues.push_back(std::move(q));
    }
    j["queues"] = std::move(queues);
    j["region"] = s.region == zcrx::RegionKind::user ? "user" : "kernel";
    j["shared_ring"] = s.shared_ring;
    j["area"] = s.area == zcrx::AreaKind::udmabuf ? "dmabuf" : "memory";
    j["rq_entries"] = report.rq_entries;
    j["area_size"] = report.area_size;
    j["rx_buf_len"] = s.rx_buf_len;
    j["hold"] = s.hold;

    zcrx::Json conns = zcrx::Json::array();
    for (std::size_t i = 0; i < report.connections.size(); ++i) {
        const ConnectionReport &c = report.connections[i];
        zcrx::Json o = {{"id", i + 1}, {"peer", c.peer}};
        o["queue"] = s.nodev ? zcrx::Json(nullptr) : zcrx::Json(s.lanes[c.lane].queue);
        o["bytes"] = c.stats.bytes;
        o["seconds"] = c.seconds;
        o["gbit_per_s"] = gbit_per_s(c.stats.bytes, c.seconds);
        o["cqes"] = c.stats.cqes;
        o["rearms"] = c.stats.rearms;
        o["verified"] = zcrx::json_or_null(c.verified);
        o["mismatch"] = nullptr;
        if (const auto &m = c.mismatch)
            o["mismatch"] = {{"offset", m->offset},
                             {"expected", std::uint64_t{m->expected}},
                             {"actual", std::uint64_t{m->actual}}};
        o["cksum"] = c.cksum ? zcrx::Json(std::uint64_t{*c.cksum}) : zcrx::Json(nullptr);
        o["error"] = c.problem.empty() ? zcrx::Json(nullptr) : zcrx::Json(c.problem);
        conns.push_back(std::move(o));
    }
    j["connections"] = std::move(conns);
    j["total"] = {{"bytes", report.total.bytes},
                  {"seconds", report.seconds},
                  {"gbit_per_s", gbit_per_s(report.total.bytes, report.seconds)},
                  {"cqes", report.total.cqes},
                  {"rearms", report.total.rearms},
                  {"largest_cqe", std::uint64_t{report.total.largest}},
                  {"buffers_returned", report.refill.returned},
                  {"refill_batches", report.refill.batches},
                  {"buffers_held_peak", std::uint64_t{report.held_peak}},
                  {"hold_idle_drains", report.idle_drains}};
    j["kernel"] = nullptr;
    if (const auto &k = report.kernel)
        j["kernel"] = {{"zero_copy_bytes", k->zero_copy_bytes},
                       {"copy_bytes", k->copy_bytes},
                       {"zero_copy_percent", share(k->zero_copy_bytes, k->copy_bytes)},
                       {"bad_refill_entries", k->bad_refill_entries}};
    j["refill"] = {{"flushed", report.flushed}, {"unread", report.refill.unread}};
    // events and statistics (null where the kernel has none), areas
    const EventTotals &ev = report.events;
    j["events"] = nullptr;
    if (ev.events)
        j["events"] = {{"alloc_fail", ev.alloc_fail}, {"copy", ev.copy}};
    j["stats"] = nullptr;
    if (ev.stats)
        j["stats"] = {{"copy_count", ev.stats->copy_count}, {"copy_bytes", ev.stats->copy_bytes}};
    j["copy_fallback"] = {{"first_seconds", zcrx::json_or_null(ev.first_copy_s)},
                          {"cause", rt::copy_cause_name(ev.cause)},
                          {"reason", rt::copy_cause_text(ev.cause)}};
    j["areas"] = ev.areas;
    j["areas_added"] = ev.areas_added;
    j["grow"] = nullptr;
    if (s.grow.enabled)
        j["grow"] = {{"area_size", s.grow.area_size},
                     {"max", s.grow.max},
                     {"error", zcrx::json_or_null(report.grow_error)}};
    j["ok"] = report.ok;
    zcrx::print_json_line(j);
}

} // namespace zcrx_recv
