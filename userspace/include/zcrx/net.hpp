// TCP sockets for the tools: listening on a numeric address.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "zcrx/fd.hpp"
#include "zcrx/result.hpp"

namespace zcrx {

// A TCP socket bound to address (numeric IPv4 or IPv6; 0.0.0.0 or :: for
// any) and port (0: any free one), with SO_REUSEADDR, listening with the
// given backlog. Errors name the address and say what to check.
[[nodiscard]] Result<Fd> listen_tcp(const std::string &address, std::uint16_t port, int backlog);

// The address a socket is bound to (getsockname()), for connecting to a
// listener; len is 0 if it cannot be read.
struct SocketAddress {
    sockaddr_storage addr{};
    socklen_t len = 0;
};
[[nodiscard]] SocketAddress local_address(int fd) noexcept;

} // namespace zcrx
