// zcrx-send: connect to a receiver and send a verifiable stream (or a file).
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "zcrx/cli.hpp"
#include "zcrx/error.hpp"
#include "zcrx/fd.hpp"
#include "zcrx/json.hpp"
#include "zcrx/pattern.hpp"
#include "zcrx/progress.hpp"
#include "zcrx/result.hpp"

namespace {

namespace cli = zcrx::cli;
using zcrx::Error;
using zcrx::Fd;
using zcrx::Result;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t default_size = std::uint64_t{1} << 30;
constexpr std::uint64_t default_chunk = 128 * 1024;
constexpr std::uint64_t max_chunk = 64 * 1024 * 1024;
constexpr std::uint64_t max_connections = 1024;

constexpr cli::Option options[] = {
    {"size", "SIZE", "bytes each connection sends (default 1G)"},
    {"file", "PATH", "send this regular file, whole, on each connection"},
    {"connections", "N", "parallel connections, each its own stream (default 1)"},
    {"chunk", "SIZE", "bytes per send() (default 128K, at most 64M)"},
    {"rate", "SIZE", "pace each connection at SIZE bytes per second"},
    {"interval", "SECS", "print progress every SECS seconds (0.1 to 3600) while sending"},
    {"json", "", "print the results as one JSON object on stdout (see above)"},
    {"verify-file", "PATH", "do not connect: check that PATH holds the pattern"},
    {"help", "", "show this help and exit", 'h'},
};

std::string help_text() {
    std::string s = "Usage: zcrx-send [OPTIONS] HOST PORT\n"
                    "       zcrx-send --verify-file PATH [--size SIZE] [--json]\n"
                    "\n"
                    "Send TCP streams of a verifiable pattern (or a file) to HOST PORT, or\n"
                    "check that a file holds the pattern. SIGINT stops the sending early.\n"
                    "\n"
                    "--interval SECS prints a line every SECS seconds: the bytes all\n"
                    "connections sent in that interval and their throughput. With --json\n"
                    "each is a JSON object of its own line before the results': NDJSON.\n"
                    "\n"
                    "Options:\n";
    s += cli::option_help(options);
    s += "\n"
         "Exit status: 0 ok, 1 --verify-file: the data differs, 2 usage error,\n"
         "3 runtime error. See zcrx-send(1) for details.\n";
    return s;
}

struct Settings {
    std::string host;
    std::string port; // for getaddrinfo
    std::uint16_t port_number = 0;
    std::uint64_t size = default_size;
    std::optional<std::string> file;
    std::uint64_t connections = 1;
    std::uint64_t chunk = default_chunk;
    std::uint64_t rate = 0; // bytes per second per connection; 0: as fast as TCP goes
    bool json = false;
    std::optional<std::chrono::milliseconds> interval; // --interval
};

// One stream, sent by its own thread. bytes is read by the main thread
// for --interval while the sender writes it.
struct Connection {
    Fd sock;
    std::atomic<std::uint64_t> bytes{0};
    Clock::time_point end{};
    std::optional<Error> error;
};

double gbit_per_s(std::uint64_t bytes, double seconds) {
    return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e9 : 0.0;
}

std::string peer_name(const Settings &s) {
    return s.host + " port " + s.port;
}

// The addresses HOST PORT may mean, in getaddrinfo's order of preference.
struct AddrinfoFree {
    void operator()(addrinfo *ai) const noexcept { ::freeaddrinfo(ai); }
};
using Addresses = std::unique_ptr<addrinfo, AddrinfoFree>;

Result<Addresses> resolve(const Settings &s) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo *res = nullptr;
    if (const int rc = ::getaddrinfo(s.host.c_str(), s.port.c_str(), &hints, &res); rc != 0) {
        const int err = rc == EAI_SYSTEM ? errno : 0;
        return Error(err, "resolve " + s.host, rc == EAI_SYSTEM ? "" : ::gai_strerror(rc), "");
    }
    return Addresses(res);
}

Result<Fd> connect_to(const Settings &s, const addrinfo *addrs) {
    int err = EADDRNOTAVAIL;
    for (const addrinfo *ai = addrs; ai; ai = ai->ai_next) {
        Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!fd) {
            err = errno;
            continue;
        }
        // TCP paces itself to the socket's maximum pacing rate
        if (s.rate != 0 &&
            ::setsockopt(fd.get(), SOL_SOCKET, SO_MAX_PACING_RATE, &s.rate, sizeof(s.rate)) < 0)
            return Error(errno, "set the pacing rate to " + std::to_string(s.rate) + " bytes/s", {},
                         "");
        if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0)
            return fd;
        err = errno;
    }
    return Error(err, "connect to " + peer_name(s), {}, "");
}

// Set by SIGINT: every connection stops sending and finishes. SIGTERM
// keeps killing at once, as scripts that stop a sender expect.
std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void request_stop(int) {
    stop_requested.store(true, std::memory_order_relaxed);
}

bool stopping() {
    return stop_requested.load(std::memory_order_relaxed);
}

// Without SA_RESTART, so that a blocked send() returns; the handler resets
// to the default, so that a second signal kills.
void stop_on_sigint() {
    struct sigaction sa {};
    sa.sa_handler = request_stop;
    sa.sa_flags = static_cast<int>(SA_RESETHAND);
    ::sigemptyset(&sa.sa_mask);
    // even if the shell started us with SIGINT ignored (a background job)
    ::sigaction(SIGINT, &sa, nullptr);
}

// Half-close, then wait for the peer to close: the data is then all read.
void finish(Connection &c, const Settings &s, std::span<std::byte> scratch) {
    if (::shutdown(c.sock.get(), SHUT_WR) < 0) {
        c.error = Error(errno, "shut down the sending side to " + peer_name(s), {}, "");
        return;
    }
    for (;;) {
        const ssize_t n = ::recv(c.sock.get(), scratch.data(), scratch.size(), 0);
        if (n == 0)
            break;
        if (n < 0 && errno != EINTR) {
            c.error = Error(errno,
                            "wait for " + peer_name(s) + " to close after " +
                                std::to_string(c.bytes) + " bytes",
                            {}, "");
            return;
        }
    }
    c.end = Clock::now();
}

// The per-chunk loop: fill the preallocated buffer, send it; no allocation.
void send_pattern(Connection &c, const Settings &s, std::span<std::byte> buf) {
    std::uint64_t offset = 0;
    while (offset < s.size && !stopping()) {
        const std::span<std::byte> chunk = buf.first(
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), s.size - offset)));
        zcrx::pattern::fill(offset, chunk);
        std::size_t done = 0;
        while (done < chunk.size()) {
            const ssize_t n =
                ::send(c.sock.get(), chunk.data() + done, chunk.size() - done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR && stopping())
                    break;
                if (errno == EINTR)
                    continue;
                c.error = Error(errno,
                                "send to " + peer_name(s) + " at stream offset " +
                                    std::to_string(offset + done),
                                {}, "");
                return;
            }
            done += static_cast<std::size_t>(n);
            c.bytes.store(offset + done, std::memory_order_relaxed);
        }
        offset += done;
    }
    finish(c, s, buf);
}

void send_file(Connection &c, const Settings &s, int file_fd, std::uint64_t file_size,
               std::span<std::byte> scratch) {
    off_t offset = 0;
    while (static_cast<std::uint64_t>(offset) < file_size && !stopping()) {
        const std::uint64_t left = file_size - static_cast<std::uint64_t>(offset);
        const ssize_t n = ::sendfile(c.sock.get(), file_fd, &offset,
                                     static_cast<std::size_t>(std::min(left, s.chunk)));
        if (n < 0) {
            if (errno == EINTR)
                continue; // the loop ends if it was a stop
            c.error = Error(errno,
                            "send " + *s.file + " to " + peer_name(s) + " at offset " +
                                std::to_string(offset),
                            {}, "");
            return;
        }
        if (n == 0) {
            c.error = Error(EIO,
                            "send " + *s.file + ": it shrank to " + std::to_string(offset) +
                                " bytes while sending",
                            {}, "");
            return;
        }
        c.bytes.store(static_cast<std::uint64_t>(offset), std::memory_order_relaxed);
    }
    finish(c, s, scratch);
}

void print_results(const Settings &s, const std::vector<Connection> &conns,
                   Clock::time_point start) {
    std::uint64_t total = 0;
    Clock::time_point last = start;
    for (const Connection &c : conns) {
        total += c.bytes;
        last = std::max(last, c.end);
    }
    const auto seconds = [&](Clock::time_point end) {
        return end > start ? std::chrono::duration<double>(end - start).count() : 0.0;
    };
    if (s.json) {
        zcrx::Json j = zcrx::json_document();
        j["host"] = s.host;
        j["port"] = s.port_number;
        j["source"] = s.file ? *s.file : std::string("pattern");
        zcrx::Json &list = j["connections"] = zcrx::Json::array();
        for (std::size_t i = 0; i < conns.size(); ++i) {
            const Connection &c = conns[i];
            zcrx::Json o = {{"id", i + 1}, {"bytes", c.bytes.load()}};
            if (c.error) {
                o["seconds"] = nullptr;
                o["gbit_per_s"] = nullptr;
                o["error"] = c.error->message();
            } else {
                o["seconds"] = seconds(c.end);
                o["gbit_per_s"] = gbit_per_s(c.bytes, seconds(c.end));
                o["error"] = nullptr;
            }
            list.push_back(std::move(o));
        }
        j["total"] = {{"bytes", total},
                      {"seconds", seconds(last)},
                      {"gbit_per_s", gbit_per_s(total, seconds(last))}};
        j["ok"] = std::none_of(conns.begin(), conns.end(),
                               [](const Connection &c) { return c.error.has_value(); });
        zcrx::print_json_line(j);
        return;
    }
    for (std::size_t i = 0; i < conns.size(); ++i) {
        const Connection &c = conns[i];
        if (c.error)
            std::printf("connection %zu: %llu bytes in %.3f s, failed\n", i + 1,
                        static_cast<unsigned long long>(c.bytes), seconds(c.end));
        else
            std::printf("connection %zu: %llu bytes in %.3f s, %.3f Gbit/s\n", i + 1,
                        static_cast<unsigned long long>(c.bytes), seconds(c.end),
                        gbit_per_s(c.bytes, seconds(c.end)));
    }
    std::printf("total: %zu connection%s, %llu bytes in %.3f s, %.3f Gbit/s\n", conns.size(),
                conns.size() == 1 ? "" : "s", static_cast<unsigned long long>(total), seconds(last),
                gbit_per_s(total, seconds(last)));
}

// How many sending threads are done; the main thread waits on it.
class Finished {
public:
    void one() {
        {
            const std::lock_guard lock(mutex_);
            ++count_;
        }
        changed_.notify_all();
    }
    // Waits until count threads are done or until deadline; whether they are.
    bool wait_until(std::size_t count, Clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        return changed_.wait_until(lock, deadline, [&] { return count_ >= count; });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t count_ = 0;
};

std::uint64_t sent(const std::vector<Connection> &conns) {
    std::uint64_t total = 0;
    for (const Connection &c : conns)
        total += c.bytes.load(std::memory_order_relaxed);
    return total;
}

void print_interval(const Settings &s, const zcrx::progress::Interval &i) {
    const std::string line =
        s.json ? zcrx::progress::json_line(i, "zcrx-send") : zcrx::progress::text_line(i);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

// --interval: a line per interval until every connection is done, then
// one for the rest since the last.
void report_progress(const Settings &s, const std::vector<Connection> &conns,
                     Clock::time_point start, Finished &finished) {
    zcrx::progress::Ticker ticker(*s.interval, start);
    while (!finished.wait_until(conns.size(), ticker.next()))
        if (const auto i = ticker.tick(Clock::now(), sent(conns)))
            print_interval(s, *i);
    // the threads are done: their ends are set, and visible through the wait
    Clock::time_point end = start;
    for (const Connection &c : conns)
        end = std::max(end, c.end);
    if (const auto i = ticker.last(end, sent(conns)))
        print_interval(s, *i);
}

int run_send(const Settings &s) {
    Fd file;
    std::uint64_t file_size = 0;
    if (s.file) {
        file.reset(::open(s.file->c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st {};
        if (!file || ::fstat(file.get(), &st) < 0) {
            zcrx::print_failure("zcrx-send", Error(errno, "open " + *s.file, {}, ""), s.json);
            return cli::exit_runtime;
        }
        if (!S_ISREG(st.st_mode)) {
            std::fprintf(stderr, "zcrx-send: --file %s: not a regular file\n", s.file->c_str());
            return cli::exit_usage;
        }
        file_size = static_cast<std::uint64_t>(st.st_size);
    }

    Result<Addresses> addrs = resolve(s);
    if (!addrs) {
        zcrx::print_failure("zcrx-send", addrs.error(), s.json);
        return cli::exit_runtime;
    }

    // Connect everything first, so the streams start together.
    std::vector<Connection> conns(static_cast<std::size_t>(s.connections));
    for (std::size_t i = 0; i < conns.size(); ++i) {
        Result<Fd> fd = connect_to(s, addrs->get());
        if (!fd) {
            Error e = fd.error();
            e.what = "connection " + std::to_string(i + 1) + ": " + e.what;
            zcrx::print_failure("zcrx-send", e, s.json);
            return cli::exit_runtime;
        }
        conns[i].sock = std::move(fd).value();
    }

    // One buffer per connection, allocated before the clock starts.
    std::vector<std::unique_ptr<std::byte[]>> buffers;
    for (std::size_t i = 0; i < conns.size(); ++i)
        buffers.push_back(std::make_unique_for_overwrite<std::byte[]>(s.chunk));

    const Clock::time_point start = Clock::now();
    Finished finished;
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < conns.size(); ++i) {
            threads.emplace_back([&, i] {
                Connection &c = conns[i];
                const std::span<std::byte> buf(buffers[i].get(), s.chunk);
                try {
                    if (s.file)
                        send_file(c, s, file.get(), file_size, buf);
                    else
                        send_pattern(c, s, buf);
                } catch (const std::exception &e) {
                    c.error = Error(ENOMEM, std::string("connection: ") + e.what(), {}, "");
                }
                if (c.error)
                    c.end = Clock::now();
                finished.one();
            });
        }
        if (s.interval)
            report_progress(s, conns, start, finished);
    }

    print_results(s, conns, start);
    if (stopping())
        std::fprintf(stderr, "zcrx-send: stopped by a signal; the figures are what was sent\n");
    int status = cli::exit_ok;
    for (std::size_t i = 0; i < conns.size(); ++i) {
        if (conns[i].error) {
            std::fprintf(stderr, "zcrx-send: connection %zu: %s\n", i + 1,
                         conns[i].error->message().c_str());
            status = cli::exit_runtime;
        }
    }
    return status;
}

int run_verify(const std::string &path, std::optional<std::uint64_t> expect_size, bool json) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        zcrx::print_failure("zcrx-send", Error(errno, "open " + path, {}, ""), json);
        return cli::exit_runtime;
    }
    constexpr std::size_t buf_size = 1 << 20;
    const auto buf = std::make_unique_for_overwrite<std::byte[]>(buf_size);
    zcrx::pattern::Verifier verifier;
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf.get(), buf_size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            zcrx::print_failure(
                "zcrx-send",
                Error(errno, "read " + path + " at offset " + std::to_string(verifier.offset()), {},
                      ""),
                json);
            return cli::exit_runtime;
        }
        if (n == 0 || !verifier.update({buf.get(), static_cast<std::size_t>(n)}))
            break;
    }
    const std::uint64_t bytes = verifier.offset();
    const bool size_ok = !expect_size || *expect_size == bytes;
    const bool ok = verifier.ok() && size_ok;
    if (json) {
        zcrx::Json j = zcrx::json_document();
        j["file"] = path;
        j["bytes"] = bytes;
        if (expect_size)
            j["expected_bytes"] = *expect_size;
        if (const auto m = verifier.mismatch())
            j["mismatch"] = {{"offset", m->offset},
                             {"expected", std::uint64_t{m->expected}},
                             {"actual", std::uint64_t{m->actual}}};
        else
            j["mismatch"] = nullptr;
        j["ok"] = ok;
        zcrx::print_json_line(j);
    } else if (const auto m = verifier.mismatch()) {
        std::printf("%s: mismatch at stream offset %llu: expected 0x%02x, got 0x%02x\n",
                    path.c_str(), static_cast<unsigned long long>(m->offset), m->expected,
                    m->actual);
    } else if (!size_ok) {
        std::printf("%s: %llu bytes match the pattern, but %llu were expected\n", path.c_str(),
                    static_cast<unsigned long long>(bytes),
                    static_cast<unsigned long long>(*expect_size));
    } else {
        std::printf("%s: %llu bytes match the pattern\n", path.c_str(),
                    static_cast<unsigned long long>(bytes));
    }
    return ok ? cli::exit_ok : cli::exit_data;
}

} // namespace

int main(int argc, char **argv) {
    return cli::run_tool(
        "zcrx-send", options, argc, argv, help_text, cli::exit_runtime, [](const cli::Args &args) {
            if (const auto path = args.value("verify-file")) {
                args.expect_positional(0, 0, "");
                for (const char *o : {"file", "connections", "chunk", "rate", "interval"})
                    if (args.has(o))
                        throw cli::UsageError("--verify-file does not take --" + std::string(o));
                std::optional<std::uint64_t> size;
                if (args.has("size"))
                    size = args.size_or("size", 0, 0, UINT64_MAX);
                return run_verify(std::string(*path), size, args.has("json"));
            }

            args.expect_positional(2, 2, "HOST PORT");
            Settings s;
            s.host = std::string(args.positional()[0]);
            s.port_number = cli::parse_port(args.positional()[1], "PORT");
            s.port = std::to_string(s.port_number);
            if (args.has("file") && args.has("size"))
                throw cli::UsageError(
                    "--file and --size exclude each other (a file is sent whole)");
            if (const auto f = args.value("file"))
                s.file = std::string(*f);
            s.size = args.size_or("size", default_size, 0, UINT64_MAX);
            s.connections = args.count_or("connections", 1, 1, max_connections);
            s.chunk = args.size_or("chunk", default_chunk, 1, max_chunk);
            s.rate = args.size_or("rate", 0, 1, UINT64_MAX - 1);
            s.json = args.has("json");
            s.interval = args.seconds("interval", zcrx::progress::min_interval,
                                      zcrx::progress::max_interval);

            // A peer that goes away must be an error from send(), not a signal.
            ::signal(SIGPIPE, SIG_IGN);
            stop_on_sigint();
            return run_send(s);
        });
}
