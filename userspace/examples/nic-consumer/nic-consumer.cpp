// An application outside this tree that uses the installed NIC setup
// library: built by scripts/check-install.sh against the installed headers
// with
//
//   g++ -std=c++20 nic-consumer.cpp $(pkg-config --cflags --libs zcrx-nic)
//
// and run as "nic-consumer DEV" with a DEV that does not exist. It sets
// DEV up for zero-copy receive (queue 1, TCP port 9999) with the scoped
// zcrx::ethtool::NicSetup, which fails before it reads or changes
// anything: ENODEV, as zcrx/nic_setup.hpp documents for a missing device.
// Then it prints the error and "nic-consumer: ok" and exits 0; any other
// outcome it names, and exits 1. Given a NIC that exists (and the right to
// change it), the setup is made and at once undone: not for a NIC in use.
#include <cerrno>
#include <cstdio>
#include <string>

#include <zcrx/error.hpp>
#include <zcrx/nic_setup.hpp>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: nic-consumer DEV (a device that does not exist)\n");
        return 2;
    }
    const std::string dev = argv[1];

    zcrx::ethtool::SetupRequest req;
    req.queue = 1;
    req.port = 9999;
    req.replace = false; // never undo a setup someone else made
    zcrx::ethtool::SetupOutput out;
    out.info = [](const std::string &s) { std::printf("nic-consumer: %s\n", s.c_str()); };
    out.warning = [](const std::string &s) {
        std::printf("nic-consumer: warning: %s\n", s.c_str());
    };
    out.error = [](const zcrx::Error &e) {
        std::printf("nic-consumer: error: %s\n", e.message().c_str());
    };

    auto setup = zcrx::ethtool::NicSetup::apply(dev, req, out);
    if (setup) {
        std::printf("nic-consumer: %s exists and was set up; putting it back\n", dev.c_str());
        if (!setup->undo())
            std::printf("nic-consumer: the undo failed: zcrx-nic undo %s\n", dev.c_str());
        return 1;
    }
    const zcrx::Error &e = setup.error();
    std::printf("nic-consumer: %s\n", e.message().c_str());
    if (e.err != ENODEV) {
        std::printf("nic-consumer: expected ENODEV for a device that does not exist\n");
        return 1;
    }
    std::printf("nic-consumer: ok\n");
    return 0;
}
