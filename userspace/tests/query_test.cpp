#include <catch2/catch.hpp>

#include <cerrno>

#include "zcrx/query.hpp"

namespace u = zcrx::uapi;

namespace {
u::query_hdr answered(std::int32_t result, std::uint32_t size) {
    u::query_hdr h{};
    h.result = result;
    h.size = size;
    return h;
}
} // namespace

TEST_CASE("a query the kernel answered is taken", "[query]") {
    const auto r = zcrx::query_answered(answered(0, sizeof(u::query_zcrx)), sizeof(u::query_zcrx),
                                        "zero-copy receive");
    REQUIRE(r.ok());
    CHECK(*r);
    // an older kernel's shorter answer is fine: the rest stays zero
    const auto older = zcrx::query_answered(answered(0, 8), sizeof(u::query_zcrx), "x");
    REQUIRE(older.ok());
    CHECK(*older);
}

TEST_CASE("a query the kernel does not know is no answer, not an error", "[query]") {
    const auto r = zcrx::query_answered(answered(-EOPNOTSUPP, 0), 40, "zero-copy receive");
    REQUIRE(r.ok());
    CHECK_FALSE(*r);
}

TEST_CASE("other query results are errors naming the query", "[query]") {
    const auto bad = zcrx::query_answered(answered(-EINVAL, 0), 40, "zero-copy receive");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().err == EINVAL);
    CHECK(bad.error().message().find("query zero-copy receive") != std::string::npos);

    const auto positive = zcrx::query_answered(answered(3, 0), 40, "opcodes");
    REQUIRE_FALSE(positive.ok());
    CHECK(positive.error().err == EBADMSG);

    const auto overflow = zcrx::query_answered(answered(0, 41), 40, "opcodes");
    REQUIRE_FALSE(overflow.ok());
    CHECK(overflow.error().err == EBADMSG);
}

TEST_CASE("a zcrx answer with ZCRX_REG_NODEV says device-less ifqs register", "[query][nodev]") {
    zcrx::Support s;
    s.zcrx = u::query_zcrx{};
    s.zcrx->register_flags = u::reg_import | u::reg_nodev;
    CHECK(zcrx::has_nodev(s));
}

TEST_CASE("a zcrx answer without ZCRX_REG_NODEV says they do not", "[query][nodev]") {
    zcrx::Support s;
    s.zcrx = u::query_zcrx{};
    s.zcrx->register_flags = u::reg_import;
    CHECK_FALSE(zcrx::has_nodev(s));
}

TEST_CASE("no zcrx answer says device-less ifqs do not register", "[query][nodev]") {
    CHECK_FALSE(zcrx::has_nodev(zcrx::Support{}));
}

TEST_CASE("a zcrx answer counting four control operations has ZCRX_CTRL_ADD_AREA",
          "[query][areas]") {
    zcrx::Support s;
    s.zcrx = u::query_zcrx{};
    s.zcrx->nr_ctrl_opcodes = 4;
    CHECK(zcrx::has_add_area(s));
}

TEST_CASE("a zcrx answer counting three control operations has no ZCRX_CTRL_ADD_AREA",
          "[query][areas]") {
    zcrx::Support s;
    s.zcrx = u::query_zcrx{};
    s.zcrx->nr_ctrl_opcodes = 3;
    CHECK_FALSE(zcrx::has_add_area(s));
    CHECK_FALSE(zcrx::has_add_area(zcrx::Support{}));
}

TEST_CASE("ZCRX_FEATURE_EVENT in the zcrx answer says events are there", "[query][events]") {
    zcrx::Support s;
    s.zcrx = u::query_zcrx{};
    s.zcrx->features = u::zcrx_feature_rx_page_size;
    CHECK_FALSE(zcrx::has_events(s));
    s.zcrx->features |= u::zcrx_feature_event;
    CHECK(zcrx::has_events(s));
    CHECK_FALSE(zcrx::has_events(zcrx::Support{}));
}
