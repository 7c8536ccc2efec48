// The README's example: receive one TCP connection with zero copy and
// count its bytes. Built with the rest, so the example keeps compiling.
//
//   recv-one IFNAME QUEUE PORT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "zcrx/ifq.hpp"
#include "zcrx/recv.hpp"
#include "zcrx/ring.hpp"

namespace {

[[noreturn]] void die(const std::string &msg) {
    std::fprintf(stderr, "recv-one: %s\n", msg.c_str());
    std::exit(1);
}

// Accept one IPv4 connection on port; plain sockets, nothing zcrx about it.
int accept_one(std::uint16_t port) {
    const int lfd = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) || listen(lfd, 1))
        die("listen failed");
    const int fd = accept(lfd, nullptr, nullptr);
    close(lfd);
    if (fd < 0)
        die("accept failed");
    return fd;
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 4)
        die("usage: recv-one IFNAME QUEUE PORT");

    // SINGLE_ISSUER | DEFER_TASKRUN | CQE32, as zero-copy receive needs.
    auto ring = zcrx::Ring::create();
    if (!ring)
        die(ring.error().message());

    // The area and the refill ring, registered on one RX queue.
    auto ifindex = zcrx::interface_index(argv[1]);
    if (!ifindex)
        die(ifindex.error().message());
    zcrx::IfqConfig cfg;
    cfg.if_index = *ifindex;
    cfg.rx_queue = static_cast<std::uint32_t>(std::atoi(argv[2]));
    // The ring owns the ifq: it lives until the ring is closed.
    auto ifq = ring->register_ifq(cfg);
    if (!ifq)
        die(ifq.error().message()); // errno, what failed, and what to check

    const int fd = accept_one(static_cast<std::uint16_t>(std::atoi(argv[3])));
    zcrx::Receive rx(*ifq, fd, /*user_data=*/1);
    std::uint64_t bytes = 0;
    if (auto armed = rx.arm(*ring); !armed)
        die(armed.error().message());
    while (!rx.done()) {
        // publishes the buffers given back, then sleeps
        if (auto n = ring->submit_and_wait(1); !n)
            die(n.error().message());
        ring->for_each_cqe([&](const io_uring_cqe &cqe) {
            zcrx::Receive::Event ev = rx.on_cqe(cqe);
            if (ev.kind == zcrx::CqeKind::data)
                bytes += ev.buffer.data().size(); // the bytes, in place in the area
            // ev.buffer goes back to the kernel here, when it is destroyed
        });
        if (rx.needs_arm()) // ended for want of buffers or CQ space
            if (auto armed = rx.arm(*ring); !armed)
                die(armed.error().message());
    }
    if (rx.end_error())
        die(rx.error("receive").message());
    std::printf("%llu bytes\n", static_cast<unsigned long long>(bytes));
    close(fd);
    return 0;
}
