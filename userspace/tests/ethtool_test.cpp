#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zcrx/ethtool.hpp"

namespace et = zcrx::ethtool;

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// Top-level attributes of a message (or a nest), by type, as libmnl sees them.
struct Attrs {
    std::array<const nlattr *, 64> by_type{};
    std::array<std::uint16_t, 64> raw_type{};
    int count = 0;
};

int collect(const nlattr *a, void *data) noexcept {
    auto *attrs = static_cast<Attrs *>(data);
    const std::uint16_t type = mnl_attr_get_type(a);
    if (type < attrs->by_type.size()) {
        attrs->by_type[type] = a;
        attrs->raw_type[type] = a->nla_type;
    }
    ++attrs->count;
    return MNL_CB_OK;
}

Attrs genl_attrs(const nlmsghdr *nlh) {
    Attrs attrs;
    REQUIRE(mnl_attr_parse(nlh, sizeof(genlmsghdr), collect, &attrs) == MNL_CB_OK);
    return attrs;
}

Attrs nested_attrs(const nlattr *nest) {
    Attrs attrs;
    REQUIRE(mnl_attr_parse_nested(nest, collect, &attrs) == MNL_CB_OK);
    return attrs;
}

const genlmsghdr &genl_of(const nlmsghdr *nlh) {
    return *static_cast<const genlmsghdr *>(mnl_nlmsg_get_payload(nlh));
}

// A reply message as the kernel would send it, built with libmnl.
struct Reply {
    et::MessageBuffer buf{8192};
    nlmsghdr *nlh;

    Reply(std::uint16_t type, std::uint8_t cmd) {
        nlh = mnl_nlmsg_put_header(buf.bytes().data());
        nlh->nlmsg_type = type;
        auto *genl = static_cast<genlmsghdr *>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
        genl->cmd = cmd;
        genl->version = ETHTOOL_GENL_VERSION;
    }

    // The header nest every ethtool reply starts with.
    Reply &dev_header(const char *dev) {
        nlattr *nest = mnl_attr_nest_start(nlh, 1);
        mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_DEV_INDEX, 7);
        mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, dev);
        mnl_attr_nest_end(nlh, nest);
        return *this;
    }
};

constexpr std::uint16_t family = 0x1d;

// An NLMSG_ERROR message answering a request of request_len bytes.
struct ErrorMsg {
    et::MessageBuffer buf{4096};
    nlmsghdr *nlh;

    ErrorMsg(int error, std::uint16_t flags, std::uint32_t request_len) {
        nlh = mnl_nlmsg_put_header(buf.bytes().data());
        nlh->nlmsg_type = NLMSG_ERROR;
        nlh->nlmsg_flags = flags;
        auto *e = static_cast<nlmsgerr *>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
        e->error = error;
        e->msg.nlmsg_len = request_len;
        e->msg.nlmsg_type = family;
        // Without NLM_F_CAPPED the whole request is echoed back.
        if (!(flags & NLM_F_CAPPED) && request_len > sizeof(nlmsghdr))
            std::memset(mnl_nlmsg_put_extra_header(nlh, request_len - sizeof(nlmsghdr)), 0xab,
                        request_len - sizeof(nlmsghdr));
    }
};

} // namespace

// ---- requests ----

TEST_CASE("family lookup request asks the controller for \"ethtool\"", "[ethtool]") {
    et::MessageBuffer buf(1024);
    const nlmsghdr *nlh = et::build_family_request(buf.bytes(), 41);
    REQUIRE(nlh != nullptr);
    CHECK(nlh->nlmsg_type == GENL_ID_CTRL);
    CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
    CHECK(nlh->nlmsg_seq == 41);
    CHECK(genl_of(nlh).cmd == CTRL_CMD_GETFAMILY);
    const Attrs a = genl_attrs(nlh);
    CHECK(a.count == 1);
    REQUIRE(a.by_type[CTRL_ATTR_FAMILY_NAME] != nullptr);
    CHECK(mnl_attr_validate(a.by_type[CTRL_ATTR_FAMILY_NAME], MNL_TYPE_NUL_STRING) == 0);
    CHECK(std::string(mnl_attr_get_str(a.by_type[CTRL_ATTR_FAMILY_NAME])) == "ethtool");
}

TEST_CASE("GET requests carry only a nested header naming the device", "[ethtool]") {
    et::MessageBuffer buf(1024);
    for (const std::uint8_t cmd : {std::uint8_t{ETHTOOL_MSG_CHANNELS_GET},
                                   std::uint8_t{ETHTOOL_MSG_RINGS_GET}, et::nl::msg_rss_get}) {
        INFO("cmd " << int{cmd});
        const nlmsghdr *nlh = et::build_get(buf.bytes(), family, cmd, 7, "eth0");
        REQUIRE(nlh != nullptr);
        CHECK(nlh->nlmsg_type == family);
        CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
        CHECK(genl_of(nlh).cmd == cmd);
        CHECK(genl_of(nlh).version == ETHTOOL_GENL_VERSION);
        const Attrs a = genl_attrs(nlh);
        CHECK(a.count == 1);
        REQUIRE(a.by_type[1] != nullptr);
        // Strict policies reject nests without NLA_F_NESTED.
        CHECK((a.raw_type[1] & NLA_F_NESTED) != 0);
        const Attrs h = nested_attrs(a.by_type[1]);
        CHECK(h.count == 1);
        REQUIRE(h.by_type[ETHTOOL_A_HEADER_DEV_NAME] != nullptr);
        CHECK(std::string(mnl_attr_get_str(h.by_type[ETHTOOL_A_HEADER_DEV_NAME])) == "eth0");
    }
}

TEST_CASE("requests refuse bad interface names and small buffers", "[ethtool]") {
    et::MessageBuffer buf(1024);
    CHECK(et::build_get(buf.bytes(), family, ETHTOOL_MSG_RINGS_GET, 1, "") == nullptr);
    CHECK(et::build_get(buf.bytes(), family, ETHTOOL_MSG_RINGS_GET, 1, "sixteen-chars-xx") ==
          nullptr);
    CHECK(et::build_get(buf.bytes(), family, ETHTOOL_MSG_RINGS_GET, 1, "a/b") == nullptr);
    CHECK(et::build_get(buf.bytes(), family, ETHTOOL_MSG_RINGS_GET, 1,
                        std::string_view("a\0b", 3)) == nullptr);
    CHECK(et::build_get(buf.bytes(), family, ETHTOOL_MSG_RINGS_GET, 1, "fifteen-chars-x") !=
          nullptr);

    et::MessageBuffer tiny(24);
    CHECK(et::build_family_request(tiny.bytes(), 1) == nullptr);
    CHECK(et::build_get(tiny.bytes(), family, ETHTOOL_MSG_RINGS_GET, 1, "eth0") == nullptr);
    et::MessageBuffer small(40);
    CHECK(et::build_set_channels(small.bytes(), family, 1, "eth0", 4) == nullptr);
}

TEST_CASE("CHANNELS_SET sets the combined count and nothing else", "[ethtool]") {
    et::MessageBuffer buf(1024);
    const nlmsghdr *nlh = et::build_set_channels(buf.bytes(), family, 9, "ens5", 6);
    REQUIRE(nlh != nullptr);
    CHECK(genl_of(nlh).cmd == ETHTOOL_MSG_CHANNELS_SET);
    CHECK(nlh->nlmsg_seq == 9);
    const Attrs a = genl_attrs(nlh);
    CHECK(a.count == 2);
    REQUIRE(a.by_type[ETHTOOL_A_CHANNELS_COMBINED_COUNT] != nullptr);
    CHECK(mnl_attr_validate(a.by_type[ETHTOOL_A_CHANNELS_COMBINED_COUNT], MNL_TYPE_U32) == 0);
    CHECK(mnl_attr_get_u32(a.by_type[ETHTOOL_A_CHANNELS_COMBINED_COUNT]) == 6);
    const Attrs h = nested_attrs(a.by_type[ETHTOOL_A_CHANNELS_HEADER]);
    CHECK(std::string(mnl_attr_get_str(h.by_type[ETHTOOL_A_HEADER_DEV_NAME])) == "ens5");
}

TEST_CASE("RINGS_SET carries TCP_DATA_SPLIT as a u8", "[ethtool]") {
    et::MessageBuffer buf(1024);
    for (const et::TcpDataSplit v :
         {et::TcpDataSplit::enabled, et::TcpDataSplit::disabled, et::TcpDataSplit::unknown}) {
        const nlmsghdr *nlh = et::build_set_tcp_data_split(buf.bytes(), family, 3, "eth1", v);
        REQUIRE(nlh != nullptr);
        CHECK(genl_of(nlh).cmd == ETHTOOL_MSG_RINGS_SET);
        const Attrs a = genl_attrs(nlh);
        CHECK(a.count == 2);
        const nlattr *split = a.by_type[ETHTOOL_A_RINGS_TCP_DATA_SPLIT];
        REQUIRE(split != nullptr);
        CHECK(mnl_attr_validate(split, MNL_TYPE_U8) == 0);
        CHECK(mnl_attr_get_u8(split) == static_cast<std::uint8_t>(v));
    }
    CHECK(static_cast<int>(et::TcpDataSplit::enabled) == ETHTOOL_TCP_DATA_SPLIT_ENABLED);
}

// ---- replies ----

TEST_CASE("family reply gives the family id", "[ethtool]") {
    Reply r(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
    mnl_attr_put_strz(r.nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
    mnl_attr_put_u16(r.nlh, CTRL_ATTR_FAMILY_ID, 0x1d);
    mnl_attr_put_u32(r.nlh, CTRL_ATTR_VERSION, 1);
    const zcrx::Result<std::uint16_t> id = et::parse_family_reply(r.nlh);
    REQUIRE(id.ok());
    CHECK(*id == 0x1d);

    Reply missing(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
    mnl_attr_put_strz(missing.nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
    REQUIRE_FALSE(et::parse_family_reply(missing.nlh).ok());
    CHECK(et::parse_family_reply(missing.nlh).error().err == EBADMSG);
}

TEST_CASE("channels reply parses, absent values read as 0", "[ethtool]") {
    Reply r(family, ETHTOOL_MSG_CHANNELS_GET_REPLY);
    r.dev_header("eth0");
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_CHANNELS_COMBINED_MAX, 16);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_CHANNELS_COMBINED_COUNT, 4);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_CHANNELS_RX_MAX, 2);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_CHANNELS_RX_COUNT, 1);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_CHANNELS_OTHER_MAX, 1);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_CHANNELS_OTHER_COUNT, 1);
    mnl_attr_put_u32(r.nlh, 60, 12345); // an attribute from a newer kernel
    const zcrx::Result<et::Channels> c = et::parse_channels_reply(r.nlh);
    REQUIRE(c.ok());
    CHECK(c->combined_max == 16);
    CHECK(c->combined == 4);
    CHECK(c->rx_max == 2);
    CHECK(c->rx == 1);
    CHECK(c->other == 1);
    CHECK(c->other_max == 1);
    CHECK(c->tx == 0);
    CHECK(c->tx_max == 0);
    CHECK(c->rx_queues() == 5);
}

TEST_CASE("malformed or mismatched replies are EBADMSG", "[ethtool]") {
    Reply short_attr(family, ETHTOOL_MSG_CHANNELS_GET_REPLY);
    mnl_attr_put_u16(short_attr.nlh, ETHTOOL_A_CHANNELS_COMBINED_COUNT, 4); // u32 expected
    REQUIRE_FALSE(et::parse_channels_reply(short_attr.nlh).ok());
    CHECK(et::parse_channels_reply(short_attr.nlh).error().err == EBADMSG);

    Reply wrong_cmd(family, ETHTOOL_MSG_RINGS_GET_REPLY);
    CHECK_FALSE(et::parse_channels_reply(wrong_cmd.nlh).ok());
    CHECK(et::parse_rings_reply(wrong_cmd.nlh).ok());

    Reply truncated(family, ETHTOOL_MSG_RINGS_GET_REPLY);
    truncated.nlh->nlmsg_len = sizeof(nlmsghdr) + 2; // shorter than the genl header
    CHECK_FALSE(et::parse_rings_reply(truncated.nlh).ok());

    Reply bad_indir(family, et::nl::msg_rss_get_reply);
    const std::uint8_t three[3] = {1, 2, 3};
    mnl_attr_put(bad_indir.nlh, et::nl::a_rss_indir, sizeof(three), three);
    REQUIRE_FALSE(et::parse_rss_reply(bad_indir.nlh).ok());
    CHECK(contains(et::parse_rss_reply(bad_indir.nlh).error().message(), "3 bytes"));
}

TEST_CASE("rings reply parses sizes and tcp-data-split", "[ethtool]") {
    Reply r(family, ETHTOOL_MSG_RINGS_GET_REPLY);
    r.dev_header("eth0");
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_RINGS_RX_MAX, 4096);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_RINGS_RX, 1024);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_RINGS_TX_MAX, 2048);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_RINGS_TX, 512);
    mnl_attr_put_u32(r.nlh, ETHTOOL_A_RINGS_RX_BUF_LEN, 4096);
    mnl_attr_put_u8(r.nlh, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, ETHTOOL_TCP_DATA_SPLIT_ENABLED);
    mnl_attr_put_u8(r.nlh, ETHTOOL_A_RINGS_TX_PUSH, 0);
    const zcrx::Result<et::Rings> rings = et::parse_rings_reply(r.nlh);
    REQUIRE(rings.ok());
    CHECK(rings->rx_max == 4096);
    CHECK(rings->rx == 1024);
    CHECK(rings->tx_max == 2048);
    CHECK(rings->tx == 512);
    CHECK(rings->rx_buf_len == 4096);
    CHECK(rings->cqe_size == 0);
    CHECK(rings->tcp_data_split == et::TcpDataSplit::enabled);

    Reply unreported(family, ETHTOOL_MSG_RINGS_GET_REPLY);
    mnl_attr_put_u32(unreported.nlh, ETHTOOL_A_RINGS_RX, 256);
    REQUIRE(et::parse_rings_reply(unreported.nlh).ok());
    CHECK(et::parse_rings_reply(unreported.nlh)->tcp_data_split == et::TcpDataSplit::unknown);
    CHECK(et::to_string(et::TcpDataSplit::enabled) == "on");
    CHECK(et::to_string(et::TcpDataSplit::disabled) == "off");
    CHECK(et::to_string(et::TcpDataSplit::unknown) == "unknown");
}

TEST_CASE("RSS reply gives the indirection table and key", "[ethtool]") {
    Reply r(family, et::nl::msg_rss_get_reply);
    r.dev_header("eth0");
    const std::vector<std::uint32_t> indir = {0, 1, 2, 3, 0, 1, 2, 3};
    const std::uint8_t key[] = {0x6d, 0x5a, 0x56, 0xda};
    mnl_attr_put_u32(r.nlh, et::nl::a_rss_hfunc, 1 /* toeplitz */);
    mnl_attr_put(r.nlh, et::nl::a_rss_indir, indir.size() * sizeof(std::uint32_t), indir.data());
    mnl_attr_put(r.nlh, et::nl::a_rss_hkey, sizeof(key), key);
    const zcrx::Result<et::Rss> rss = et::parse_rss_reply(r.nlh);
    REQUIRE(rss.ok());
    CHECK(rss->hfunc == 1);
    CHECK(rss->indir == indir);
    CHECK(rss->key == std::vector<std::uint8_t>(std::begin(key), std::end(key)));
}

TEST_CASE("ACKs and errors parse, with the kernel's extended ACK message", "[ethtool]") {
    SECTION("plain ACK") {
        ErrorMsg m(0, NLM_F_CAPPED, 36);
        const auto ack = et::parse_ack(m.nlh);
        REQUIRE(ack.has_value());
        CHECK(ack->err == 0);
        CHECK(ack->message.empty());
    }
    SECTION("error with an extack message, capped") {
        ErrorMsg m(-EOPNOTSUPP, NLM_F_CAPPED | NLM_F_ACK_TLVS, 36);
        mnl_attr_put_strz(m.nlh, NLMSGERR_ATTR_MSG, "setting TCP data split is not supported");
        mnl_attr_put_u32(m.nlh, NLMSGERR_ATTR_OFFS, 28);
        const auto ack = et::parse_ack(m.nlh);
        REQUIRE(ack.has_value());
        CHECK(ack->err == EOPNOTSUPP);
        CHECK(ack->message == "setting TCP data split is not supported");
    }
    SECTION("error with the request echoed before the TLVs") {
        ErrorMsg m(-EINVAL, NLM_F_ACK_TLVS, 44);
        mnl_attr_put_strz(m.nlh, NLMSGERR_ATTR_MSG, "requested ring size exceeds maximum");
        const auto ack = et::parse_ack(m.nlh);
        REQUIRE(ack.has_value());
        CHECK(ack->err == EINVAL);
        CHECK(ack->message == "requested ring size exceeds maximum");
    }
    SECTION("error without TLVs") {
        ErrorMsg m(-EPERM, 0, 16);
        const auto ack = et::parse_ack(m.nlh);
        REQUIRE(ack.has_value());
        CHECK(ack->err == EPERM);
        CHECK(ack->message.empty());
    }
    SECTION("an echoed length past the end is ignored") {
        ErrorMsg m(-EINVAL, NLM_F_ACK_TLVS | NLM_F_CAPPED, 16);
        reinterpret_cast<nlmsgerr *>(mnl_nlmsg_get_payload(m.nlh))->msg.nlmsg_len = 4000;
        m.nlh->nlmsg_flags = NLM_F_ACK_TLVS; // not capped: claims a 4000-byte echo
        const auto ack = et::parse_ack(m.nlh);
        REQUIRE(ack.has_value());
        CHECK(ack->err == EINVAL);
        CHECK(ack->message.empty());
    }
    SECTION("not an error message, or truncated") {
        Reply r(family, ETHTOOL_MSG_RINGS_GET_REPLY);
        CHECK_FALSE(et::parse_ack(r.nlh).has_value());
        ErrorMsg m(0, NLM_F_CAPPED, 16);
        m.nlh->nlmsg_len = sizeof(nlmsghdr) + 4;
        CHECK_FALSE(et::parse_ack(m.nlh).has_value());
    }
}

// ---- RSS tables ----

// ---- netdev family ----

TEST_CASE("netdev dumps: queues of one device, all page pools, no ACK", "[ethtool][netdev]") {
    namespace nd = et::netdev_nl;
    et::MessageBuffer buf(1024);
    const nlmsghdr *fam = et::build_family_request(buf.bytes(), 2, nd::family_name);
    REQUIRE(fam != nullptr);
    CHECK(std::string(mnl_attr_get_str(genl_attrs(fam).by_type[CTRL_ATTR_FAMILY_NAME])) ==
          "netdev");

    const nlmsghdr *q = et::build_queue_dump(buf.bytes(), family, 5, 7);
    REQUIRE(q != nullptr);
    CHECK(q->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
    CHECK(genl_of(q).cmd == nd::cmd_queue_get);
    const Attrs a = genl_attrs(q);
    CHECK(a.count == 1);
    REQUIRE(a.by_type[nd::a_queue_ifindex] != nullptr);
    CHECK(mnl_attr_get_u32(a.by_type[nd::a_queue_ifindex]) == 7);

    const nlmsghdr *pp = et::build_page_pool_dump(buf.bytes(), family, 6);
    REQUIRE(pp != nullptr);
    CHECK(pp->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
    CHECK(genl_of(pp).cmd == nd::cmd_page_pool_get);
    CHECK(genl_attrs(pp).count == 0);
}

TEST_CASE("queue replies name the provider; TX queues are skipped", "[ethtool][netdev]") {
    namespace nd = et::netdev_nl;
    Reply zc(family, nd::cmd_queue_get);
    mnl_attr_put_u32(zc.nlh, nd::a_queue_id, 3);
    mnl_attr_put_u32(zc.nlh, nd::a_queue_ifindex, 7);
    mnl_attr_put_u32(zc.nlh, nd::a_queue_type, nd::queue_type_rx);
    mnl_attr_put_u32(zc.nlh, nd::a_queue_napi_id, 8195);
    mnl_attr_nest_end(zc.nlh, mnl_attr_nest_start(zc.nlh, nd::a_queue_io_uring));
    const auto q = et::parse_queue_reply(zc.nlh);
    REQUIRE(q.ok());
    REQUIRE(q->has_value());
    CHECK((*q)->id == 3);
    CHECK((*q)->napi_id == 8195);
    CHECK((*q)->provider == et::Provider::io_uring);
    CHECK(et::to_string((*q)->provider) == "io_uring");

    Reply dm(family, nd::cmd_queue_get);
    mnl_attr_put_u32(dm.nlh, nd::a_queue_id, 1);
    mnl_attr_put_u32(dm.nlh, nd::a_queue_type, nd::queue_type_rx);
    mnl_attr_put_u32(dm.nlh, nd::a_queue_dmabuf, 12);
    const auto d = et::parse_queue_reply(dm.nlh);
    REQUIRE(d.ok());
    REQUIRE(d->has_value());
    CHECK((*d)->provider == et::Provider::dmabuf);
    CHECK((*d)->dmabuf == 12);

    Reply plain(family, nd::cmd_queue_get);
    mnl_attr_put_u32(plain.nlh, nd::a_queue_id, 0);
    mnl_attr_put_u32(plain.nlh, nd::a_queue_type, nd::queue_type_rx);
    const auto p = et::parse_queue_reply(plain.nlh);
    REQUIRE(p.ok());
    REQUIRE(p->has_value());
    CHECK((*p)->provider == et::Provider::none);
    CHECK((*p)->napi_id == 0);

    Reply tx(family, nd::cmd_queue_get);
    mnl_attr_put_u32(tx.nlh, nd::a_queue_id, 3);
    mnl_attr_put_u32(tx.nlh, nd::a_queue_type, 1);
    const auto t = et::parse_queue_reply(tx.nlh);
    REQUIRE(t.ok());
    CHECK_FALSE(t->has_value());

    Reply noid(family, nd::cmd_queue_get);
    mnl_attr_put_u32(noid.nlh, nd::a_queue_type, nd::queue_type_rx);
    REQUIRE_FALSE(et::parse_queue_reply(noid.nlh).ok());
    CHECK(et::parse_queue_reply(noid.nlh).error().err == EBADMSG);
}

TEST_CASE("page pool replies read 4- and 8-byte uints and the detach time", "[ethtool][netdev]") {
    namespace nd = et::netdev_nl;
    Reply r(family, nd::cmd_page_pool_get);
    mnl_attr_put_u32(r.nlh, nd::a_pp_id, 40);
    mnl_attr_put_u32(r.nlh, nd::a_pp_ifindex, 7);
    mnl_attr_put_u64(r.nlh, nd::a_pp_inflight, 0x100000001ULL);
    mnl_attr_put_u32(r.nlh, nd::a_pp_detach_time, 1234);
    mnl_attr_nest_end(r.nlh, mnl_attr_nest_start(r.nlh, nd::a_pp_io_uring));
    const auto p = et::parse_page_pool_reply(r.nlh);
    REQUIRE(p.ok());
    CHECK(p->id == 40);
    CHECK(p->ifindex == 7);
    CHECK(p->inflight == 0x100000001ULL);
    CHECK(p->detached);
    CHECK(p->provider == et::Provider::io_uring);

    Reply live(family, nd::cmd_page_pool_get);
    mnl_attr_put_u64(live.nlh, nd::a_pp_id, 41);
    mnl_attr_put_u32(live.nlh, nd::a_pp_ifindex, 7);
    const auto l = et::parse_page_pool_reply(live.nlh);
    REQUIRE(l.ok());
    CHECK(l->id == 41);
    CHECK(l->inflight == 0);
    CHECK_FALSE(l->detached);
    CHECK(l->provider == et::Provider::none);

    Reply odd(family, nd::cmd_page_pool_get);
    const std::uint16_t three = 3;
    mnl_attr_put(odd.nlh, nd::a_pp_id, sizeof(three), &three);
    CHECK(et::parse_page_pool_reply(odd.nlh).error().err == EBADMSG);
}

TEST_CASE("equal_indir spreads entries round-robin like the kernel default", "[ethtool]") {
    CHECK(et::equal_indir(8, 3) == std::vector<std::uint32_t>{0, 1, 2, 0, 1, 2, 0, 1});
    CHECK(et::equal_indir(4, 1) == std::vector<std::uint32_t>{0, 0, 0, 0});
    CHECK(et::equal_indir(0, 4).empty());
    CHECK(et::max_ring(et::equal_indir(128, 5)) == 4u);
    CHECK_FALSE(et::max_ring({}).has_value());
}

TEST_CASE("RSS table excluding queue Q spreads equally over the others", "[ethtool]") {
    CHECK(et::equal_indir_excluding(8, 4, 0) == std::vector<std::uint32_t>{1, 2, 3, 1, 2, 3, 1, 2});
    CHECK(et::equal_indir_excluding(8, 4, 2) == std::vector<std::uint32_t>{0, 1, 3, 0, 1, 3, 0, 1});
    CHECK(et::equal_indir_excluding(4, 2, 1) == std::vector<std::uint32_t>{0, 0, 0, 0});

    for (const std::uint32_t size : {1u, 7u, 64u, 128u, 256u, 512u}) {
        for (std::uint32_t rings = 2; rings <= 17; ++rings) {
            for (std::uint32_t q = 0; q < rings; ++q) {
                INFO("size " << size << " rings " << rings << " excluded " << q);
                const auto table = et::equal_indir_excluding(size, rings, q);
                REQUIRE(table.has_value());
                REQUIRE(table->size() == size);
                std::map<std::uint32_t, std::uint32_t> hits;
                for (const std::uint32_t e : *table)
                    ++hits[e];
                CHECK(hits.count(q) == 0);
                CHECK(hits.rbegin()->first < rings);
                // Every other queue gets floor or ceil of its share.
                const std::uint32_t lo = size / (rings - 1);
                for (std::uint32_t r = 0; r < rings; ++r) {
                    if (r == q)
                        continue;
                    const std::uint32_t n = hits.count(r) ? hits[r] : 0;
                    CHECK(n >= lo);
                    CHECK(n <= lo + 1);
                }
            }
        }
    }
}

TEST_CASE("RSS table excluding a queue needs a table, two queues and a valid Q", "[ethtool]") {
    CHECK_FALSE(et::equal_indir_excluding(0, 4, 1).has_value());
    CHECK_FALSE(et::equal_indir_excluding(128, 1, 0).has_value());
    CHECK_FALSE(et::equal_indir_excluding(128, 0, 0).has_value());
    CHECK_FALSE(et::equal_indir_excluding(128, 4, 4).has_value());
}

TEST_CASE("the RSS table goes back to the default before a channel change that needs it",
          "[ethtool]") {
    const std::vector<std::uint32_t> dflt4 = et::equal_indir(64, 4);
    // The default spread over more queues: kept (the kernel respreads it).
    CHECK_FALSE(et::rss_reset_before_channels(dflt4, 4, 8));
    CHECK_FALSE(et::rss_reset_before_channels(et::equal_indir(64, 1), 1, 2));
    // Fewer queues than it uses: the kernel refuses unless it is reset,
    // whether set by hand or not (it cannot be told apart).
    CHECK(et::rss_reset_before_channels(dflt4, 4, 2));
    CHECK(et::rss_reset_before_channels(dflt4, 4, 3));
    // A table set by hand: bnxt refuses to resize it, even for more queues.
    const std::vector<std::uint32_t> custom = et::equal_indir_excluding(64, 4, 1).value();
    CHECK(et::rss_reset_before_channels(custom, 4, 8));
    CHECK(et::rss_reset_before_channels(std::vector<std::uint32_t>(64, 0), 4, 8));
    // No change of queues, or no table: nothing to do.
    CHECK_FALSE(et::rss_reset_before_channels(custom, 4, 4));
    CHECK_FALSE(et::rss_reset_before_channels({}, 4, 2));
}

TEST_CASE("the RX queues after --channels, or why it is refused", "[ethtool]") {
    et::Channels combined; // bnxt's default, netdevsim
    combined.combined_max = 16;
    combined.combined = 4;
    CHECK(et::rx_queues_after(combined, std::nullopt, 4, "eth7").value() == 4u);
    CHECK(et::rx_queues_after(combined, 8u, 4, "eth7").value() == 8u);
    CHECK(et::rx_queues_after(combined, 16u, 4, "eth7").value() == 16u);
    const zcrx::Error over = et::rx_queues_after(combined, 17u, 4, "eth7").error();
    CHECK(over.err == ERANGE);
    CHECK(contains(over.hint(), "at most 16"));

    // Combined channels next to RX-only ones: the kernel adds them up.
    et::Channels mixed = combined;
    mixed.rx = 2;
    CHECK(et::rx_queues_after(mixed, 8u, 6, "eth7").value() == 10u);

    // gve: RX and TX channels only.
    et::Channels gve;
    gve.rx_max = gve.tx_max = 16;
    gve.rx = gve.tx = 8;
    CHECK(et::rx_queues_after(gve, std::nullopt, 8, "eth7").value() == 8u);
    const zcrx::Error none = et::rx_queues_after(gve, 8u, 8, "eth7").error();
    CHECK(none.err == EOPNOTSUPP);
    CHECK(contains(none.hint(), "no combined channels"));

    // bnxt after ethtool -L rx N tx N: combined possible, none set.
    et::Channels apart = gve;
    apart.combined_max = 8;
    const zcrx::Error sep = et::rx_queues_after(apart, 4u, 8, "eth7").error();
    CHECK(sep.err == EINVAL);
    CHECK(contains(sep.message(), "separate channels (rx 8, tx 8)"));
    CHECK(contains(sep.hint(), "ethtool -L eth7 rx 0 tx 0 combined 4"));
    // Without --channels it is fine as it is.
    CHECK(et::rx_queues_after(apart, std::nullopt, 8, "eth7").value() == 8u);
}

// ---- ntuple rules ----

TEST_CASE("port rules match TCP destination port only and steer to the queue", "[ethtool]") {
    const ethtool_rx_flow_spec v4 = et::port_rule(et::IpVersion::v4, 9999, 3);
    CHECK(v4.flow_type == TCP_V4_FLOW);
    CHECK(v4.h_u.tcp_ip4_spec.pdst == htons(9999));
    CHECK(v4.m_u.tcp_ip4_spec.pdst == 0xffff);
    CHECK(v4.h_u.tcp_ip4_spec.ip4dst == 0);
    CHECK(v4.m_u.tcp_ip4_spec.ip4src == 0);
    CHECK(v4.m_u.tcp_ip4_spec.ip4dst == 0);
    CHECK(v4.m_u.tcp_ip4_spec.psrc == 0);
    CHECK(v4.m_u.tcp_ip4_spec.tos == 0);
    CHECK(v4.ring_cookie == 3);
    CHECK(v4.location == RX_CLS_LOC_ANY);

    const ethtool_rx_flow_spec v6 = et::port_rule(et::IpVersion::v6, 443, 0, 17);
    CHECK(v6.flow_type == TCP_V6_FLOW);
    CHECK(v6.h_u.tcp_ip6_spec.pdst == htons(443));
    CHECK(v6.m_u.tcp_ip6_spec.pdst == 0xffff);
    CHECK(v6.m_u.tcp_ip6_spec.psrc == 0);
    CHECK(v6.m_u.tcp_ip6_spec.ip6dst[0] == 0);
    CHECK(v6.m_u.tcp_ip6_spec.tclass == 0);
    CHECK(v6.ring_cookie == 0);
    CHECK(v6.location == 17);
}

TEST_CASE("is_port_rule recognises exactly the rules apply adds", "[ethtool]") {
    CHECK(et::is_port_rule(et::port_rule(et::IpVersion::v4, 9999, 3), 9999));
    CHECK(et::is_port_rule(et::port_rule(et::IpVersion::v6, 9999, 5, 40), 9999));
    CHECK_FALSE(et::is_port_rule(et::port_rule(et::IpVersion::v4, 9999, 3), 9998));

    ethtool_rx_flow_spec src = et::port_rule(et::IpVersion::v4, 9999, 3);
    src.h_u.tcp_ip4_spec.psrc = htons(1);
    src.m_u.tcp_ip4_spec.psrc = 0xffff;
    CHECK_FALSE(et::is_port_rule(src, 9999));

    ethtool_rx_flow_spec udp = et::port_rule(et::IpVersion::v4, 9999, 3);
    udp.flow_type = UDP_V4_FLOW;
    CHECK_FALSE(et::is_port_rule(udp, 9999));

    ethtool_rx_flow_spec drop = et::port_rule(et::IpVersion::v4, 9999, 3);
    drop.ring_cookie = RX_CLS_FLOW_DISC;
    CHECK_FALSE(et::is_port_rule(drop, 9999));

    ethtool_rx_flow_spec ext = et::port_rule(et::IpVersion::v6, 9999, 3);
    ext.flow_type |= FLOW_EXT;
    CHECK_FALSE(et::is_port_rule(ext, 9999));
}

TEST_CASE("rules are described in ethtool -N syntax", "[ethtool]") {
    CHECK(et::describe_rule(et::port_rule(et::IpVersion::v4, 9999, 3)) ==
          "flow-type tcp4 dst-port 9999 action 3");
    CHECK(et::describe_rule(et::port_rule(et::IpVersion::v6, 5201, 1, 1022)) ==
          "flow-type tcp6 dst-port 5201 action 1 loc 1022");

    ethtool_rx_flow_spec fs{};
    fs.flow_type = UDP_V4_FLOW;
    inet_pton(AF_INET, "192.0.2.7", &fs.h_u.udp_ip4_spec.ip4dst);
    fs.m_u.udp_ip4_spec.ip4dst = 0xffffffff;
    inet_pton(AF_INET, "10.0.0.0", &fs.h_u.udp_ip4_spec.ip4src);
    inet_pton(AF_INET, "255.0.0.0", &fs.m_u.udp_ip4_spec.ip4src);
    fs.h_u.udp_ip4_spec.psrc = htons(0x1200);
    fs.m_u.udp_ip4_spec.psrc = htons(0xff00);
    fs.ring_cookie = RX_CLS_FLOW_DISC;
    fs.location = 5;
    CHECK(et::describe_rule(fs) == "flow-type udp4 src-ip 10.0.0.0 mask 255.0.0.0 dst-ip "
                                   "192.0.2.7 src-port 4608 mask 0xff00 action -1 loc 5");

    ethtool_rx_flow_spec v6{};
    v6.flow_type = TCP_V6_FLOW | FLOW_EXT;
    inet_pton(AF_INET6, "2001:db8::1", v6.h_u.tcp_ip6_spec.ip6dst);
    std::memset(v6.m_u.tcp_ip6_spec.ip6dst, 0xff, sizeof(v6.m_u.tcp_ip6_spec.ip6dst));
    v6.ring_cookie = (std::uint64_t{2} << ETHTOOL_RX_FLOW_SPEC_RING_VF_OFF) | 4;
    v6.location = RX_CLS_LOC_ANY;
    CHECK(et::describe_rule(v6) == "flow-type tcp6 dst-ip 2001:db8::1 vf 1 action 4");

    ethtool_rx_flow_spec odd{};
    odd.flow_type = 0x42;
    odd.location = RX_CLS_LOC_ANY;
    CHECK(et::describe_rule(odd) == "flow-type 0x42 action 0");
}

TEST_CASE("free_location picks the lowest unused rule slot", "[ethtool]") {
    const auto loc = [](std::vector<std::uint32_t> used, std::uint32_t size) {
        return et::free_location(used, size);
    };
    CHECK(loc({}, 8) == 0u);
    CHECK(loc({0, 1, 2}, 8) == 3u);
    CHECK(loc({2, 0, 1, 5}, 8) == 3u);
    CHECK(loc({1, 3}, 8) == 0u);
    CHECK(loc({0, 0, 1}, 8) == 2u);
    CHECK(loc({0, 1, 2, 3}, 5) == 4u);
    CHECK_FALSE(loc({0, 1, 2, 3}, 4).has_value());
    CHECK_FALSE(loc({}, 0).has_value());
    CHECK(loc({100}, 8) == 0u);
}

// ---- errors ----

TEST_CASE("a missing feature names the feature and the device", "[ethtool][error]") {
    struct Case {
        et::Feature f;
        std::string_view must_mention;
    };
    const Case cases[] = {
        {et::Feature::channels, "channels"},
        {et::Feature::rings, "ring parameters"},
        {et::Feature::tcp_data_split, "tcp-data-split"},
        {et::Feature::rss, "RSS"},
        {et::Feature::ntuple, "ntuple"},
    };
    for (const Case &c : cases) {
        INFO(c.must_mention);
        const std::string advice = et::feature_advice(c.f, "eth7", EOPNOTSUPP);
        CHECK(advice.rfind("eth7 does not support ", 0) == 0);
        CHECK(contains(advice, c.must_mention));
        CHECK(contains(et::feature_name(c.f), c.must_mention));

        const zcrx::Error e =
            et::feature_error(c.f, "eth7", EOPNOTSUPP, "do a thing", "kernel said no");
        CHECK(e.hint() == advice);
        const std::string msg = e.message();
        CHECK(msg.rfind("do a thing: ", 0) == 0);
        CHECK(contains(msg, "(EOPNOTSUPP): kernel said no; eth7 does not support"));
        // Not the io_uring registration hint for the same errno.
        CHECK_FALSE(contains(msg, "memory provider"));
    }
    CHECK(contains(et::feature_advice(et::Feature::ntuple, "eth7", EOPNOTSUPP),
                   "ethtool -K eth7 ntuple on"));
    CHECK(contains(et::feature_advice(et::Feature::rss, "eth7", EPERM), "CAP_NET_ADMIN"));
    CHECK(contains(et::feature_advice(et::Feature::rss, "eth7", ENODEV), "eth7"));
    CHECK(et::feature_advice(et::Feature::rss, "eth7", EAGAIN).empty());
    // No advice means no hint at all, not the zcrx one for that errno.
    CHECK(et::feature_error(et::Feature::rss, "eth7", EINVAL, "x").hint().empty());
}

TEST_CASE("a refused rule says when ntuple filters are off", "[ethtool][error]") {
    const auto refused = [](int err) {
        return et::feature_error(
            et::Feature::ntuple, "eth7", err,
            "insert an ntuple rule of eth7: flow-type tcp4 dst-port 9 action 1");
    };
    // bnxt answers EPERM, gve and netdevsim EOPNOTSUPP: both are "off".
    for (const int err : {EPERM, EOPNOTSUPP}) {
        INFO(err);
        const zcrx::Error e = et::explain_rule_refusal(refused(err), false, "eth7");
        CHECK(e.err == EOPNOTSUPP);
        CHECK(contains(e.what, "insert an ntuple rule of eth7"));
        CHECK(contains(e.detail, "ntuple filters are off on eth7"));
        CHECK(contains(e.hint(), "ethtool -K eth7 ntuple on"));
        CHECK_FALSE(contains(e.hint(), "CAP_NET_ADMIN"));
    }
    // EPERM with ntuple on, or not known: the driver refused, not the capability.
    for (const std::optional<bool> on : {std::optional<bool>(true), std::optional<bool>()}) {
        const zcrx::Error e = et::explain_rule_refusal(refused(EPERM), on, "eth7");
        CHECK(e.err == EPERM);
        CHECK_FALSE(contains(e.hint(), "CAP_NET_ADMIN"));
        CHECK(contains(e.hint(), "ethtool -k eth7"));
    }
    const zcrx::Error down = et::explain_rule_refusal(refused(EAGAIN), true, "eth7");
    CHECK(down.err == EAGAIN);
    CHECK(contains(down.hint(), "ip link set eth7 up"));
    // Other refusals stay as they are.
    for (const int err : {ENOSPC, EINVAL, EEXIST}) {
        const zcrx::Error e = et::explain_rule_refusal(refused(err), false, "eth7");
        CHECK(e.err == err);
        CHECK(e.message() == refused(err).message());
    }
    CHECK(et::explain_rule_refusal(refused(EOPNOTSUPP), true, "eth7").message() ==
          refused(EOPNOTSUPP).message());
}
