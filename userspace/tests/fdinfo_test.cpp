#include <catch2/catch.hpp>

#include "zcrx/fdinfo.hpp"

TEST_CASE("fdinfo: the interface queue lines are parsed", "[fdinfo]") {
    const auto st = zcrx::parse_ifq_fdinfo("SqMask:\t0x3f\n"
                                           "ZcrxRqBadEntries:\t7\n"
                                           "ZcrxZeroCopyBytes:\t1048576\n"
                                           "ZcrxCopyBytes:\t4096\n"
                                           "NAPI:\tdisabled\n");
    REQUIRE(st);
    CHECK(st->zero_copy_bytes == 1048576);
    CHECK(st->copy_bytes == 4096);
    CHECK(st->bad_refill_entries == 7);
    CHECK(st->interface_queues == 1);
}

TEST_CASE("fdinfo: the counters of several interface queues", "[fdinfo]") {
    const auto st = zcrx::parse_ifq_fdinfo("ZcrxIfqs:\t3\n"
                                           "ZcrxRqBadEntries:\t0\n"
                                           "ZcrxZeroCopyBytes:\t8192\n"
                                           "ZcrxCopyBytes:\t0\n");
    REQUIRE(st);
    CHECK(st->interface_queues == 3);
    CHECK(st->zero_copy_bytes == 8192);
}

TEST_CASE("fdinfo: a kernel without the lines gives nothing", "[fdinfo]") {
    CHECK_FALSE(zcrx::parse_ifq_fdinfo("SqMask:\t0x3f\nNAPI:\tdisabled\n"));
    CHECK_FALSE(zcrx::parse_ifq_fdinfo("ZcrxZeroCopyBytes:\t10\n"));
    CHECK_FALSE(zcrx::parse_ifq_fdinfo(""));
}

TEST_CASE("fdinfo: prefixes and garbage are not values", "[fdinfo]") {
    CHECK_FALSE(zcrx::parse_ifq_fdinfo("ZcrxZeroCopyBytesX:\t1\nZcrxCopyBytes:\t2\n"));
    CHECK_FALSE(zcrx::parse_ifq_fdinfo("ZcrxZeroCopyBytes:\tabc\nZcrxCopyBytes:\t2\n"));
    const auto st = zcrx::parse_ifq_fdinfo("ZcrxZeroCopyBytes: 5\nZcrxCopyBytes:\t0");
    REQUIRE(st);
    CHECK(st->zero_copy_bytes == 5);
    CHECK(st->copy_bytes == 0);
    CHECK(st->bad_refill_entries == 0);
}
