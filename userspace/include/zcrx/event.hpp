// zcrx events (Linux 7.2, ZCRX_FEATURE_EVENT): the kernel tells the ring
// that registered an ifq when buffers ran out (ZCRX_EVENT_ALLOC_FAIL) and
// when data was copied rather than received in place (ZCRX_EVENT_COPY).
//
// Each type asked for (IfqConfig::event_types) fires once: one CQE with the
// user_data the registration gave (IfqConfig::event_user_data) and, in res,
// the bits of every type that fired since the last such CQE. A type stays
// quiet until Ifq::arm_event() arms it again. Event CQEs come on the
// registering ring only, never on a ring that imported the ifq.
#pragma once

#include <cstdint>
#include <optional>

#include "zcrx/uapi.hpp"

namespace zcrx {

// The bit of an event type (uapi::event_alloc_fail, uapi::event_copy) in a
// type mask and in an event CQE's res.
[[nodiscard]] constexpr std::uint32_t event_bit(std::uint32_t type) noexcept {
    return type < 32 ? std::uint32_t{1} << type : 0;
}

// Every type this library knows.
inline constexpr std::uint32_t known_event_types =
    event_bit(uapi::event_alloc_fail) | event_bit(uapi::event_copy);

// The user_data the library gives event CQEs unless told otherwise: far
// from small indexes and from ~0 (tags that count down from it).
inline constexpr std::uint64_t default_event_user_data = 0x7a63'7278'6576'0000; // "zcrxev\0\0"

// One event CQE, decoded: the types that fired.
struct ZcrxEvent {
    std::uint32_t fired = 0; // event_bit() of each

    [[nodiscard]] constexpr bool has(std::uint32_t type) const noexcept {
        return (fired & event_bit(type)) != 0;
    }
    [[nodiscard]] constexpr bool alloc_fail() const noexcept { return has(uapi::event_alloc_fail); }
    [[nodiscard]] constexpr bool copy() const noexcept { return has(uapi::event_copy); }
    // Bits of types this library does not know (a newer kernel's).
    [[nodiscard]] constexpr std::uint32_t unknown() const noexcept {
        return fired & ~known_event_types;
    }
};

// Whether a CQE (its user_data and res) is the event CQE of an ifq whose
// events carry event_user_data, and if so what fired. The kernel posts the
// bitmask as res; a negative res with that user_data is no event of the
// kernel's (nullopt too).
[[nodiscard]] constexpr std::optional<ZcrxEvent>
decode_event(std::uint64_t cqe_user_data, std::int32_t res,
             std::uint64_t event_user_data) noexcept {
    if (cqe_user_data != event_user_data || res < 0)
        return std::nullopt;
    return ZcrxEvent{static_cast<std::uint32_t>(res)};
}

} // namespace zcrx
