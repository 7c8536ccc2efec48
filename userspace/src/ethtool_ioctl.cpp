// The ethtool ioctl (SIOCETHTOOL): the RSS table and ntuple rules, which
// have no netlink interface in the kernels this supports.
#include "zcrx/ethtool.hpp"

#include <linux/netlink.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "ethtool_internal.hpp"

namespace zcrx::ethtool {

using detail::str;
using detail::valid_ifname;

// The ioctl buffers below are laid out by hand around these headers.
static_assert(sizeof(ethtool_rxfh_indir) == 2 * sizeof(std::uint32_t));
static_assert(offsetof(ethtool_rxfh_indir, ring_index) == 2 * sizeof(std::uint32_t));

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

Result<bool> Ioctl::ntuple_on() {
    ethtool_value v{};
    v.cmd = ETHTOOL_GFLAGS;
    if (Result<void> r = call(&v, Feature::ntuple, "read the feature flags"); !r)
        return std::move(r).error();
    return (v.data & ETH_FLAG_NTUPLE) != 0;
}

} // namespace zcrx::ethtool
