#include <catch2/catch.hpp>

#include <cstring>
#include <type_traits>

#include "zcrx/uapi.hpp"

namespace uapi = zcrx::uapi;

template <typename T>
constexpr bool abi_type = std::is_standard_layout_v<T> &&std::is_trivially_copyable_v<T>
    &&std::has_unique_object_representations_v<T>;

// Every struct is a plain ABI type: no padding, safe to memcpy to and from the kernel.
static_assert(abi_type<uapi::zcrx_rqe>);
static_assert(abi_type<uapi::zcrx_cqe>);
static_assert(abi_type<uapi::zcrx_offsets>);
static_assert(abi_type<uapi::zcrx_area_reg>);
static_assert(abi_type<uapi::zcrx_ifq_reg>);
static_assert(abi_type<uapi::region_desc>);

TEST_CASE("uapi constants match DESIGN section 3", "[uapi]") {
    CHECK(unsigned{uapi::op_recv_zc} == 58);
    CHECK(uapi::register_zcrx_ifq == 32);
    CHECK(uapi::zcrx_area_shift == 48);
    CHECK(uapi::zcrx_area_mask == 0xffff'0000'0000'0000ULL);
    CHECK(uapi::mem_region_type_user == 1);
    CHECK(uapi::sqe_zcrx_ifq_idx_offset == 44);
    CHECK(uapi::setup_required_flags == 0x3800);
    CHECK(uapi::recv_multishot == 2);
}

TEST_CASE("value-initialised registration structs are all zero", "[uapi]") {
    // The kernel rejects non-zero reserved fields; {} must be a valid start.
    const uapi::zcrx_ifq_reg reg{};
    const unsigned char zero[sizeof(reg)] = {};
    CHECK(std::memcmp(&reg, zero, sizeof(reg)) == 0);
}
