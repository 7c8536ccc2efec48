// An application outside this tree that uses the installed library: built
// by scripts/check-install.sh against the installed headers with
//
//   g++ -std=c++20 consumer.cpp $(pkg-config --cflags --libs zcrx)
//
// It checks a stream chunk with the pattern helpers, sees a corrupted byte
// caught, and opens a zcrx-capable io_uring. Prints "consumer: ok" and
// exits 0, or names what failed and exits 1.
#include <cstddef>
#include <cstdio>
#include <vector>

#include <zcrx/pattern.hpp>
#include <zcrx/ring.hpp>
#include <zcrx/uapi.hpp>

namespace {

bool fail(const char *what) {
    std::fprintf(stderr, "consumer: %s\n", what);
    return false;
}

bool pattern_round_trip() {
    constexpr std::uint64_t start = 12345;
    std::vector<std::byte> chunk(64 * 1024);
    zcrx::pattern::fill(start, chunk);
    zcrx::pattern::Verifier good(start);
    if (!good.update(chunk))
        return fail("a freshly filled chunk does not verify");
    chunk[1000] ^= std::byte{1};
    zcrx::pattern::Verifier bad(start);
    if (bad.update(chunk) || !bad.mismatch() || bad.mismatch()->offset != start + 1000)
        return fail("a flipped byte at offset 1000 went unnoticed");
    return true;
}

bool ring_opens() {
    auto ring = zcrx::Ring::create();
    if (!ring) {
        std::fprintf(stderr, "consumer: %s\n", ring.error().message().c_str());
        return false;
    }
    auto recv_zc = ring->supports_op(zcrx::uapi::op_recv_zc);
    if (!recv_zc)
        return fail("IORING_REGISTER_PROBE failed");
    std::printf("consumer: this kernel %s IORING_OP_RECV_ZC\n", *recv_zc ? "has" : "does not have");
    return true;
}

} // namespace

int main() {
    if (!pattern_round_trip() || !ring_opens())
        return 1;
    std::printf("consumer: ok\n");
    return 0;
}
