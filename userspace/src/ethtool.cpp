#include "zcrx/ethtool.hpp"

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>

#include "ethtool_internal.hpp"

namespace zcrx::ethtool {

using detail::str;

// ---- features ----

std::string_view feature_name(Feature f) noexcept {
    switch (f) {
    case Feature::channels:
        return "channels (ethtool -l)";
    case Feature::rings:
        return "ring parameters (ethtool -g)";
    case Feature::tcp_data_split:
        return "header/data split (tcp-data-split)";
    case Feature::rss:
        return "an RSS indirection table (ethtool -x)";
    case Feature::ntuple:
        return "ntuple flow steering rules (ethtool -n)";
    }
    return "an ethtool feature";
}

std::string feature_advice(Feature f, std::string_view dev, int err) {
    const std::string d = str(dev);
    switch (err) {
    case EOPNOTSUPP: {
        std::string advice = d + " does not support " + str(feature_name(f));
        switch (f) {
        case Feature::channels:
            advice += ": it has no RX queues to set up for zero-copy receive (loopback and most "
                      "virtual devices have none)";
            break;
        case Feature::rings:
            advice += ", so header/data split cannot be configured on it";
            break;
        case Feature::tcp_data_split:
            advice += ", which zero-copy receive needs: the NIC must put TCP headers and payload "
                      "in separate buffers (bnxt, gve, mlx5, or netdevsim with the zcrx series)";
            break;
        case Feature::rss:
            advice += ": other flows cannot be kept off the zero-copy queue";
            break;
        case Feature::ntuple:
            advice += ": the zero-copy port cannot be steered to its queue; if the driver has "
                      "flow steering, turn it on with: ethtool -K " +
                      d + " ntuple on";
            break;
        }
        return advice;
    }
    case EPERM:
    case EACCES:
        return "changing NIC settings needs CAP_NET_ADMIN: run as root";
    case ENODEV:
        return "no network interface named " + d + " in this network namespace (ip link)";
    case ERANGE:
        return "a queue index is out of range for " + d + ": check its channels (ethtool -l " + d +
               ")";
    case EBUSY:
        return d + " is busy: an XDP program, AF_XDP socket or memory provider may hold the queue";
    default:
        return {};
    }
}

Error feature_error(Feature f, std::string_view dev, int err, std::string what,
                    std::string detail) {
    return Error{err, std::move(what), std::move(detail), feature_advice(f, dev, err)};
}

Error explain_rule_refusal(Error e, std::optional<bool> ntuple_on, std::string_view dev) {
    const std::string d = str(dev);
    if (ntuple_on.has_value() && !*ntuple_on && (e.err == EOPNOTSUPP || e.err == EPERM)) {
        const std::string answer = e.err == EPERM ? "EPERM" : "EOPNOTSUPP";
        return Error(EOPNOTSUPP, std::move(e.what),
                     "ntuple filters are off on " + d + " (the driver answered " + answer + ")",
                     "turn them on with: ethtool -K " + d +
                         " ntuple on (a driver may also turn them off by itself when it lacks "
                         "resources for the channel count: bnxt does)");
    }
    if (e.err == EPERM)
        e.advice = d +
                   " refused the rule: check that its flow steering is available and on "
                   "(ethtool -k " +
                   d + " | grep ntuple)";
    else if (e.err == EAGAIN)
        e.advice = d + " may be down: rules need it up (ip link set " + d + " up)";
    return e;
}

std::string_view to_string(Provider p) noexcept {
    switch (p) {
    case Provider::none:
        return "none";
    case Provider::dmabuf:
        return "dmabuf";
    case Provider::io_uring:
        return "io_uring";
    }
    return "none";
}

std::string_view to_string(TcpDataSplit v) noexcept {
    switch (v) {
    case TcpDataSplit::unknown:
        return "unknown";
    case TcpDataSplit::disabled:
        return "off";
    case TcpDataSplit::enabled:
        return "on";
    }
    return "unknown";
}

} // namespace zcrx::ethtool
