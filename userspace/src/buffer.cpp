#include "zcrx/buffer.hpp"

#include <algorithm>
#include <cassert>
#include <new>

#include "zcrx/area.hpp"

namespace zcrx {

RefillQueue::RefillQueue(RefillRing ring, std::span<const std::byte> area, std::uint64_t area_token,
                         std::uint32_t batch, std::size_t overflow_reserve)
    : ring_(std::move(ring)), area_(area.data()), area_len_(area.size()),
      area_id_(decode_off(area_token).area_id),
      batch_(std::clamp<std::uint32_t>(batch, 1, ring_.entries())) {
    overflow_.reserve(overflow_reserve);
}

RefillQueue::~RefillQueue() {
    // A live handle would return into freed memory later.
    assert(outstanding_ == 0 && "BufferHandles must not outlive their RefillQueue");
    flush();
}

BufferHandle RefillQueue::adopt(std::uint64_t off, std::uint32_t len) noexcept {
    if (len == 0 || !cqe_chunk_valid(off, len, area_id_, area_len_)) {
        give_back(off, len);
        return {};
    }
    ++outstanding_;
    return BufferHandle(this, area_ + decode_off(off).offset, off, len);
}

void RefillQueue::release(std::uint64_t off, std::uint32_t len) noexcept {
    assert(outstanding_ > 0);
    --outstanding_;
    give_back(off, len);
}

void RefillQueue::give_back(std::uint64_t off, std::uint32_t len) noexcept {
    ++stats_.returned;
    // Deferred entries go first, so that nothing overtakes them for long.
    if (overflow_.empty() && ring_.push(off, len)) {
        if (ring_.pending() >= batch_)
            ring_.publish();
        return;
    }
    // Full: the kernel frees slots only for entries it can see.
    ring_.publish();
    try {
        overflow_.push_back(uapi::zcrx_rqe{off, len, 0});
        ++stats_.deferred;
    } catch (const std::bad_alloc &) {
        // The buffer stays with the kernel's user reference until the ifq
        // goes away: a leak of one buffer, not a corruption.
        ++stats_.lost;
    }
}

std::uint32_t RefillQueue::flush() noexcept {
    std::size_t moved = 0;
    while (moved < overflow_.size() && ring_.push(overflow_[moved].off, overflow_[moved].len))
        ++moved;
    overflow_.erase(overflow_.begin(), overflow_.begin() + static_cast<std::ptrdiff_t>(moved));
    return ring_.publish();
}

BufferBacklog::Entry BufferBacklog::push(Entry e) noexcept {
    const std::size_t cap = slots_.size();
    if (cap == 0)
        return e;
    if (size_ < cap) {
        slots_[(head_ + size_) % cap] = std::move(e);
        ++size_;
        return {};
    }
    Entry oldest = std::move(slots_[head_]);
    slots_[head_] = std::move(e);
    head_ = (head_ + 1) % cap;
    return oldest;
}

BufferBacklog::Entry BufferBacklog::pop() noexcept {
    if (size_ == 0)
        return {};
    Entry oldest = std::move(slots_[head_]);
    head_ = (head_ + 1) % slots_.size();
    --size_;
    return oldest;
}

} // namespace zcrx
