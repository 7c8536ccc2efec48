// What the running kernel's io_uring supports, from IORING_REGISTER_QUERY
// (upstream 6.18 and 6.19, and the zcrx series): no ring, no NIC queue and
// no trial registration needed.
#pragma once

#include <optional>

#include "zcrx/result.hpp"
#include "zcrx/uapi.hpp"

namespace zcrx {

struct Support {
    // Each is nullopt where the kernel does not know the query. A kernel
    // built without zero-copy receive gives no zcrx answer.
    std::optional<uapi::query_opcode> opcodes;
    std::optional<uapi::query_zcrx> zcrx;
    std::optional<uapi::query_scq> scq;
};

// Asks the kernel for all three answers in one call. A kernel without the
// query (it answers fd -1 with EBADF or EINVAL) is an error whose advice
// says so; callers that only want to know may treat it as "nothing known".
[[nodiscard]] Result<Support> query();

// Whether the answers say registration takes ZCRX_REG_NODEV (a device-less
// ifq, Linux 7.1): false without a zcrx answer.
[[nodiscard]] bool has_nodev(const Support &support) noexcept;

// Whether the running kernel takes ZCRX_REG_NODEV, by its query: false
// where it cannot answer the query (no kernel without it has the mode).
[[nodiscard]] bool kernel_has_nodev();

// Whether the answers say ZCRX_CTRL_ADD_AREA (areas added to a live ifq,
// Linux 7.3) is there: the zcrx answer counts at least four control
// operations. False without a zcrx answer.
[[nodiscard]] bool has_add_area(const Support &support) noexcept;

// Whether the running kernel adds areas to a live ifq, by its query: false
// where it cannot answer the query.
[[nodiscard]] bool kernel_has_add_area();

// Whether the answers say registration takes an event descriptor and
// ZCRX_CTRL_ARM_EVENT works (ZCRX_FEATURE_EVENT, Linux 7.2): events and
// copy statistics. False without a zcrx answer.
[[nodiscard]] bool has_events(const Support &support) noexcept;

// Whether the running kernel has zcrx events and statistics, by its query.
[[nodiscard]] bool kernel_has_events();

// How the kernel answered one query of a chain: true if it did, false if it
// does not know the query (-EOPNOTSUPP), an error for any other result or an
// answer larger than the buffer. name says which query, for the message.
[[nodiscard]] Result<bool> query_answered(const uapi::query_hdr &hdr, std::size_t buffer_size,
                                          const char *name);

} // namespace zcrx
