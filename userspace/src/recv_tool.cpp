#include "zcrx/recv_tool.hpp"

#include <string>

#include "zcrx/area.hpp"

namespace zcrx::recv_tool {

std::string_view copy_cause_name(CopyCause cause) noexcept {
    switch (cause) {
    case CopyCause::none:
        return "none";
    case CopyCause::device_less:
        return "nodev";
    case CopyCause::not_in_place:
        return "not_in_place";
    case CopyCause::partial:
        return "partial";
    case CopyCause::unknown:
        break;
    }
    return "unknown";
}

std::string_view copy_cause_text(CopyCause cause) noexcept {
    switch (cause) {
    case CopyCause::none:
        return "nothing was copied";
    case CopyCause::device_less:
        return "no device (--nodev): every byte is copied, by design";
    case CopyCause::not_in_place:
        return "nothing reached the queue in place: the flow is not steered to it, or the "
               "NIC does not split headers; check with zcrx-nic show DEV (zcrx-nic apply "
               "sets both up)";
    case CopyCause::partial:
        return "part of the data: segments that landed on other queues, or that the NIC "
               "kept whole in the packet's linear part";
    case CopyCause::unknown:
        break;
    }
    return "the kernel does not say how much it received in place";
}

GrowSettings parse_grow(const cli::Args &args, std::uint64_t first_area_size, std::uint64_t page,
                        std::uint64_t buffer_size) {
    GrowSettings g;
    g.enabled = args.has("grow");
    if (!g.enabled) {
        if (args.has("grow-max"))
            throw cli::UsageError("--grow-max: only with --grow");
        return g;
    }
    const std::optional<std::string_view> size = args.value("grow");
    const std::uint64_t bytes =
        size ? cli::parse_size(*size, "--grow", 1, max_area_len) : first_area_size;
    g.area_size = (bytes + page - 1) & ~(page - 1);
    if (buffer_size == 0 || g.area_size % buffer_size != 0)
        throw cli::UsageError("--grow: " + cli::format_size(g.area_size) +
                              " is not a multiple of the " + cli::format_size(buffer_size) +
                              "-byte buffers: every area of a queue is cut into buffers of one "
                              "size");
    g.max = args.count_or("grow-max", default_grow_max, 1, 1023);
    return g;
}

} // namespace zcrx::recv_tool
