#include <catch2/catch.hpp>

#include <cstdint>

#include "zcrx/event.hpp"

namespace u = zcrx::uapi;

TEST_CASE("event types are bits of their number", "[event]") {
    CHECK(zcrx::event_bit(u::event_alloc_fail) == 1);
    CHECK(zcrx::event_bit(u::event_copy) == 2);
    CHECK(zcrx::event_bit(32) == 0);
    CHECK(zcrx::known_event_types == 3);
}

TEST_CASE("an event CQE is recognised by its user_data and decoded", "[event]") {
    constexpr std::uint64_t ud = zcrx::default_event_user_data;
    const auto both = zcrx::decode_event(ud, 3, ud);
    REQUIRE(both);
    CHECK(both->alloc_fail());
    CHECK(both->copy());
    CHECK(both->unknown() == 0);

    const auto copy = zcrx::decode_event(ud, 2, ud);
    REQUIRE(copy);
    CHECK(copy->copy());
    CHECK_FALSE(copy->alloc_fail());

    const auto ran_out = zcrx::decode_event(ud, 1, ud);
    REQUIRE(ran_out);
    CHECK(ran_out->alloc_fail());
    CHECK_FALSE(ran_out->copy());
}

TEST_CASE("other CQEs are no events", "[event]") {
    constexpr std::uint64_t ud = 77;
    CHECK_FALSE(zcrx::decode_event(76, 1, ud));   // another user_data
    CHECK_FALSE(zcrx::decode_event(ud, -22, ud)); // an error, not a bitmask
    CHECK_FALSE(zcrx::decode_event(0, 4096, ud)); // a data CQE
}

TEST_CASE("types a newer kernel fires are kept, apart from the known ones", "[event]") {
    const auto ev = zcrx::decode_event(5, 0x6, 5);
    REQUIRE(ev);
    CHECK(ev->copy());
    CHECK_FALSE(ev->alloc_fail());
    CHECK(ev->unknown() == 0x4);
}

static_assert(zcrx::decode_event(1, 2, 1)->copy());
static_assert(!zcrx::decode_event(1, 2, 2).has_value());
