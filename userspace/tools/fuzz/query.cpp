// zcrx-fuzz query: random IORING_REGISTER_QUERY chains.
//
// Each try links 1 to 8 headers, each with a random query (known or not),
// buffer size (none, short, exact, long, larger than its mapping), reserved
// and result fields, and sometimes a buffer or next header in unmapped
// memory, a loop back to the first header, or nr_args set. The answer is
// predicted exactly: the call's return, and for every header the kernel got
// to its result, its size, the bytes of its buffer (the reference answer's
// start, or nothing for a failed query, then zeros to the buffer's size)
// and that headers and buffers it did not get to are untouched.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "zcrx/query.hpp"

namespace fuzz {

namespace {

namespace uapi = zcrx::uapi;

constexpr std::size_t max_chain = 8;
constexpr std::size_t buf_size = 512; // each header's buffer, in a page of its own
constexpr std::size_t page = 4096;
constexpr std::uint64_t max_entries = 1000; // a longer chain is a loop: ERANGE
constexpr std::uint8_t fill = 0xa5;

struct Entry {
    uapi::query_hdr *hdr = nullptr;
    std::byte *buf = nullptr; // buf_size bytes, then the end of the mapping
};

// The reference answers, from a clean query of all three.
struct Reference {
    std::vector<std::byte> answer[3];
};

Reference reference() {
    zcrx::Result<zcrx::Support> s = zcrx::query();
    if (!s)
        throw std::runtime_error(s.error().message());
    if (!s->opcodes || !s->zcrx || !s->scq)
        throw std::runtime_error("the kernel does not answer all three queries");
    Reference r;
    const auto keep = [](const auto &v) {
        const auto *p = reinterpret_cast<const std::byte *>(&v);
        return std::vector<std::byte>(p, p + sizeof(v));
    };
    r.answer[uapi::query_op_opcodes] = keep(*s->opcodes);
    r.answer[uapi::query_op_zcrx] = keep(*s->zcrx);
    r.answer[uapi::query_op_scq] = keep(*s->scq);
    return r;
}

std::uint64_t address(const void *p) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(p));
}

bool bytes_are(const std::byte *p, std::size_t n, std::byte v) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] != v)
            return false;
    return true;
}

} // namespace

int run_query(const Settings &s) {
    std::mt19937_64 rng(s.seed);
    const Reference ref = reference();

    // One page per header and one per buffer; each buffer ends its mapping,
    // so a size past buf_size runs into the guard page after it.
    const std::size_t len = max_chain * 3 * page;
    void *map = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        throw std::runtime_error("map the query memory: " + errno_string(errno));
    auto *base = static_cast<std::byte *>(map);
    std::vector<Entry> e(max_chain);
    for (std::size_t i = 0; i < max_chain; ++i) {
        e[i].hdr = reinterpret_cast<uapi::query_hdr *>(base + 3 * i * page);
        std::byte *b = base + (3 * i + 1) * page;
        if (::mprotect(b + page, page, PROT_NONE) < 0)
            throw std::runtime_error("mprotect: " + errno_string(errno));
        e[i].buf = b + page - buf_size;
    }
    const std::uint64_t hole = address(base + 2 * page); // a guard page

    Tally tally;
    Budget budget(s);
    std::uint64_t n = 0;
    for (; budget.more(n); ++n) {
        const std::size_t chain = pick<std::size_t>(rng, 1, max_chain);
        const bool loop = one_in(rng, 50);
        const bool bad_nr_args = one_in(rng, 100);
        std::string kind = loop ? "loop" : bad_nr_args ? "nr_args" : "chain";
        for (std::size_t i = 0; i < chain; ++i) {
            uapi::query_hdr &h = *e[i].hdr;
            std::memset(e[i].buf, static_cast<int>(fill), buf_size);
            h = {};
            h.query_op = one_in(rng, 5) ? pick<std::uint32_t>(rng, 3, UINT32_MAX)
                                        : pick<std::uint32_t>(rng, 0, 2);
            switch (one_in(rng, 20) ? 4 : pick(rng, 0, 3)) {
            case 0:
                h.size = 0;
                break;
            case 1:
                h.size = pick<std::uint32_t>(rng, 1, 16);
                break;
            case 2:
                h.size = pick<std::uint32_t>(rng, 1, buf_size);
                break;
            case 3:
                h.size = buf_size;
                break;
            default: // past the buffer's mapping
                h.size = pick<std::uint32_t>(rng, buf_size + 1, UINT32_MAX);
                break;
            }
            h.query_data = one_in(rng, 20) ? hole : address(e[i].buf);
            if (one_in(rng, 20))
                h.result = static_cast<std::int32_t>(rng());
            if (one_in(rng, 20))
                h.resv[pick(rng, 0, 2)] = static_cast<std::uint32_t>(rng() | 1);
            h.next_entry = i + 1 < chain ? address(e[i + 1].hdr) : 0;
        }
        if (loop)
            e[chain - 1].hdr->next_entry = address(e[0].hdr);
        else if (one_in(rng, 30))
            e[chain - 1].hdr->next_entry = hole;
        std::vector<uapi::query_hdr> before(chain);
        for (std::size_t i = 0; i < chain; ++i)
            before[i] = *e[i].hdr;

        const long ret =
            ::syscall(__NR_io_uring_register, -1, uapi::register_query, e[0].hdr, bad_nr_args);
        const int got = ret < 0 ? errno : 0;

        // Walk the chain as the kernel must have.
        int want = 0;
        std::size_t done = 0; // headers answered, in chain order (with repeats)
        bool ok = true;
        if (bad_nr_args) {
            want = EINVAL;
        } else {
            std::uint64_t seen = 0;
            for (std::size_t i = 0;; i = (i + 1) % chain) {
                if (seen++ == max_entries) {
                    want = ERANGE;
                    break;
                }
                const uapi::query_hdr &h = before[i];
                // every answer, failed or not, writes the whole buffer
                if (h.size > 0 && (h.query_data == hole || h.size > buf_size)) {
                    want = EFAULT; // unmapped, or runs into the guard page
                    break;
                }
                ++done;
                if (h.next_entry == 0)
                    break;
                if (h.next_entry == hole) {
                    want = EFAULT;
                    break;
                }
            }
        }
        ok = got == want;
        // Check every header: answered once at least, or untouched.
        for (std::size_t i = 0; ok && i < chain; ++i) {
            const uapi::query_hdr &h = before[i];
            const uapi::query_hdr &a = *e[i].hdr;
            const bool answered = i < done;
            if (!answered) {
                ok = std::memcmp(&a, &h, sizeof(h)) == 0 &&
                     (h.query_data == hole || h.size > buf_size ||
                      bytes_are(e[i].buf, buf_size, std::byte{fill}));
                continue;
            }
            const bool known = h.query_op <= 2;
            const bool bad = h.result || h.size == 0 || h.resv[0] || h.resv[1] || h.resv[2];
            const std::int32_t result = !known ? -EOPNOTSUPP : bad ? -EINVAL : 0;
            if (a.result != result || a.next_entry != h.next_entry ||
                a.query_data != h.query_data || a.query_op != h.query_op ||
                std::memcmp(a.resv, h.resv, sizeof(h.resv)) != 0) {
                ok = false;
                break;
            }
            if (result != 0) { // the buffer is only zeroed
                ok = a.size == 0 && bytes_are(e[i].buf, h.size, std::byte{0}) &&
                     bytes_are(e[i].buf + h.size, buf_size - h.size, std::byte{fill});
                continue;
            }
            const std::vector<std::byte> &r = ref.answer[h.query_op];
            const std::size_t written = std::min<std::size_t>(h.size, r.size());
            ok = a.size == written && std::memcmp(e[i].buf, r.data(), written) == 0 &&
                 bytes_are(e[i].buf + written, h.size - written, std::byte{0}) &&
                 bytes_are(e[i].buf + h.size, buf_size - h.size, std::byte{fill});
        }
        tally.add(kind, errno_string(got), ok);
        if (!ok && tally.unexpected() <= 5)
            std::printf("query: try %llu (%s, %zu headers): the call said %s, expected %s, "
                        "or a header or buffer is not as predicted\n",
                        static_cast<unsigned long long>(n), kind.c_str(), chain,
                        errno_string(got).c_str(), errno_string(want).c_str());
    }
    ::munmap(map, len);
    std::printf("query: %llu chains tried\n", static_cast<unsigned long long>(n));
    return tally.print("query") == 0 ? 0 : 1;
}

} // namespace fuzz
