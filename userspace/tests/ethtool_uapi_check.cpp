// Compile-time proof that the ethtool netlink numbers zcrx/ethtool.hpp
// defines itself (bookworm's linux-libc-dev 6.1 lacks them) are the kernel's.
//
// Built with the patched tree's exported headers first on the include path,
// so <linux/ethtool_netlink.h> here is the 6.12 one. Part of uapi-check.
#include <linux/ethtool_netlink.h>
#include <linux/netdev.h>

#include "zcrx/ethtool.hpp"

namespace nl = zcrx::ethtool::nl;

static_assert(nl::msg_rss_get == ETHTOOL_MSG_RSS_GET);
static_assert(nl::msg_rss_get_reply == ETHTOOL_MSG_RSS_GET_REPLY);
static_assert(nl::a_rss_header == ETHTOOL_A_RSS_HEADER);
static_assert(nl::a_rss_context == ETHTOOL_A_RSS_CONTEXT);
static_assert(nl::a_rss_hfunc == ETHTOOL_A_RSS_HFUNC);
static_assert(nl::a_rss_indir == ETHTOOL_A_RSS_INDIR);
static_assert(nl::a_rss_hkey == ETHTOOL_A_RSS_HKEY);
static_assert(nl::a_rss_max == ETHTOOL_A_RSS_MAX);

using zcrx::ethtool::TcpDataSplit;
static_assert(static_cast<int>(TcpDataSplit::unknown) == ETHTOOL_TCP_DATA_SPLIT_UNKNOWN);
static_assert(static_cast<int>(TcpDataSplit::disabled) == ETHTOOL_TCP_DATA_SPLIT_DISABLED);
static_assert(static_cast<int>(TcpDataSplit::enabled) == ETHTOOL_TCP_DATA_SPLIT_ENABLED);

namespace nd = zcrx::ethtool::netdev_nl;
static_assert(std::string_view(nd::family_name) == NETDEV_FAMILY_NAME);
static_assert(nd::cmd_page_pool_get == NETDEV_CMD_PAGE_POOL_GET);
static_assert(nd::cmd_queue_get == NETDEV_CMD_QUEUE_GET);
static_assert(nd::a_pp_id == NETDEV_A_PAGE_POOL_ID);
static_assert(nd::a_pp_ifindex == NETDEV_A_PAGE_POOL_IFINDEX);
static_assert(nd::a_pp_inflight == NETDEV_A_PAGE_POOL_INFLIGHT);
static_assert(nd::a_pp_detach_time == NETDEV_A_PAGE_POOL_DETACH_TIME);
static_assert(nd::a_pp_dmabuf == NETDEV_A_PAGE_POOL_DMABUF);
static_assert(nd::a_pp_io_uring == NETDEV_A_PAGE_POOL_IO_URING);
static_assert(nd::a_pp_max == NETDEV_A_PAGE_POOL_MAX);
static_assert(nd::a_queue_id == NETDEV_A_QUEUE_ID);
static_assert(nd::a_queue_ifindex == NETDEV_A_QUEUE_IFINDEX);
static_assert(nd::a_queue_type == NETDEV_A_QUEUE_TYPE);
static_assert(nd::a_queue_napi_id == NETDEV_A_QUEUE_NAPI_ID);
static_assert(nd::a_queue_dmabuf == NETDEV_A_QUEUE_DMABUF);
static_assert(nd::a_queue_io_uring == NETDEV_A_QUEUE_IO_URING);
static_assert(nd::a_queue_max == NETDEV_A_QUEUE_MAX);
static_assert(nd::queue_type_rx == NETDEV_QUEUE_TYPE_RX);
