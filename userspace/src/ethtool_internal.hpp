// Helpers the libzcrx-nic sources share; not part of any interface.
#pragma once

#include <net/if.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace zcrx::ethtool::detail {

inline std::string str(std::string_view s) {
    return std::string(s);
}

// A name the kernel may know as an interface: 1 to IFNAMSIZ - 1
// characters, no NUL and no '/'.
inline bool valid_ifname(std::string_view dev) noexcept {
    return !dev.empty() && dev.size() < IFNAMSIZ && dev.find('\0') == std::string_view::npos &&
           dev.find('/') == std::string_view::npos;
}

// v in lower-case hex, without "0x".
inline std::string hex(std::uint32_t v) {
    char buf[16];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, 16);
    (void)ec; // 8 hex digits always fit
    return std::string(buf, end);
}

} // namespace zcrx::ethtool::detail
