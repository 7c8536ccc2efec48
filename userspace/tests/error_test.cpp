#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>

#include "zcrx/error.hpp"

namespace {
bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}
} // namespace

TEST_CASE("every documented errno maps to an actionable hint", "[error]") {
    struct Case {
        int err;
        std::string_view name;
        std::string_view must_mention;
    };
    const Case cases[] = {
        {EOPNOTSUPP, "EOPNOTSUPP", "memory provider"},
        {EOPNOTSUPP, "EOPNOTSUPP", "header/data split"},
        {EEXIST, "EEXIST", "XDP"},
        {EEXIST, "EEXIST", "memory provider"},
        {EPERM, "EPERM", "CAP_NET_ADMIN"},
        {EINVAL, "EINVAL", "IORING_SETUP_DEFER_TASKRUN"},
        {EINVAL, "EINVAL", "IORING_SETUP_SINGLE_ISSUER"},
        {EINVAL, "EINVAL", "IORING_SETUP_CQE32"},
        {EINVAL, "EINVAL", "reserved"},
        {ENOMEM, "ENOMEM", "RLIMIT_MEMLOCK"},
        {ENODEV, "ENODEV", "interface"},
        {ERANGE, "ERANGE", "out of range"},
        {EBUSY, "EBUSY", "AF_XDP"},
        {ENODATA, "ENODATA", "ignored the memory provider"},
        {EFAULT, "EFAULT", "pointer"},
        {ENOBUFS, "ENOBUFS", "area"},
        {ENOBUFS, "ENOBUFS", "re-arm"},
        {ENOSPC, "ENOSPC", "completion queue"},
        {ENOSPC, "ENOSPC", "re-arm"},
    };
    for (const Case &c : cases) {
        INFO("errno " << c.err << " must mention " << c.must_mention);
        CHECK(zcrx::errno_name(c.err) == c.name);
        CHECK(contains(zcrx::Error{c.err, "x"}.hint(), c.must_mention));
    }
}

TEST_CASE("-errno return values map like errno values", "[error]") {
    int mismatches = 0;
    for (int err = 1; err < 200; ++err)
        mismatches += zcrx::errno_hint(-err) != zcrx::errno_hint(err) ||
                      zcrx::errno_name(-err) != zcrx::errno_name(err);
    CHECK(mismatches == 0);
}

TEST_CASE("errnos without zcrx meaning have no hint", "[error]") {
    CHECK(zcrx::errno_hint(0).empty());
    CHECK(zcrx::errno_hint(EAGAIN).empty());
    CHECK(zcrx::errno_hint(EINTR).empty());
    CHECK(zcrx::errno_name(EAGAIN).empty());
}

TEST_CASE("from_ret turns -errno returns into errors", "[error]") {
    const zcrx::Error e = zcrx::Error::from_ret(-EPERM, "register ifq");
    CHECK(e.err == EPERM);
    CHECK(e.what == "register ifq");
    CHECK(zcrx::Error::from_ret(ENODEV, "y").err == ENODEV);
}

TEST_CASE("message combines what, strerror, errno name and hint", "[error]") {
    const zcrx::Error e{EOPNOTSUPP, "register zcrx ifq on eth0 queue 3"};
    const std::string msg = e.message();
    CHECK(msg.rfind("register zcrx ifq on eth0 queue 3: ", 0) == 0);
    CHECK(contains(msg, std::generic_category().message(EOPNOTSUPP)));
    CHECK(contains(msg, "(EOPNOTSUPP)"));
    CHECK(contains(msg, e.hint()));

    const std::string unknown = zcrx::Error{EAGAIN, "poll"}.message();
    CHECK(unknown == "poll: " + std::generic_category().message(EAGAIN) + " (errno " +
                         std::to_string(EAGAIN) + ")");

    CHECK(zcrx::Error{0, "nothing"}.message() == "nothing");
    CHECK(contains(zcrx::Error{EPERM, ""}.message(), "zcrx: "));
}

TEST_CASE("advice replaces the zcrx hint; empty advice means no hint", "[error]") {
    const zcrx::Error own(EOPNOTSUPP, "set tcp-data-split of eth0 to on", {},
                          "eth0 cannot split headers");
    CHECK(own.hint() == "eth0 cannot split headers");
    CHECK(own.message() ==
          "set tcp-data-split of eth0 to on: " + std::generic_category().message(EOPNOTSUPP) +
              " (EOPNOTSUPP); eth0 cannot split headers");

    const zcrx::Error none(EINVAL, "connect", {}, "");
    CHECK(none.hint().empty());
    CHECK_FALSE(contains(none.message(), "IORING_SETUP"));

    CHECK(zcrx::Error(EINVAL, "register").hint() == zcrx::errno_hint(EINVAL));
}

TEST_CASE("the kernel's detail goes between errno and hint", "[error]") {
    const zcrx::Error e(EOPNOTSUPP, "set rings", "setting TCP data split is not supported",
                        "use another NIC");
    CHECK(e.message() == "set rings: " + std::generic_category().message(EOPNOTSUPP) +
                             " (EOPNOTSUPP): setting TCP data split is not supported; "
                             "use another NIC");
    CHECK(zcrx::Error(0, "resolve nohost", "Name or service not known").message() ==
          "resolve nohost: Name or service not known");
}
