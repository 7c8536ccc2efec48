// Ethtool and netdev generic netlink: building requests, parsing replies,
// and the session that exchanges them (libmnl).
#include "zcrx/ethtool.hpp"

#include <libmnl/libmnl.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "ethtool_internal.hpp"

namespace zcrx::ethtool {

using detail::str;
using detail::valid_ifname;

// Every ethtool message puts its request/reply header nest in attribute 1.
static_assert(ETHTOOL_A_CHANNELS_HEADER == 1 && ETHTOOL_A_RINGS_HEADER == 1 &&
              nl::a_rss_header == 1);
static_assert(static_cast<int>(TcpDataSplit::unknown) == ETHTOOL_TCP_DATA_SPLIT_UNKNOWN &&
              static_cast<int>(TcpDataSplit::disabled) == ETHTOOL_TCP_DATA_SPLIT_DISABLED &&
              static_cast<int>(TcpDataSplit::enabled) == ETHTOOL_TCP_DATA_SPLIT_ENABLED);

namespace {

constexpr std::uint16_t header_attr = 1;

// MNL_ALIGN() without its int arithmetic (which -Wsign-conversion rejects).
constexpr std::size_t align4(std::size_t n) noexcept {
    return (n + 3) & ~std::size_t{3};
}
constexpr std::size_t nlmsg_hdrlen = align4(sizeof(nlmsghdr));
constexpr std::size_t genl_hdrlen = align4(sizeof(genlmsghdr));

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

} // namespace

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

} // namespace zcrx::ethtool
