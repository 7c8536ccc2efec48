#include "zcrx/net.hpp"

#include <netdb.h>

#include <cerrno>

namespace zcrx {

Result<Fd> listen_tcp(const std::string &address, std::uint16_t port, int backlog) {
    const std::string where = address + " port " + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo *res = nullptr;
    const std::string service = std::to_string(port);
    if (const int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &res); rc != 0)
        return Error(rc == EAI_SYSTEM ? errno : EINVAL, "use " + address + " as an address",
                     rc == EAI_SYSTEM ? "" : ::gai_strerror(rc),
                     "give a numeric IPv4 or IPv6 address");
    Fd fd(::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol));
    int err = fd ? 0 : errno;
    const int one = 1;
    if (!err && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        err = errno;
    if (!err && ::bind(fd.get(), res->ai_addr, res->ai_addrlen) < 0)
        err = errno;
    if (!err && ::listen(fd.get(), backlog) < 0)
        err = errno;
    ::freeaddrinfo(res);
    if (err)
        return Error(err, "listen on " + where, {},
                     err == EADDRINUSE ? "pick another port or stop the program using it" : "");
    return fd;
}

SocketAddress local_address(int fd) noexcept {
    SocketAddress a;
    a.len = sizeof(a.addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&a.addr), &a.len) < 0)
        a.len = 0;
    return a;
}

} // namespace zcrx
