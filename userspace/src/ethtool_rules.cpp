// What zcrx-nic computes without a device: RSS tables that keep a queue
// out, ntuple rules steering a port to a queue, and how to show them.
#include "zcrx/ethtool.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "ethtool_internal.hpp"

namespace zcrx::ethtool {

using detail::hex;

namespace {

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

Result<std::uint32_t> rx_queues_after(const Channels &ch, std::optional<std::uint32_t> want,
                                      std::uint32_t rx_rings, std::string_view dev) {
    if (!want)
        return rx_rings;
    const std::string d(dev);
    const std::string what = "set " + d + " to " + std::to_string(*want) + " combined channels";
    if (ch.combined_max == 0)
        return Error(EOPNOTSUPP, what, {},
                     d + " has no combined channels; set its RX channels with ethtool -L instead");
    if (*want > ch.combined_max)
        return Error(ERANGE, what, {}, d + " has at most " + std::to_string(ch.combined_max));
    if (ch.combined == 0 && (ch.rx != 0 || ch.tx != 0))
        return Error(EINVAL, what,
                     d + " has separate channels (rx " + std::to_string(ch.rx) + ", tx " +
                         std::to_string(ch.tx) + ") and none combined",
                     "make them combined first (ethtool -L " + d + " rx 0 tx 0 combined " +
                         std::to_string(*want) + "), or leave out --channels");
    return *want + ch.rx;
}

bool rss_reset_before_channels(std::span<const std::uint32_t> table, std::uint32_t rings,
                               std::uint32_t rings_after) {
    if (table.empty() || rings == rings_after)
        return false;
    if (max_ring(table).value_or(0) >= rings_after)
        return true;
    const std::vector<std::uint32_t> dflt =
        equal_indir(static_cast<std::uint32_t>(table.size()), rings);
    return !std::equal(table.begin(), table.end(), dflt.begin(), dflt.end());
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
