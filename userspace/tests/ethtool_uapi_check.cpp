// Compile-time proof that the ethtool netlink numbers zcrx/ethtool.hpp
// defines itself (bookworm's linux-libc-dev 6.1 lacks them) are the kernel's.
//
// Built with the patched tree's exported headers first on the include path,
// so <linux/ethtool_netlink.h> here is the 6.12 one. Part of uapi-check.
#include <linux/ethtool_netlink.h>

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
