#include "zcrx/error.hpp"

#include <cerrno>
#include <climits>
#include <system_error>

namespace zcrx {

namespace {
// Accept -errno as returned by io_uring calls; INT_MIN is no errno either way.
int positive(int err) noexcept {
    return err < 0 && err != INT_MIN ? -err : err;
}
} // namespace

std::string_view errno_hint(int err) noexcept {
    switch (positive(err)) {
    case EOPNOTSUPP:
        return "the device cannot host a page-pool memory provider: check that the driver "
               "supports it and that header/data split is on (ethtool -G <if> tcp-data-split on)";
    case EEXIST:
        return "the RX queue already has a memory provider or an XDP program attached: "
               "pick another queue or detach it";
    case EPERM:
        return "registering a zcrx interface queue needs CAP_NET_ADMIN: run as root or grant "
               "the capability";
    case EINVAL:
        return "create the ring with IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER | "
               "IORING_SETUP_CQE32, zero all reserved fields, use a valid rq_entries and a "
               "page-aligned area; also check that header/data split is on";
    case ENOMEM:
        return "out of memory or over the locked-memory limit: raise RLIMIT_MEMLOCK "
               "(ulimit -l) or grant CAP_IPC_LOCK";
    case ENODEV:
        return "unknown network interface: check the interface index/name (ip link)";
    case ERANGE:
        return "RX queue index out of range: check the queue count (ethtool -l <if>)";
    case EBUSY:
        return "the RX queue is in use by an AF_XDP socket (pick another queue), or the ring "
               "already holds 2048 interface queues";
    case ENODATA:
        return "the driver's page pool ignored the memory provider: the driver does not "
               "support zero-copy receive on this queue";
    case EFAULT:
        return "a user pointer (area, region or registration struct) is not readable or "
               "writable";
    case ENOBUFS:
        return "no free buffer in the area for the copy path: give buffers back sooner or "
               "use a larger area, then re-arm the receive";
    case ENOSPC:
        return "the completion queue was full: reap completions sooner or raise cq_entries, "
               "then re-arm the receive";
    default:
        return {};
    }
}

std::string_view errno_name(int err) noexcept {
    switch (positive(err)) {
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case EEXIST:
        return "EEXIST";
    case EPERM:
        return "EPERM";
    case EINVAL:
        return "EINVAL";
    case ENOMEM:
        return "ENOMEM";
    case ENODEV:
        return "ENODEV";
    case ERANGE:
        return "ERANGE";
    case EBUSY:
        return "EBUSY";
    case ENODATA:
        return "ENODATA";
    case EFAULT:
        return "EFAULT";
    case ENOBUFS:
        return "ENOBUFS";
    case ENOSPC:
        return "ENOSPC";
    default:
        return {};
    }
}

std::string Error::message() const {
    std::string msg = what.empty() ? std::string("zcrx") : what;
    if (err == 0) {
        if (!detail.empty()) {
            msg += ": ";
            msg += detail;
        }
        return msg;
    }
    msg += ": ";
    msg += std::generic_category().message(err);
    const std::string_view name = errno_name(err);
    msg += " (";
    if (name.empty()) {
        msg += "errno ";
        msg += std::to_string(err);
    } else {
        msg += name;
    }
    msg += ')';
    if (!detail.empty()) {
        msg += ": ";
        msg += detail;
    }
    if (const std::string_view h = hint(); !h.empty()) {
        msg += "; ";
        msg += h;
    }
    return msg;
}

} // namespace zcrx
