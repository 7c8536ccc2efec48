// zcrx-recv's settings, constants and per-connection state, shared by its
// receive loop (receiver.hpp), its report (report.hpp) and its main
// (../zcrx-recv.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "zcrx/cksum.hpp"
#include "zcrx/error.hpp"
#include "zcrx/event.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/pattern.hpp"
#include "zcrx/recv.hpp"
#include "zcrx/recv_tool.hpp"
#include "zcrx/uapi.hpp"

namespace zcrx_recv {

namespace rt = zcrx::recv_tool;
using zcrx::Error;
using zcrx::Fd;
using zcrx::Result;
using Clock = std::chrono::steady_clock;

inline constexpr std::uint64_t default_area_size = std::uint64_t{32} << 20;
// --hold: how long without data before the slow consumer gives back all it
// holds (see Receiver::wait()).
inline constexpr std::chrono::milliseconds hold_idle{250};
inline constexpr std::uint64_t default_rq_entries = 4096;
inline constexpr std::uint64_t max_connections = 1024;
// user_data of the accept SQE of the queue (lane) i: accept_tag - i
inline constexpr std::uint64_t accept_tag = ~std::uint64_t{0};
// the most queues one ring receives on
inline constexpr std::size_t max_queues = 16;
// user_data of the event CQEs of the queue (lane) i: event_tag - i
inline constexpr std::uint64_t event_tag = accept_tag - max_queues;
// user_data of the read of the signal descriptor (--setup)
inline constexpr std::uint64_t signal_tag = event_tag - max_queues;
// the events asked for where the kernel has them
inline constexpr std::uint32_t wanted_events =
    zcrx::event_bit(zcrx::uapi::event_alloc_fail) | zcrx::event_bit(zcrx::uapi::event_copy);
inline constexpr std::size_t event_types = 2; // their numbers are below this
// An event type is armed again this long after it fired, not at once: a
// queue starved of buffers fails an allocation on every NAPI poll, and
// waking the receiver for each one costs more than it tells (on netdevsim
// it even breaks up the coalescing of segments into large buffers).
inline constexpr std::chrono::milliseconds event_rearm_pause{250};

// One queue the ring receives on: its device, the queue, and the port whose
// connections it receives (steered to it by the NIC).
struct Lane {
    std::string ifname;
    std::uint32_t queue = 0;
    std::uint16_t port = 0;
};

struct Settings {
    std::string address;
    std::vector<Lane> lanes; // at least one
    bool nodev = false;      // one lane, without a device (ZCRX_REG_NODEV)
    std::uint64_t area_size = default_area_size;
    std::uint32_t rq_entries = static_cast<std::uint32_t>(default_rq_entries);
    zcrx::RegionKind region = zcrx::RegionKind::user;
    bool huge_pages = false;
    std::uint32_t rx_buf_len = 0; // 0: a page
    zcrx::AreaKind area = zcrx::AreaKind::anonymous;
    bool shared_ring = false; // receive on a ring that imported the ifq
    std::uint64_t hold = 0;   // buffers kept back (a slow consumer)
    std::uint32_t connections = 1;
    bool verify = false;
    bool checksum = false;
    std::optional<std::uint64_t> expect_bytes;
    bool json = false;
    rt::GrowSettings grow;                             // --grow, --grow-max
    std::optional<std::chrono::milliseconds> interval; // --interval
    bool setup = false;                                // --setup: the NIC, undone on exit
};

struct Connection {
    std::size_t lane = 0; // which of Settings::lanes accepted it
    Fd sock;
    std::string peer;
    std::optional<zcrx::Receive> rx;
    Clock::time_point start{};
    Clock::time_point end{};
    zcrx::pattern::Verifier verifier;
    zcrx::PosixCksum cksum;
    int chunk_err = 0;          // first error a CQE reported while the request went on
    bool over = false;          // the receive has ended; the socket is closed
    std::optional<Error> error; // why it failed, if it did
};

// The ifqs of the ring, which owns them.
using IfqList = std::vector<std::reference_wrapper<zcrx::Ifq>>;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
    return b > a ? std::chrono::duration<double>(b - a).count() : 0.0;
}

inline double gbit_per_s(std::uint64_t bytes, double seconds) {
    return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e9 : 0.0;
}

} // namespace zcrx_recv
