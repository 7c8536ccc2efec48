#include <catch2/catch.hpp>

#include <netinet/in.h>

#include <cerrno>

#include "zcrx/net.hpp"

TEST_CASE("net: a listener on loopback tells where it listens", "[net]") {
    zcrx::Result<zcrx::Fd> fd = zcrx::listen_tcp("127.0.0.1", 0, 1);
    REQUIRE(fd);
    const zcrx::SocketAddress a = zcrx::local_address(fd->get());
    REQUIRE(a.len == sizeof(sockaddr_in));
    CHECK(a.addr.ss_family == AF_INET);
    CHECK(reinterpret_cast<const sockaddr_in *>(&a.addr)->sin_port != 0);
}

TEST_CASE("net: a name is not a numeric address", "[net]") {
    zcrx::Result<zcrx::Fd> fd = zcrx::listen_tcp("localhost", 0, 1);
    REQUIRE_FALSE(fd);
    CHECK(fd.error().err == EINVAL);
    CHECK(fd.error().hint() == "give a numeric IPv4 or IPv6 address");
}

TEST_CASE("net: a closed socket has no address", "[net]") {
    CHECK(zcrx::local_address(-1).len == 0);
}
