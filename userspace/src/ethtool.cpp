#include "zcrx/ethtool.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>

namespace zcrx::ethtool {

// Every ethtool message puts its request/reply header nest in attribute 1.
static_assert(ETHTOOL_A_CHANNELS_HEADER == 1 && ETHTOOL_A_RINGS_HEADER == 1 &&
              nl::a_rss_header == 1);
static_assert(static_cast<int>(TcpDataSplit::unknown) == ETHTOOL_TCP_DATA_SPLIT_UNKNOWN &&
              static_cast<int>(TcpDataSplit::disabled) == ETHTOOL_TCP_DATA_SPLIT_DISABLED &&
              static_cast<int>(TcpDataSplit::enabled) == ETHTOOL_TCP_DATA_SPLIT_ENABLED);
// The ioctl buffers below are laid out by hand around these headers.
static_assert(sizeof(ethtool_rxfh_indir) == 2 * sizeof(std::uint32_t));
static_assert(offsetof(ethtool_rxfh_indir, ring_index) == 2 * sizeof(std::uint32_t));

namespace {

constexpr std::uint16_t header_attr = 1;

// MNL_ALIGN() without its int arithmetic (which -Wsign-conversion rejects).
constexpr std::size_t align4(std::size_t n) noexcept {
    return (n + 3) & ~std::size_t{3};
}
constexpr std::size_t nlmsg_hdrlen = align4(sizeof(nlmsghdr));
constexpr std::size_t genl_hdrlen = align4(sizeof(genlmsghdr));

// ---- feature names and advice ----

std::string str(std::string_view s) {
    return std::string(s);
}

// ---- building ----

// A generic netlink request header, or nullptr if buf is too small.
nlmsghdr *put_genl_header(std::span<std::byte> buf, std::uint16_t type, std::uint8_t cmd,
                          std::uint8_t version, std::uint32_t seq) {
    if (buf.size() < nlmsg_hdrlen + genl_hdrlen)
        return nullptr;
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = seq;
    auto *genl = static_cast<genlmsghdr *>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    genl->cmd = cmd;
    genl->version = version;
    return nlh;
}

bool valid_ifname(std::string_view dev) noexcept {
    return !dev.empty() && dev.size() < IFNAMSIZ && dev.find('\0') == std::string_view::npos &&
           dev.find('/') == std::string_view::npos;
}

// The ETHTOOL_A_*_HEADER nest naming the device.
bool put_dev_header(nlmsghdr *nlh, std::size_t buflen, std::string_view dev) {
    if (!valid_ifname(dev))
        return false;
    char name[IFNAMSIZ] = {};
    std::memcpy(name, dev.data(), dev.size());
    nlattr *nest = mnl_attr_nest_start_check(nlh, buflen, header_attr);
    if (!nest)
        return false;
    if (!mnl_attr_put_strz_check(nlh, buflen, ETHTOOL_A_HEADER_DEV_NAME, name)) {
        mnl_attr_nest_cancel(nlh, nest);
        return false;
    }
    mnl_attr_nest_end(nlh, nest);
    return true;
}

nlmsghdr *ethtool_request(std::span<std::byte> buf, std::uint16_t family, std::uint8_t cmd,
                          std::uint32_t seq, std::string_view dev) {
    nlmsghdr *nlh = put_genl_header(buf, family, cmd, ETHTOOL_GENL_VERSION, seq);
    if (!nlh || !put_dev_header(nlh, buf.size(), dev))
        return nullptr;
    return nlh;
}

// ---- parsing ----

// Attribute pointers by type, filled by a libmnl callback. The callback only
// stores pointers: nothing in it can throw or allocate.
struct AttrTable {
    static constexpr std::uint16_t capacity = 32;
    std::array<const nlattr *, capacity> at{};
    std::uint16_t max = 0;

    explicit AttrTable(std::uint16_t max_type) noexcept
        : max(std::min<std::uint16_t>(max_type, capacity - 1)) {}

    const nlattr *operator[](std::uint16_t type) const noexcept {
        return type <= max ? at[type] : nullptr;
    }
};

int collect_attr(const nlattr *attr, void *data) noexcept {
    auto *table = static_cast<AttrTable *>(data);
    const std::uint16_t type = mnl_attr_get_type(attr);
    if (type <= table->max) // newer attributes than we know are skipped
        table->at[type] = attr;
    return MNL_CB_OK;
}

// The attributes of a generic netlink message whose command is cmd.
bool parse_genl(const nlmsghdr *nlh, std::uint8_t cmd, AttrTable &table) {
    if (nlh->nlmsg_len < nlmsg_hdrlen + genl_hdrlen)
        return false;
    const auto *genl = static_cast<const genlmsghdr *>(mnl_nlmsg_get_payload(nlh));
    if (genl->cmd != cmd)
        return false;
    return mnl_attr_parse(nlh, sizeof(genlmsghdr), collect_attr, &table) >= MNL_CB_STOP;
}

// Absent attributes leave out unchanged; false if present but malformed.
bool get_u32(const nlattr *attr, std::uint32_t &out) {
    if (!attr)
        return true;
    if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
        return false;
    out = mnl_attr_get_u32(attr);
    return true;
}

// A netlink "uint": 4 or 8 bytes, whichever the value needs.
bool get_uint(const nlattr *attr, std::uint64_t &out) {
    if (!attr)
        return true;
    if (mnl_attr_get_payload_len(attr) == sizeof(std::uint32_t))
        out = mnl_attr_get_u32(attr);
    else if (mnl_attr_validate(attr, MNL_TYPE_U64) == 0)
        out = mnl_attr_get_u64(attr);
    else
        return false;
    return true;
}

bool get_u8(const nlattr *attr, std::uint8_t &out) {
    if (!attr)
        return true;
    if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
        return false;
    out = mnl_attr_get_u8(attr);
    return true;
}

Error malformed(std::string what) {
    return Error{EBADMSG, std::move(what), {}, std::string()};
}

std::string ip4_string(std::uint32_t be) {
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &be, buf, sizeof(buf));
    return buf;
}

std::string ip6_string(const std::uint32_t (&be)[4]) {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, be, buf, sizeof(buf));
    return buf;
}

std::string hex(std::uint32_t v) {
    char buf[16];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, 16);
    (void)ec; // 8 hex digits always fit
    return std::string(buf, end);
}

bool all_zero(const void *p, std::size_t n) noexcept {
    const auto *b = static_cast<const unsigned char *>(p);
    return std::all_of(b, b + n, [](unsigned char c) { return c == 0; });
}

bool all_ones(const void *p, std::size_t n) noexcept {
    const auto *b = static_cast<const unsigned char *>(p);
    return std::all_of(b, b + n, [](unsigned char c) { return c == 0xff; });
}

void append_ip4(std::string &out, const char *key, std::uint32_t value, std::uint32_t mask) {
    if (mask == 0)
        return;
    out += ' ';
    out += key;
    out += ' ';
    out += ip4_string(value);
    if (mask != 0xffffffffU) {
        out += " mask ";
        out += ip4_string(mask);
    }
}

void append_ip6(std::string &out, const char *key, const std::uint32_t (&value)[4],
                const std::uint32_t (&mask)[4]) {
    if (all_zero(mask, sizeof(mask)))
        return;
    out += ' ';
    out += key;
    out += ' ';
    out += ip6_string(value);
    if (!all_ones(mask, sizeof(mask))) {
        out += " mask ";
        out += ip6_string(mask);
    }
}

void append_port(std::string &out, const char *key, std::uint16_t value, std::uint16_t mask) {
    if (mask == 0)
        return;
    out += ' ';
    out += key;
    out += ' ';
    out += std::to_string(ntohs(value));
    if (mask != 0xffff)
        out += " mask 0x" + hex(ntohs(mask));
}

std::string_view flow_name(std::uint32_t flow_type) noexcept {
    switch (flow_type) {
    case TCP_V4_FLOW:
        return "tcp4";
    case UDP_V4_FLOW:
        return "udp4";
    case SCTP_V4_FLOW:
        return "sctp4";
    case AH_V4_FLOW:
        return "ah4";
    case ESP_V4_FLOW:
        return "esp4";
    case IPV4_USER_FLOW:
        return "ip4";
    case TCP_V6_FLOW:
        return "tcp6";
    case UDP_V6_FLOW:
        return "udp6";
    case SCTP_V6_FLOW:
        return "sctp6";
    case AH_V6_FLOW:
        return "ah6";
    case ESP_V6_FLOW:
        return "esp6";
    case IPV6_USER_FLOW:
        return "ip6";
    case ETHER_FLOW:
        return "ether";
    default:
        return {};
    }
}

} // namespace

// ---- features ----

std::string_view feature_name(Feature f) noexcept {
    switch (f) {
    case Feature::channels:
        return "channels (ethtool -l)";
    case Feature::rings:
        return "ring parameters (ethtool -g)";
    case Feature::tcp_data_split:
        return "header/data split (tcp-data-split)";
    case Feature::rss:
        return "an RSS indirection table (ethtool -x)";
    case Feature::ntuple:
        return "ntuple flow steering rules (ethtool -n)";
    }
    return "an ethtool feature";
}

std::string feature_advice(Feature f, std::string_view dev, int err) {
    const std::string d = str(dev);
    switch (err) {
    case EOPNOTSUPP: {
        std::string advice = d + " does not support " + str(feature_name(f));
        switch (f) {
        case Feature::channels:
            advice += ": it has no RX queues to set up for zero-copy receive (loopback and most "
                      "virtual devices have none)";
            break;
        case Feature::rings:
            advice += ", so header/data split cannot be configured on it";
            break;
        case Feature::tcp_data_split:
            advice += ", which zero-copy receive needs: the NIC must put TCP headers and payload "
                      "in separate buffers (bnxt, gve, mlx5, or netdevsim with the zcrx series)";
            break;
        case Feature::rss:
            advice += ": other flows cannot be kept off the zero-copy queue";
            break;
        case Feature::ntuple:
            advice += ": the zero-copy port cannot be steered to its queue; if the driver has "
                      "flow steering, turn it on with: ethtool -K " +
                      d + " ntuple on";
            break;
        }
        return advice;
    }
    case EPERM:
    case EACCES:
        return "changing NIC settings needs CAP_NET_ADMIN: run as root";
    case ENODEV:
        return "no network interface named " + d + " in this network namespace (ip link)";
    case ERANGE:
        return "a queue index is out of range for " + d + ": check its channels (ethtool -l " + d +
               ")";
    case EBUSY:
        return d + " is busy: an XDP program, AF_XDP socket or memory provider may hold the queue";
    default:
        return {};
    }
}

Error feature_error(Feature f, std::string_view dev, int err, std::string what,
                    std::string detail) {
    return Error{err, std::move(what), std::move(detail), feature_advice(f, dev, err)};
}

std::string_view to_string(Provider p) noexcept {
    switch (p) {
    case Provider::none:
        return "none";
    case Provider::dmabuf:
        return "dmabuf";
    case Provider::io_uring:
        return "io_uring";
    }
    return "none";
}

std::string_view to_string(TcpDataSplit v) noexcept {
    switch (v) {
    case TcpDataSplit::unknown:
        return "unknown";
    case TcpDataSplit::disabled:
        return "off";
    case TcpDataSplit::enabled:
        return "on";
    }
    return "unknown";
}

// ---- building ----

nlmsghdr *build_family_request(std::span<std::byte> buf, std::uint32_t seq, const char *name) {
    nlmsghdr *nlh = put_genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, seq);
    if (!nlh || !mnl_attr_put_strz_check(nlh, buf.size(), CTRL_ATTR_FAMILY_NAME, name))
        return nullptr;
    return nlh;
}

nlmsghdr *build_queue_dump(std::span<std::byte> buf, std::uint16_t family, std::uint32_t seq,
                           std::uint32_t ifindex) {
    nlmsghdr *nlh = put_genl_header(buf, family, netdev_nl::cmd_queue_get, 1, seq);
    if (!nlh || !mnl_attr_put_u32_check(nlh, buf.size(), netdev_nl::a_queue_ifindex, ifindex))
        return nullptr;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    return nlh;
}

nlmsghdr *build_page_pool_dump(std::span<std::byte> buf, std::uint16_t family, std::uint32_t seq) {
    nlmsghdr *nlh = put_genl_header(buf, family, netdev_nl::cmd_page_pool_get, 1, seq);
    if (nlh)
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    return nlh;
}

nlmsghdr *build_get(std::span<std::byte> buf, std::uint16_t family, std::uint8_t cmd,
                    std::uint32_t seq, std::string_view dev) {
    return ethtool_request(buf, family, cmd, seq, dev);
}

nlmsghdr *build_set_channels(std::span<std::byte> buf, std::uint16_t family, std::uint32_t seq,
                             std::string_view dev, std::uint32_t combined) {
    nlmsghdr *nlh = ethtool_request(buf, family, ETHTOOL_MSG_CHANNELS_SET, seq, dev);
    if (!nlh ||
        !mnl_attr_put_u32_check(nlh, buf.size(), ETHTOOL_A_CHANNELS_COMBINED_COUNT, combined))
        return nullptr;
    return nlh;
}

nlmsghdr *build_set_tcp_data_split(std::span<std::byte> buf, std::uint16_t family,
                                   std::uint32_t seq, std::string_view dev, TcpDataSplit value) {
    nlmsghdr *nlh = ethtool_request(buf, family, ETHTOOL_MSG_RINGS_SET, seq, dev);
    if (!nlh || !mnl_attr_put_u8_check(nlh, buf.size(), ETHTOOL_A_RINGS_TCP_DATA_SPLIT,
                                       static_cast<std::uint8_t>(value)))
        return nullptr;
    return nlh;
}

// ---- parsing ----

Result<std::uint16_t> parse_family_reply(const nlmsghdr *nlh) {
    AttrTable tb(CTRL_ATTR_MAX);
    if (!parse_genl(nlh, CTRL_CMD_NEWFAMILY, tb))
        return malformed("parse the generic netlink family reply");
    const nlattr *id = tb[CTRL_ATTR_FAMILY_ID];
    if (!id || mnl_attr_validate(id, MNL_TYPE_U16) < 0)
        return malformed("parse the generic netlink family reply: no family id");
    return mnl_attr_get_u16(id);
}

Result<std::optional<RxQueue>> parse_queue_reply(const nlmsghdr *nlh) {
    namespace a = netdev_nl;
    AttrTable tb(a::a_queue_max);
    if (!parse_genl(nlh, a::cmd_queue_get, tb))
        return malformed("parse a netdev queue");
    std::uint32_t type = a::queue_type_rx;
    RxQueue q;
    if (!tb[a::a_queue_id] || !get_u32(tb[a::a_queue_id], q.id) ||
        !get_u32(tb[a::a_queue_type], type) || !get_u32(tb[a::a_queue_napi_id], q.napi_id) ||
        !get_u32(tb[a::a_queue_dmabuf], q.dmabuf))
        return malformed("parse a netdev queue");
    if (type != a::queue_type_rx)
        return std::optional<RxQueue>();
    if (tb[a::a_queue_io_uring])
        q.provider = Provider::io_uring;
    else if (tb[a::a_queue_dmabuf])
        q.provider = Provider::dmabuf;
    return std::optional<RxQueue>(q);
}

Result<PagePool> parse_page_pool_reply(const nlmsghdr *nlh) {
    namespace a = netdev_nl;
    AttrTable tb(a::a_pp_max);
    if (!parse_genl(nlh, a::cmd_page_pool_get, tb))
        return malformed("parse a netdev page pool");
    PagePool p;
    if (!tb[a::a_pp_id] || !get_uint(tb[a::a_pp_id], p.id) ||
        !get_u32(tb[a::a_pp_ifindex], p.ifindex) || !get_uint(tb[a::a_pp_inflight], p.inflight))
        return malformed("parse a netdev page pool");
    p.detached = tb[a::a_pp_detach_time] != nullptr;
    if (tb[a::a_pp_io_uring])
        p.provider = Provider::io_uring;
    else if (tb[a::a_pp_dmabuf])
        p.provider = Provider::dmabuf;
    return p;
}

Result<Channels> parse_channels_reply(const nlmsghdr *nlh) {
    AttrTable tb(ETHTOOL_A_CHANNELS_MAX);
    Channels c;
    if (!parse_genl(nlh, ETHTOOL_MSG_CHANNELS_GET_REPLY, tb) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_RX_MAX], c.rx_max) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_TX_MAX], c.tx_max) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_OTHER_MAX], c.other_max) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_COMBINED_MAX], c.combined_max) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_RX_COUNT], c.rx) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_TX_COUNT], c.tx) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_OTHER_COUNT], c.other) ||
        !get_u32(tb[ETHTOOL_A_CHANNELS_COMBINED_COUNT], c.combined))
        return malformed("parse the ethtool channels reply");
    return c;
}

Result<Rings> parse_rings_reply(const nlmsghdr *nlh) {
    AttrTable tb(ETHTOOL_A_RINGS_MAX);
    Rings r;
    std::uint8_t split = 0;
    if (!parse_genl(nlh, ETHTOOL_MSG_RINGS_GET_REPLY, tb) ||
        !get_u32(tb[ETHTOOL_A_RINGS_RX_MAX], r.rx_max) || !get_u32(tb[ETHTOOL_A_RINGS_RX], r.rx) ||
        !get_u32(tb[ETHTOOL_A_RINGS_TX_MAX], r.tx_max) || !get_u32(tb[ETHTOOL_A_RINGS_TX], r.tx) ||
        !get_u32(tb[ETHTOOL_A_RINGS_RX_BUF_LEN], r.rx_buf_len) ||
        !get_u32(tb[ETHTOOL_A_RINGS_CQE_SIZE], r.cqe_size) ||
        !get_u8(tb[ETHTOOL_A_RINGS_TCP_DATA_SPLIT], split))
        return malformed("parse the ethtool rings reply");
    if (split <= static_cast<std::uint8_t>(TcpDataSplit::enabled))
        r.tcp_data_split = static_cast<TcpDataSplit>(split);
    return r;
}

Result<Rss> parse_rss_reply(const nlmsghdr *nlh) {
    AttrTable tb(nl::a_rss_max);
    Rss rss;
    if (!parse_genl(nlh, nl::msg_rss_get_reply, tb) || !get_u32(tb[nl::a_rss_hfunc], rss.hfunc))
        return malformed("parse the ethtool RSS reply");
    if (const nlattr *a = tb[nl::a_rss_indir]) {
        const std::size_t len = mnl_attr_get_payload_len(a);
        if (len % sizeof(std::uint32_t) != 0)
            return malformed("parse the ethtool RSS reply: indirection table of " +
                             std::to_string(len) + " bytes");
        rss.indir.resize(len / sizeof(std::uint32_t));
        std::memcpy(rss.indir.data(), mnl_attr_get_payload(a), len);
    }
    if (const nlattr *a = tb[nl::a_rss_hkey]) {
        const auto *p = static_cast<const std::uint8_t *>(mnl_attr_get_payload(a));
        rss.key.assign(p, p + mnl_attr_get_payload_len(a));
    }
    return rss;
}

std::optional<Ack> parse_ack(const nlmsghdr *nlh) {
    if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < nlmsg_hdrlen + sizeof(nlmsgerr))
        return std::nullopt;
    const auto *e = static_cast<const nlmsgerr *>(mnl_nlmsg_get_payload(nlh));
    Ack ack;
    ack.err = e->error < 0 ? -e->error : e->error;
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
        return ack;
    // The TLVs follow the echoed request, or just its header if capped.
    std::size_t offset = sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
        if (e->msg.nlmsg_len < sizeof(nlmsghdr))
            return ack;
        offset += e->msg.nlmsg_len - sizeof(nlmsghdr);
    }
    if (offset > mnl_nlmsg_get_payload_len(nlh))
        return ack;
    AttrTable tb(NLMSGERR_ATTR_MAX);
    mnl_attr_parse(nlh, static_cast<unsigned int>(offset), collect_attr, &tb);
    if (const nlattr *msg = tb[NLMSGERR_ATTR_MSG];
        msg && mnl_attr_validate(msg, MNL_TYPE_NUL_STRING) == 0)
        ack.message = mnl_attr_get_str(msg);
    return ack;
}

// ---- netlink session ----

void Netlink::SocketCloser::operator()(mnl_socket *sock) const noexcept {
    mnl_socket_close(sock);
}

// Replies to ethtool GET requests fit easily: the largest, RSS, carries at
// most a few KiB of table and key.
Netlink::Netlink(std::unique_ptr<mnl_socket, SocketCloser> sock, std::uint32_t portid)
    : sock_(std::move(sock)), portid_(portid), buf_(32768) {}

namespace {
// Gives e the feature's advice (and never the zcrx errno hints, which are
// about registering a queue, not about ethtool).
Error with_feature(Feature f, std::string_view dev, Error e) {
    e.advice = feature_advice(f, dev, e.err);
    return e;
}
} // namespace

template <typename OnReply>
Result<void> Netlink::exchange(const nlmsghdr *req, const std::string &what, OnReply &&on_reply) {
    if (!req)
        return Error{EINVAL, what, "request does not fit or bad interface name", std::string()};
    const std::uint32_t seq = req->nlmsg_seq;
    if (mnl_socket_sendto(sock_.get(), req, req->nlmsg_len) < 0)
        return Error{errno, what + ": send the netlink request", {}, std::string()};

    // The request is no longer needed: its buffer takes the replies.
    const std::span<std::byte> buf = buf_.bytes();
    std::optional<Error> failed;
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(sock_.get(), buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error{errno, what + ": receive the netlink reply", {}, std::string()};
        }
        int len = static_cast<int>(n);
        for (const auto *nlh = reinterpret_cast<const nlmsghdr *>(buf.data());
             mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            if (!mnl_nlmsg_portid_ok(nlh, portid_) || !mnl_nlmsg_seq_ok(nlh, seq))
                continue; // a late reply to an earlier request
            if (nlh->nlmsg_type == NLMSG_ERROR) {
                const std::optional<Ack> ack = parse_ack(nlh);
                if (!ack)
                    return malformed(what + ": bad netlink error message");
                if (ack->err != 0)
                    return Error{ack->err, what, ack->message, std::nullopt};
                if (failed)
                    return std::move(*failed);
                return {};
            }
            if (nlh->nlmsg_type == NLMSG_DONE) { // the end of a dump
                int err = 0;
                if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
                    std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
                if (err != 0)
                    return Error{-err, what, {}, std::nullopt};
                if (failed)
                    return std::move(*failed);
                return {};
            }
            if (nlh->nlmsg_type < NLMSG_MIN_TYPE || failed)
                continue;
            if (Result<void> r = on_reply(nlh); !r)
                failed = std::move(r).error();
        }
    }
}

Result<Netlink> Netlink::open() {
    std::unique_ptr<mnl_socket, SocketCloser> sock(mnl_socket_open(NETLINK_GENERIC));
    if (!sock)
        return Error{errno, "open a generic netlink socket", {}, std::string()};
    // Best effort: without them, errors just lose the kernel's explanation.
    int one = 1;
    mnl_socket_setsockopt(sock.get(), NETLINK_EXT_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(sock.get(), NETLINK_CAP_ACK, &one, sizeof(one));
    if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return Error{errno, "bind a generic netlink socket", {}, std::string()};
    const std::uint32_t portid = mnl_socket_get_portid(sock.get());
    Netlink nl(std::move(sock), portid);

    Result<std::uint16_t> family = nl.resolve(ETHTOOL_GENL_NAME);
    if (!family) {
        Error e = std::move(family).error();
        e.advice = e.err == ENOENT ? "this kernel has no ethtool netlink interface: it needs "
                                     "CONFIG_ETHTOOL_NETLINK=y (Linux 5.6 or later)"
                                   : "";
        return e;
    }
    nl.family_ = *family;
    return Result<Netlink>(std::move(nl));
}

Result<std::uint16_t> Netlink::resolve(const char *name) {
    const std::string what = "look up the \"" + std::string(name) + "\" generic netlink family";
    std::optional<std::uint16_t> family;
    Result<void> r = exchange(build_family_request(buf_.bytes(), ++seq_, name), what,
                              [&](const nlmsghdr *nlh) -> Result<void> {
                                  if (nlh->nlmsg_type != GENL_ID_CTRL)
                                      return {};
                                  Result<std::uint16_t> id = parse_family_reply(nlh);
                                  if (!id)
                                      return std::move(id).error();
                                  family = *id;
                                  return {};
                              });
    if (!r)
        return std::move(r).error();
    if (!family)
        return malformed(what + ": no reply");
    return *family;
}

Result<std::uint16_t> Netlink::netdev_family() {
    if (netdev_family_ == 0) {
        Result<std::uint16_t> id = resolve(netdev_nl::family_name);
        if (!id) {
            Error e = std::move(id).error();
            if (e.err == ENOENT)
                e.advice = "this kernel has no netdev netlink family (Linux 6.8 or later "
                           "lists queues and their memory providers)";
            return e;
        }
        netdev_family_ = *id;
    }
    return netdev_family_;
}

template <typename T, typename Take>
Result<std::vector<T>> Netlink::dump(const nlmsghdr *req, std::uint16_t family,
                                     const std::string &what, Take take) {
    std::vector<T> out;
    Result<void> r = exchange(req, what, [&](const nlmsghdr *nlh) -> Result<void> {
        if (nlh->nlmsg_type != family)
            return {};
        return take(nlh, out);
    });
    if (!r)
        return std::move(r).error();
    std::sort(out.begin(), out.end(), [](const T &x, const T &y) { return x.id < y.id; });
    return out;
}

Result<std::vector<RxQueue>> Netlink::rx_queues(std::uint32_t ifindex) {
    Result<std::uint16_t> family = netdev_family();
    if (!family)
        return std::move(family).error();
    return dump<RxQueue>(build_queue_dump(buf_.bytes(), *family, ++seq_, ifindex), *family,
                         "list the queues of ifindex " + std::to_string(ifindex),
                         [](const nlmsghdr *nlh, std::vector<RxQueue> &out) -> Result<void> {
                             Result<std::optional<RxQueue>> q = parse_queue_reply(nlh);
                             if (!q)
                                 return std::move(q).error();
                             if (*q)
                                 out.push_back(**q);
                             return {};
                         });
}

Result<std::vector<PagePool>> Netlink::page_pools(std::uint32_t ifindex) {
    Result<std::uint16_t> family = netdev_family();
    if (!family)
        return std::move(family).error();
    return dump<PagePool>(build_page_pool_dump(buf_.bytes(), *family, ++seq_), *family,
                          "list the page pools",
                          [=](const nlmsghdr *nlh, std::vector<PagePool> &out) -> Result<void> {
                              Result<PagePool> p = parse_page_pool_reply(nlh);
                              if (!p)
                                  return std::move(p).error();
                              if (p->ifindex == ifindex)
                                  out.push_back(*p);
                              return {};
                          });
}

template <typename T, typename Parse>
Result<T> Netlink::get(std::string_view dev, std::uint8_t cmd, Feature f, std::string what,
                       Parse parse) {
    std::optional<T> out;
    Result<void> r = exchange(build_get(buf_.bytes(), family_, cmd, ++seq_, dev), what,
                              [&](const nlmsghdr *nlh) -> Result<void> {
                                  if (nlh->nlmsg_type != family_)
                                      return {};
                                  Result<T> v = parse(nlh);
                                  if (!v)
                                      return std::move(v).error();
                                  out = std::move(v).value();
                                  return {};
                              });
    if (!r)
        return with_feature(f, dev, std::move(r).error());
    if (!out)
        return malformed(what + ": no reply");
    return Result<T>(std::move(*out));
}

Result<Channels> Netlink::channels(std::string_view dev) {
    return get<Channels>(dev, ETHTOOL_MSG_CHANNELS_GET, Feature::channels,
                         "read the channels of " + str(dev), parse_channels_reply);
}

Result<Rings> Netlink::rings(std::string_view dev) {
    return get<Rings>(dev, ETHTOOL_MSG_RINGS_GET, Feature::rings,
                      "read the ring parameters of " + str(dev), parse_rings_reply);
}

Result<Rss> Netlink::rss(std::string_view dev) {
    return get<Rss>(dev, nl::msg_rss_get, Feature::rss, "read the RSS settings of " + str(dev),
                    parse_rss_reply);
}

Result<void> Netlink::set_channels(std::string_view dev, std::uint32_t combined) {
    Result<void> r =
        exchange(build_set_channels(buf_.bytes(), family_, ++seq_, dev, combined),
                 "set " + str(dev) + " to " + std::to_string(combined) + " combined channels",
                 [](const nlmsghdr *) -> Result<void> { return {}; });
    if (!r)
        return with_feature(Feature::channels, dev, std::move(r).error());
    return {};
}

Result<void> Netlink::set_tcp_data_split(std::string_view dev, TcpDataSplit value) {
    Result<void> r = exchange(build_set_tcp_data_split(buf_.bytes(), family_, ++seq_, dev, value),
                              "set tcp-data-split of " + str(dev) + " to " +
                                  (value == TcpDataSplit::unknown ? "auto" : str(to_string(value))),
                              [](const nlmsghdr *) -> Result<void> { return {}; });
    if (!r)
        return with_feature(Feature::tcp_data_split, dev, std::move(r).error());
    return {};
}

// ---- ioctl ----

Ioctl::Ioctl(Fd fd, std::string_view dev) noexcept : fd_(std::move(fd)) {
    std::memcpy(name_.data(), dev.data(), std::min(dev.size(), name_.size() - 1));
}

Result<Ioctl> Ioctl::open(std::string_view dev) {
    if (!valid_ifname(dev))
        return Error{EINVAL, "use \"" + str(dev) + "\" as an interface name",
                     "names are 1 to " + std::to_string(IFNAMSIZ - 1) + " characters", ""};
    // Any socket will do for SIOCETHTOOL; ethtool falls back the same way.
    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd)
        fd.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
    if (!fd)
        return Error{errno, "open a socket for SIOCETHTOOL", {}, std::string()};
    return Result<Ioctl>(Ioctl(std::move(fd), dev));
}

Result<void> Ioctl::call(void *cmd, Feature f, const char *what) {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name_.data(), sizeof(ifr.ifr_name));
    ifr.ifr_data = static_cast<char *>(cmd);
    if (::ioctl(fd_.get(), SIOCETHTOOL, &ifr) < 0) {
        const int err = errno;
        return feature_error(f, name_.data(), err, std::string(what) + " of " + name_.data());
    }
    return {};
}

Result<std::uint32_t> Ioctl::rx_rings() {
    ethtool_rxnfc nfc{};
    nfc.cmd = ETHTOOL_GRXRINGS;
    if (Result<void> r = call(&nfc, Feature::rss, "read the RX ring count"); !r)
        return std::move(r).error();
    return static_cast<std::uint32_t>(nfc.data);
}

Result<std::vector<std::uint32_t>> Ioctl::indir() {
    ethtool_rxfh_indir head{};
    head.cmd = ETHTOOL_GRXFHINDIR;
    head.size = 0; // asks for the table size
    if (Result<void> r = call(&head, Feature::rss, "read the RSS table size"); !r)
        return std::move(r).error();
    if (head.size == 0)
        return feature_error(Feature::rss, name_.data(), EOPNOTSUPP,
                             "read the RSS table of " + str(name_.data()));
    std::vector<std::uint32_t> buf(2 + std::size_t{head.size});
    buf[0] = ETHTOOL_GRXFHINDIR;
    buf[1] = head.size;
    if (Result<void> r = call(buf.data(), Feature::rss, "read the RSS table"); !r)
        return std::move(r).error();
    buf.erase(buf.begin(), buf.begin() + 2);
    return buf;
}

Result<void> Ioctl::set_indir(std::span<const std::uint32_t> table) {
    std::vector<std::uint32_t> buf;
    buf.reserve(2 + table.size());
    buf.push_back(ETHTOOL_SRXFHINDIR);
    buf.push_back(static_cast<std::uint32_t>(table.size()));
    buf.insert(buf.end(), table.begin(), table.end());
    return call(buf.data(), Feature::rss,
                table.empty() ? "reset the RSS table" : "set the RSS table");
}

Result<RuleCount> Ioctl::rule_count() {
    ethtool_rxnfc nfc{};
    nfc.cmd = ETHTOOL_GRXCLSRLCNT;
    if (Result<void> r = call(&nfc, Feature::ntuple, "count the ntuple rules"); !r)
        return std::move(r).error();
    RuleCount c;
    c.count = nfc.rule_cnt;
    c.table_size = static_cast<std::uint32_t>(nfc.data & ~std::uint64_t{RX_CLS_LOC_SPECIAL});
    c.special_locations = (nfc.data & RX_CLS_LOC_SPECIAL) != 0;
    return c;
}

Result<std::vector<std::uint32_t>> Ioctl::rule_locations(std::uint32_t count) {
    // struct ethtool_rxnfc followed by count locations, as one 8-aligned buffer.
    constexpr std::size_t locs_at = offsetof(ethtool_rxnfc, rule_locs);
    const std::size_t bytes =
        std::max(sizeof(ethtool_rxnfc), locs_at + count * sizeof(std::uint32_t));
    std::vector<std::uint64_t> words((bytes + 7) / 8);
    ethtool_rxnfc head{};
    head.cmd = ETHTOOL_GRXCLSRLALL;
    head.rule_cnt = count;
    std::memcpy(words.data(), &head, sizeof(head));
    if (Result<void> r = call(words.data(), Feature::ntuple, "list the ntuple rules"); !r)
        return std::move(r).error();
    std::memcpy(&head, words.data(), sizeof(head));
    std::vector<std::uint32_t> locs(std::min(head.rule_cnt, count));
    std::memcpy(locs.data(), reinterpret_cast<const std::byte *>(words.data()) + locs_at,
                locs.size() * sizeof(std::uint32_t));
    return locs;
}

Result<ethtool_rx_flow_spec> Ioctl::rule(std::uint32_t location) {
    ethtool_rxnfc nfc{};
    nfc.cmd = ETHTOOL_GRXCLSRULE;
    nfc.fs.location = location;
    if (Result<void> r = call(&nfc, Feature::ntuple, "read an ntuple rule"); !r)
        return std::move(r).error();
    return nfc.fs;
}

Result<std::uint32_t> Ioctl::insert_rule(const ethtool_rx_flow_spec &fs) {
    ethtool_rxnfc nfc{};
    nfc.cmd = ETHTOOL_SRXCLSRLINS;
    nfc.fs = fs;
    if (Result<void> r = call(&nfc, Feature::ntuple, "insert an ntuple rule"); !r) {
        Error e = std::move(r).error();
        e.what += ": " + describe_rule(fs);
        return e;
    }
    return nfc.fs.location;
}

Result<void> Ioctl::delete_rule(std::uint32_t location) {
    ethtool_rxnfc nfc{};
    nfc.cmd = ETHTOOL_SRXCLSRLDEL;
    nfc.fs.location = location;
    return call(&nfc, Feature::ntuple, "delete an ntuple rule");
}

// ---- pure computations ----

std::vector<std::uint32_t> equal_indir(std::uint32_t size, std::uint32_t rings) {
    std::vector<std::uint32_t> table(size);
    if (rings == 0)
        return table;
    for (std::uint32_t i = 0; i < size; ++i)
        table[i] = i % rings;
    return table;
}

std::optional<std::vector<std::uint32_t>>
equal_indir_excluding(std::uint32_t size, std::uint32_t rings, std::uint32_t excluded) {
    if (size == 0 || rings < 2 || excluded >= rings)
        return std::nullopt;
    // Entry i goes to the (i % (rings - 1))-th ring other than excluded.
    std::vector<std::uint32_t> table(size);
    for (std::uint32_t i = 0; i < size; ++i) {
        const std::uint32_t k = i % (rings - 1);
        table[i] = k < excluded ? k : k + 1;
    }
    return table;
}

std::optional<std::uint32_t> max_ring(std::span<const std::uint32_t> table) noexcept {
    if (table.empty())
        return std::nullopt;
    return *std::max_element(table.begin(), table.end());
}

ethtool_rx_flow_spec port_rule(IpVersion ip, std::uint16_t port, std::uint32_t queue,
                               std::uint32_t location) noexcept {
    ethtool_rx_flow_spec fs{};
    if (ip == IpVersion::v4) {
        fs.flow_type = TCP_V4_FLOW;
        fs.h_u.tcp_ip4_spec.pdst = htons(port);
        fs.m_u.tcp_ip4_spec.pdst = 0xffff; // ioctl masks: set bits must match
    } else {
        fs.flow_type = TCP_V6_FLOW;
        fs.h_u.tcp_ip6_spec.pdst = htons(port);
        fs.m_u.tcp_ip6_spec.pdst = 0xffff;
    }
    fs.ring_cookie = queue;
    fs.location = location;
    return fs;
}

bool is_port_rule(const ethtool_rx_flow_spec &fs, std::uint16_t port) noexcept {
    if (fs.flow_type != TCP_V4_FLOW && fs.flow_type != TCP_V6_FLOW)
        return false;
    if (fs.ring_cookie == RX_CLS_FLOW_DISC || (fs.ring_cookie & ETHTOOL_RX_FLOW_SPEC_RING_VF))
        return false;
    // Compare with what port_rule() makes, field by field via the union bytes.
    const ethtool_rx_flow_spec want =
        port_rule(fs.flow_type == TCP_V4_FLOW ? IpVersion::v4 : IpVersion::v6, port, 0);
    return std::memcmp(&fs.h_u, &want.h_u, sizeof(fs.h_u)) == 0 &&
           std::memcmp(&fs.m_u, &want.m_u, sizeof(fs.m_u)) == 0 &&
           all_zero(&fs.m_ext, sizeof(fs.m_ext));
}

std::string describe_rule(const ethtool_rx_flow_spec &fs) {
    const std::uint32_t type = fs.flow_type & ~std::uint32_t{FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS};
    std::string out = "flow-type ";
    const std::string_view name = flow_name(type);
    if (name.empty())
        out += "0x" + hex(type);
    else
        out += name;

    switch (type) {
    case TCP_V4_FLOW:
    case UDP_V4_FLOW:
    case SCTP_V4_FLOW: {
        const ethtool_tcpip4_spec &h = fs.h_u.tcp_ip4_spec;
        const ethtool_tcpip4_spec &m = fs.m_u.tcp_ip4_spec;
        append_ip4(out, "src-ip", h.ip4src, m.ip4src);
        append_ip4(out, "dst-ip", h.ip4dst, m.ip4dst);
        append_port(out, "src-port", h.psrc, m.psrc);
        append_port(out, "dst-port", h.pdst, m.pdst);
        break;
    }
    case TCP_V6_FLOW:
    case UDP_V6_FLOW:
    case SCTP_V6_FLOW: {
        const ethtool_tcpip6_spec &h = fs.h_u.tcp_ip6_spec;
        const ethtool_tcpip6_spec &m = fs.m_u.tcp_ip6_spec;
        append_ip6(out, "src-ip", h.ip6src, m.ip6src);
        append_ip6(out, "dst-ip", h.ip6dst, m.ip6dst);
        append_port(out, "src-port", h.psrc, m.psrc);
        append_port(out, "dst-port", h.pdst, m.pdst);
        break;
    }
    case IPV4_USER_FLOW:
        append_ip4(out, "src-ip", fs.h_u.usr_ip4_spec.ip4src, fs.m_u.usr_ip4_spec.ip4src);
        append_ip4(out, "dst-ip", fs.h_u.usr_ip4_spec.ip4dst, fs.m_u.usr_ip4_spec.ip4dst);
        break;
    default:
        break;
    }
    if (fs.flow_type & FLOW_RSS)
        out += " context";
    if (fs.ring_cookie == RX_CLS_FLOW_DISC) {
        out += " action -1";
    } else {
        const std::uint64_t vf =
            (fs.ring_cookie & ETHTOOL_RX_FLOW_SPEC_RING_VF) >> ETHTOOL_RX_FLOW_SPEC_RING_VF_OFF;
        if (vf != 0)
            out += " vf " + std::to_string(vf - 1);
        out += " action " + std::to_string(fs.ring_cookie & ETHTOOL_RX_FLOW_SPEC_RING);
    }
    if (fs.location != RX_CLS_LOC_ANY && !(fs.location & RX_CLS_LOC_SPECIAL))
        out += " loc " + std::to_string(fs.location);
    return out;
}

std::optional<std::uint32_t> free_location(std::span<const std::uint32_t> used,
                                           std::uint32_t table_size) {
    std::vector<std::uint32_t> sorted(used.begin(), used.end());
    std::sort(sorted.begin(), sorted.end());
    std::uint32_t candidate = 0;
    for (const std::uint32_t loc : sorted) {
        if (loc > candidate)
            break;
        if (loc == candidate)
            ++candidate;
    }
    if (candidate >= table_size)
        return std::nullopt;
    return candidate;
}

} // namespace zcrx::ethtool
