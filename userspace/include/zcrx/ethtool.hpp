// NIC setup for zero-copy receive, the way ethtool does it.
//
// Channels and ring parameters (tcp-data-split) go over ethtool generic
// netlink (libmnl); the RSS indirection table and ntuple rules have no
// netlink set operation in Linux 6.12, so they use the SIOCETHTOOL ioctl.
// Which queues a memory provider holds comes from the netdev family's
// queue and page pool dumps.
//
// The message builders and parsers and the RSS table and rule computations
// are pure functions, tested without a NIC (the undo log of zcrx-nic apply,
// its state file, is in zcrx/undo_log.hpp).
//
// Part of libzcrx-nic (pkg-config zcrx-nic). The sockets are libmnl's, but
// this header needs none of its headers.
#pragma once

#include <linux/ethtool.h>
#include <net/if.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zcrx/error.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/result.hpp"

struct nlmsghdr;
struct mnl_socket;

namespace zcrx::ethtool {

// Ethtool netlink numbers that bookworm's linux-libc-dev (6.1) lacks. Values
// from Linux 6.12 include/uapi/linux/ethtool_netlink.h (RSS_GET is in since
// 6.4); tests/ethtool_uapi_check.cpp compares them with the exported headers.
namespace nl {
inline constexpr std::uint8_t msg_rss_get = 38;       // ETHTOOL_MSG_RSS_GET
inline constexpr std::uint8_t msg_rss_get_reply = 38; // ETHTOOL_MSG_RSS_GET_REPLY
inline constexpr std::uint16_t a_rss_header = 1;      // ETHTOOL_A_RSS_HEADER
inline constexpr std::uint16_t a_rss_context = 2;     // ETHTOOL_A_RSS_CONTEXT (u32)
inline constexpr std::uint16_t a_rss_hfunc = 3;       // ETHTOOL_A_RSS_HFUNC (u32)
inline constexpr std::uint16_t a_rss_indir = 4;       // ETHTOOL_A_RSS_INDIR (binary, u32[])
inline constexpr std::uint16_t a_rss_hkey = 5;        // ETHTOOL_A_RSS_HKEY (binary)
inline constexpr std::uint16_t a_rss_max = 7;         // ETHTOOL_A_RSS_MAX in 6.12
} // namespace nl

// Netdev generic netlink numbers (page pools since 6.7, queues since 6.8,
// the io-uring nests from the zcrx series and upstream 6.15), also missing
// from bookworm's headers; checked like the ones above.
namespace netdev_nl {
inline constexpr const char *family_name = "netdev"; // NETDEV_FAMILY_NAME
inline constexpr std::uint8_t cmd_page_pool_get = 5; // NETDEV_CMD_PAGE_POOL_GET
inline constexpr std::uint8_t cmd_queue_get = 10;    // NETDEV_CMD_QUEUE_GET
inline constexpr std::uint16_t a_pp_id = 1;          // NETDEV_A_PAGE_POOL_ID (uint)
inline constexpr std::uint16_t a_pp_ifindex = 2;     // NETDEV_A_PAGE_POOL_IFINDEX (u32)
inline constexpr std::uint16_t a_pp_inflight = 4;    // NETDEV_A_PAGE_POOL_INFLIGHT (uint)
inline constexpr std::uint16_t a_pp_detach_time = 6; // NETDEV_A_PAGE_POOL_DETACH_TIME (uint)
inline constexpr std::uint16_t a_pp_dmabuf = 7;      // NETDEV_A_PAGE_POOL_DMABUF (u32)
inline constexpr std::uint16_t a_pp_io_uring = 8;    // NETDEV_A_PAGE_POOL_IO_URING (nest)
inline constexpr std::uint16_t a_pp_max = 8;         // NETDEV_A_PAGE_POOL_MAX with the series
inline constexpr std::uint16_t a_queue_id = 1;       // NETDEV_A_QUEUE_ID (u32)
inline constexpr std::uint16_t a_queue_ifindex = 2;  // NETDEV_A_QUEUE_IFINDEX (u32)
inline constexpr std::uint16_t a_queue_type = 3;     // NETDEV_A_QUEUE_TYPE (u32)
inline constexpr std::uint16_t a_queue_napi_id = 4;  // NETDEV_A_QUEUE_NAPI_ID (u32)
inline constexpr std::uint16_t a_queue_dmabuf = 5;   // NETDEV_A_QUEUE_DMABUF (u32)
inline constexpr std::uint16_t a_queue_io_uring = 6; // NETDEV_A_QUEUE_IO_URING (nest)
inline constexpr std::uint16_t a_queue_max = 6;      // NETDEV_A_QUEUE_MAX with the series
inline constexpr std::uint32_t queue_type_rx = 0;    // NETDEV_QUEUE_TYPE_RX
} // namespace netdev_nl

// What a step needs from the device; names the feature in error messages.
enum class Feature { channels, rings, tcp_data_split, rss, ntuple };

// "header/data split (tcp-data-split)" and the like.
[[nodiscard]] std::string_view feature_name(Feature f) noexcept;

// The advice for err from an ethtool step on dev that needs f: names the
// feature and the device, says what to do. Empty if there is nothing to add.
[[nodiscard]] std::string feature_advice(Feature f, std::string_view dev, int err);

// An Error for a failed ethtool step, with feature_advice() as its hint.
[[nodiscard]] Error feature_error(Feature f, std::string_view dev, int err, std::string what,
                                  std::string detail = {});

// A device's channel counts and their maxima (ETHTOOL_MSG_CHANNELS_GET).
struct Channels {
    // 0 means "not reported" (the kernel omits zero values).
    std::uint32_t rx_max = 0, tx_max = 0, other_max = 0, combined_max = 0;
    std::uint32_t rx = 0, tx = 0, other = 0, combined = 0;

    // RX queues: combined channels plus RX-only ones.
    [[nodiscard]] std::uint32_t rx_queues() const noexcept { return combined + rx; }
};

// ETHTOOL_TCP_DATA_SPLIT_* (same values).
enum class TcpDataSplit : std::uint8_t { unknown = 0, disabled = 1, enabled = 2 };

// "unknown", "off", "on": the words ethtool uses.
[[nodiscard]] std::string_view to_string(TcpDataSplit v) noexcept;

// A device's ring sizes and header split (ETHTOOL_MSG_RINGS_GET).
struct Rings {
    std::uint32_t rx_max = 0, rx = 0, tx_max = 0, tx = 0; // 0: not reported
    std::uint32_t rx_buf_len = 0, cqe_size = 0;           // 0: not reported
    TcpDataSplit tcp_data_split = TcpDataSplit::unknown;  // unknown: not reported
};

// A device's RSS hash function, indirection table and hash key
// (ETHTOOL_MSG_RSS_GET, context 0).
struct Rss {
    std::uint32_t hfunc = 0; // ETH_RSS_HASH_* bit; 0: not reported
    std::vector<std::uint32_t> indir;
    std::vector<std::uint8_t> key;
};

// Who provides the memory of an RX queue or a page pool, as the netdev
// netlink family reports it.
enum class Provider { none, dmabuf, io_uring };

// "none", "dmabuf" (devmem TCP), "io_uring" (zero-copy receive).
[[nodiscard]] std::string_view to_string(Provider p) noexcept;

// An RX queue of a device (NETDEV_CMD_QUEUE_GET).
struct RxQueue {
    std::uint32_t id = 0;
    std::uint32_t napi_id = 0; // 0: not reported
    Provider provider = Provider::none;
    std::uint32_t dmabuf = 0; // the binding id, for Provider::dmabuf
};

// A page pool of a device (NETDEV_CMD_PAGE_POOL_GET).
struct PagePool {
    std::uint64_t id = 0;
    std::uint32_t ifindex = 0;
    std::uint64_t inflight = 0; // buffers handed out and not yet back
    bool detached = false;      // its queue is gone; it waits for its buffers
    Provider provider = Provider::none;
};

// ---- Netlink messages (pure) ----

// Storage for netlink messages, aligned for struct nlmsghdr.
class MessageBuffer {
public:
    // At least bytes long.
    explicit MessageBuffer(std::size_t bytes) : words_((bytes + 7) / 8) {}
    // The whole buffer, to build a message in or receive one into.
    [[nodiscard]] std::span<std::byte> bytes() noexcept {
        return std::as_writable_bytes(std::span(words_));
    }

private:
    std::vector<std::uint64_t> words_;
};

// Each builder writes one request into buf and returns it, or nullptr if it
// does not fit or dev is not a valid interface name. Requests ask for an ACK
// (NLM_F_ACK), so every exchange ends with an NLMSG_ERROR message.

// CTRL_CMD_GETFAMILY for a generic netlink family ("ethtool" by default).
[[nodiscard]] nlmsghdr *build_family_request(std::span<std::byte> buf, std::uint32_t seq,
                                             const char *name = "ethtool");
// Dumps of the netdev family: a device's queues (NLM_F_DUMP, no ACK: a
// dump ends with NLMSG_DONE), and every page pool in the namespace.
[[nodiscard]] nlmsghdr *build_queue_dump(std::span<std::byte> buf, std::uint16_t family,
                                         std::uint32_t seq, std::uint32_t ifindex);
[[nodiscard]] nlmsghdr *build_page_pool_dump(std::span<std::byte> buf, std::uint16_t family,
                                             std::uint32_t seq);
// A GET request (ETHTOOL_MSG_*_GET) carrying only the header with the device name.
[[nodiscard]] nlmsghdr *build_get(std::span<std::byte> buf, std::uint16_t family, std::uint8_t cmd,
                                  std::uint32_t seq, std::string_view dev);
// ETHTOOL_MSG_CHANNELS_SET with ETHTOOL_A_CHANNELS_COMBINED_COUNT.
[[nodiscard]] nlmsghdr *build_set_channels(std::span<std::byte> buf, std::uint16_t family,
                                           std::uint32_t seq, std::string_view dev,
                                           std::uint32_t combined);
// ETHTOOL_MSG_RINGS_SET with ETHTOOL_A_RINGS_TCP_DATA_SPLIT.
[[nodiscard]] nlmsghdr *build_set_tcp_data_split(std::span<std::byte> buf, std::uint16_t family,
                                                 std::uint32_t seq, std::string_view dev,
                                                 TcpDataSplit value);

// Reply parsers. A malformed message is an EBADMSG error.

// The family id in a CTRL_CMD_GETFAMILY reply.
[[nodiscard]] Result<std::uint16_t> parse_family_reply(const nlmsghdr *nlh);
// ETHTOOL_MSG_CHANNELS_GET_REPLY.
[[nodiscard]] Result<Channels> parse_channels_reply(const nlmsghdr *nlh);
// ETHTOOL_MSG_RINGS_GET_REPLY.
[[nodiscard]] Result<Rings> parse_rings_reply(const nlmsghdr *nlh);
// ETHTOOL_MSG_RSS_GET_REPLY.
[[nodiscard]] Result<Rss> parse_rss_reply(const nlmsghdr *nlh);
// One NETDEV_CMD_QUEUE_GET reply of a dump; nullopt for a queue that is
// not an RX queue.
[[nodiscard]] Result<std::optional<RxQueue>> parse_queue_reply(const nlmsghdr *nlh);
// One NETDEV_CMD_PAGE_POOL_GET reply of a dump.
[[nodiscard]] Result<PagePool> parse_page_pool_reply(const nlmsghdr *nlh);

// An NLMSG_ERROR message: err is 0 for an ACK, else a positive errno;
// message is the kernel's extended ACK text, if it sent one.
struct Ack {
    int err = 0;
    std::string message;
};
// nullopt unless nlh is a complete NLMSG_ERROR message.
[[nodiscard]] std::optional<Ack> parse_ack(const nlmsghdr *nlh);

// ---- Netlink session ----

// A generic netlink socket to the ethtool family (and the netdev family);
// move-only. Requests go one at a time, each read to its end. The kernel
// refusing one is an Error with its errno and its extended ACK message as
// the detail; for an ethtool request, with feature_advice() for the
// feature it needs.
class Netlink {
public:
    // Opens a generic netlink socket with extended ACKs and resolves the
    // ethtool family (ENOENT from a kernel without ethtool netlink).
    [[nodiscard]] static Result<Netlink> open();

    // The channels, rings and RSS settings of dev (ETHTOOL_MSG_*_GET).
    [[nodiscard]] Result<Channels> channels(std::string_view dev);
    [[nodiscard]] Result<Rings> rings(std::string_view dev);
    [[nodiscard]] Result<Rss> rss(std::string_view dev);
    // Sets dev to combined channels (ETHTOOL_MSG_CHANNELS_SET).
    [[nodiscard]] Result<void> set_channels(std::string_view dev, std::uint32_t combined);
    // Sets dev's tcp-data-split (ETHTOOL_MSG_RINGS_SET); unknown asks for
    // the driver's default ("auto").
    [[nodiscard]] Result<void> set_tcp_data_split(std::string_view dev, TcpDataSplit value);
    // From the netdev family (Linux 6.8+), looked up on first use: the RX
    // queues of a device and the page pools it has, live or detached.
    [[nodiscard]] Result<std::vector<RxQueue>> rx_queues(std::uint32_t ifindex);
    [[nodiscard]] Result<std::vector<PagePool>> page_pools(std::uint32_t ifindex);

private:
    struct SocketCloser {
        void operator()(mnl_socket *sock) const noexcept;
    };
    Netlink(std::unique_ptr<mnl_socket, SocketCloser> sock, std::uint32_t portid);

    // Sends the request in buf_ and reads until its ACK. For each reply
    // message, calls on_reply(nlh), which returns Result<void>; kernel errors
    // come back as Error{errno, what, extack}.
    template <typename OnReply>
    Result<void> exchange(const nlmsghdr *req, const std::string &what, OnReply &&on_reply);
    // A GET request for dev; parse(nlh) -> Result<T> reads the reply.
    template <typename T, typename Parse>
    Result<T> get(std::string_view dev, std::uint8_t cmd, Feature f, std::string what, Parse parse);

    std::unique_ptr<mnl_socket, SocketCloser> sock_;
    std::uint32_t portid_ = 0;
    std::uint32_t seq_ = 0;
    // Sends a dump request; take(nlh, out) adds what it keeps of each reply
    // of family to out, which comes back sorted by id.
    template <typename T, typename Take>
    Result<std::vector<T>> dump(const nlmsghdr *req, std::uint16_t family, const std::string &what,
                                Take take);
    [[nodiscard]] Result<std::uint16_t> resolve(const char *name);
    [[nodiscard]] Result<std::uint16_t> netdev_family();

    std::uint16_t family_ = 0;
    std::uint16_t netdev_family_ = 0; // 0: not looked up yet
    MessageBuffer buf_;
};

// ---- ioctl (SIOCETHTOOL) ----

// A device's ntuple rule table (ETHTOOL_GRXCLSRLCNT).
struct RuleCount {
    std::uint32_t count = 0;        // rules installed
    std::uint32_t table_size = 0;   // rule locations the device has
    bool special_locations = false; // driver picks a location for RX_CLS_LOC_ANY
};

// The SIOCETHTOOL ioctl on one device, over a socket of its own;
// move-only. A failed call is feature_error() for the feature it needs.
class Ioctl {
public:
    // A socket for ioctls on dev (EINVAL for a name that cannot be an
    // interface's; whether dev exists shows at the first call).
    [[nodiscard]] static Result<Ioctl> open(std::string_view dev);

    // ETHTOOL_GRXRINGS: RX rings RSS and rules can target.
    [[nodiscard]] Result<std::uint32_t> rx_rings();
    // ETHTOOL_GRXFHINDIR. An empty table is reported as EOPNOTSUPP.
    [[nodiscard]] Result<std::vector<std::uint32_t>> indir();
    // ETHTOOL_SRXFHINDIR; an empty table restores the driver's default
    // (spread equally over all RX rings).
    [[nodiscard]] Result<void> set_indir(std::span<const std::uint32_t> table);
    // ETHTOOL_GRXCLSRLCNT.
    [[nodiscard]] Result<RuleCount> rule_count();
    // ETHTOOL_GRXCLSRLALL.
    [[nodiscard]] Result<std::vector<std::uint32_t>> rule_locations(std::uint32_t count);
    // ETHTOOL_GRXCLSRULE.
    [[nodiscard]] Result<ethtool_rx_flow_spec> rule(std::uint32_t location);
    // ETHTOOL_SRXCLSRLINS. Returns the location the rule went to (the driver
    // picks it when fs.location is RX_CLS_LOC_ANY).
    [[nodiscard]] Result<std::uint32_t> insert_rule(const ethtool_rx_flow_spec &fs);
    // ETHTOOL_SRXCLSRLDEL.
    [[nodiscard]] Result<void> delete_rule(std::uint32_t location);
    // ETHTOOL_GFLAGS: whether the ntuple feature (ethtool -K DEV ntuple,
    // NETIF_F_NTUPLE) is on. Many drivers refuse rules while it is off.
    [[nodiscard]] Result<bool> ntuple_on();

private:
    Ioctl(Fd fd, std::string_view dev) noexcept;
    Result<void> call(void *cmd, Feature f, const char *what);

    Fd fd_;
    std::array<char, IFNAMSIZ> name_{};
};

// ---- Pure computations ----

// The table that spreads traffic equally over rings [0, rings): what the
// kernel uses by default (entry i -> i % rings).
[[nodiscard]] std::vector<std::uint32_t> equal_indir(std::uint32_t size, std::uint32_t rings);

// The same over every ring except excluded, keeping RSS traffic off it.
// nullopt unless size > 0, rings >= 2 and excluded < rings.
[[nodiscard]] std::optional<std::vector<std::uint32_t>>
equal_indir_excluding(std::uint32_t size, std::uint32_t rings, std::uint32_t excluded);

// Highest ring any entry sends to (nullopt for an empty table).
[[nodiscard]] std::optional<std::uint32_t> max_ring(std::span<const std::uint32_t> table) noexcept;

// The RX queues dev has once `want` combined channels are set, or, without
// want, rx_rings (ETHTOOL_GRXRINGS). Refused before anything changes:
// a device without combined channels (EOPNOTSUPP; gve), more than its
// maximum (ERANGE), and a device whose channels are all separate RX and TX
// ones (EINVAL): the kernel would keep those next to the combined ones,
// which bnxt refuses (EINVAL) and which is not what --channels means.
[[nodiscard]] Result<std::uint32_t> rx_queues_after(const Channels &ch,
                                                    std::optional<std::uint32_t> want,
                                                    std::uint32_t rx_rings, std::string_view dev);

// Whether the RSS table must go back to the driver's default before the RX
// queues go from rings to rings_after. The kernel refuses fewer queues than
// a table set by hand uses, and bnxt refuses any channel change that resizes
// such a table (its size follows the queue count on P5 chips). A table
// other than equal_indir(size, rings) was set by hand; the default one is
// reset too when it uses a queue that goes, since it may have been set by
// hand as well (the kernel does not say).
[[nodiscard]] bool rss_reset_before_channels(std::span<const std::uint32_t> table,
                                             std::uint32_t rings, std::uint32_t rings_after);

// The IP version of an ntuple rule: flow-type tcp4 or tcp6.
enum class IpVersion { v4, v6 };

// An ntuple rule "flow-type tcp4|tcp6 dst-port PORT action QUEUE".
[[nodiscard]] ethtool_rx_flow_spec port_rule(IpVersion ip, std::uint16_t port, std::uint32_t queue,
                                             std::uint32_t location = RX_CLS_LOC_ANY) noexcept;

// fs is exactly what port_rule(v4 or v6, port, any queue) makes: TCP, only
// the destination port matched.
[[nodiscard]] bool is_port_rule(const ethtool_rx_flow_spec &fs, std::uint16_t port) noexcept;

// ethtool -N syntax: "flow-type tcp4 dst-port 9999 action 3".
[[nodiscard]] std::string describe_rule(const ethtool_rx_flow_spec &fs);

// The error for an ntuple rule the driver refused with e, given whether
// dev's ntuple feature is on (nullopt: not known). With it off, whatever
// the driver answered (bnxt: EPERM, gve and netdevsim: EOPNOTSUPP) becomes
// EOPNOTSUPP saying to turn it on. EPERM with it on is the driver's refusal,
// not a missing CAP_NET_ADMIN (apply has set the RSS table by then, which
// needs it); EAGAIN is a device that is down (bnxt). Anything else is e.
[[nodiscard]] Error explain_rule_refusal(Error e, std::optional<bool> ntuple_on,
                                         std::string_view dev);

// Lowest location in [0, table_size) not in used.
[[nodiscard]] std::optional<std::uint32_t> free_location(std::span<const std::uint32_t> used,
                                                         std::uint32_t table_size);

} // namespace zcrx::ethtool
