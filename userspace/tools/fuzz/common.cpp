#include "common.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "zcrx/net.hpp"

namespace fuzz {

using zcrx::Error;
using zcrx::Fd;

void Tally::add(const std::string &kind, const std::string &answer, bool expected) {
    ++tried_[kind];
    ++answers_[kind][expected ? answer : "unexpected " + answer];
    if (!expected)
        ++unexpected_;
}

std::uint64_t Tally::print(std::string_view mode) const {
    std::uint64_t bad = 0;
    for (const auto &[kind, answers] : answers_) {
        std::uint64_t kind_bad = 0;
        std::string line;
        for (const auto &[answer, n] : answers) {
            line += line.empty() ? "" : ", ";
            line += answer + " " + std::to_string(n);
            if (answer.starts_with("unexpected "))
                kind_bad += n;
        }
        std::printf("%.*s: %s: %llu tried: %s, unexpected %llu\n", static_cast<int>(mode.size()),
                    mode.data(), kind.c_str(), static_cast<unsigned long long>(tried_.at(kind)),
                    line.c_str(), static_cast<unsigned long long>(kind_bad));
        bad += kind_bad;
    }
    return bad;
}

zcrx::IfqConfig queue_config(const Settings &s, std::uint32_t rq_entries, std::uint64_t area_size) {
    zcrx::IfqConfig ic;
    ic.if_index = s.if_index;
    ic.if_name = s.ifname;
    ic.rx_queue = s.queue;
    ic.rq_entries = rq_entries;
    ic.area_size = area_size;
    return ic;
}

zcrx::Ring new_ring() {
    zcrx::Result<zcrx::Ring> ring = zcrx::Ring::create();
    if (!ring)
        throw std::runtime_error(ring.error().message());
    return std::move(*ring);
}

zcrx::Ifq &register_queue(zcrx::Ring &ring, const zcrx::IfqConfig &config) {
    zcrx::Result<std::reference_wrapper<zcrx::Ifq>> ifq = ring.register_ifq(config);
    if (!ifq)
        throw std::runtime_error(ifq.error().message());
    return *ifq;
}

std::string errno_string(int err) {
    if (err == 0)
        return "0";
    if (const char *name = ::strerrorname_np(err))
        return name;
    return "E?" + std::to_string(err);
}

bool one_of(int err, std::initializer_list<int> errs) noexcept {
    for (const int e : errs)
        if (e == err)
            return true;
    return false;
}

zcrx::Result<Fd> listen_on(std::uint16_t port) {
    zcrx::Result<Fd> listener = zcrx::listen_tcp("::", port, 8);
    if (listener) {
        std::printf("listening on port %u\n", port);
        std::fflush(stdout);
    }
    return listener;
}

zcrx::Result<Fd> accept_from(int listener, std::chrono::milliseconds timeout) {
    pollfd p{listener, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n <= 0)
        return Error(n == 0 ? ETIMEDOUT : errno, "accept a connection");
    Fd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn)
        return Error(errno, "accept a connection");
    return conn;
}

zcrx::Result<Fd> accept_one(std::uint16_t port, std::chrono::milliseconds timeout) {
    zcrx::Result<Fd> listener = listen_on(port);
    if (!listener)
        return std::move(listener).error();
    return accept_from(listener->get(), timeout);
}

zcrx::Result<std::pair<Fd, Fd>> loopback_pair() {
    zcrx::Result<Fd> listener = zcrx::listen_tcp("127.0.0.1", 0, 1);
    if (!listener)
        return std::move(listener).error();
    const zcrx::SocketAddress at = zcrx::local_address(listener->get());
    Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!client || ::connect(client.get(), reinterpret_cast<const sockaddr *>(&at.addr), at.len))
        return Error(errno, "connect a loopback TCP pair");
    Fd server(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!server)
        return Error(errno, "accept a loopback TCP pair");
    return std::pair<Fd, Fd>(std::move(server), std::move(client));
}

std::optional<std::uint64_t> vm_pin_kb() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmPin:") {
            std::uint64_t kb = 0;
            if (status >> kb)
                return kb;
            return std::nullopt;
        }
        status.ignore(4096, '\n');
    }
    return std::nullopt;
}

bool pins_settle(std::string_view mode, std::chrono::seconds timeout) {
    const Clock::time_point end = Clock::now() + timeout;
    std::optional<std::uint64_t> kb;
    while ((kb = vm_pin_kb()) && *kb != 0 && Clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::printf("%.*s: pinned memory after close: VmPin %s kB\n", static_cast<int>(mode.size()),
                mode.data(), kb ? std::to_string(*kb).c_str() : "?");
    return kb && *kb == 0;
}

} // namespace fuzz
