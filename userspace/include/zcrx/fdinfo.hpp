// What the kernel reports about a ring's interface queue in
// /proc/<pid>/fdinfo/<ring fd>: bytes completed in place (zero copy) and
// by copy fallback, and refill entries it rejected. These lines are this
// project's kernel's; an upstream kernel prints none of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zcrx {

// The kernel's counters of a ring: sums over its interface queues.
struct KernelIfqStats {
    std::uint64_t zero_copy_bytes = 0;
    std::uint64_t copy_bytes = 0;
    std::uint64_t bad_refill_entries = 0;
    // How many interface queues the ring holds (kernels that allow only one
    // do not say: 1).
    std::uint64_t interface_queues = 1;
};

// Parses fdinfo text; nullopt unless both byte counters are present.
[[nodiscard]] std::optional<KernelIfqStats> parse_ifq_fdinfo(std::string_view text);

// Reads and parses the fdinfo of this process's ring_fd; nullopt if it
// cannot be read or has no interface queue lines.
[[nodiscard]] std::optional<KernelIfqStats> read_ifq_stats(int ring_fd);

} // namespace zcrx
