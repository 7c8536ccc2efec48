#include "zcrx/buffer.hpp"

#include <algorithm>
#include <cassert>
#include <new>

#include "zcrx/area.hpp"

namespace zcrx {

void AreaTable::reserve(std::size_t ids) {
    slots_.reserve(ids);
}

bool AreaTable::add(std::uint16_t id, std::span<const std::byte> bytes) noexcept {
    if (bytes.empty() || id >= slots_.capacity() || (id < slots_.size() && slots_[id].base))
        return false;
    if (id >= slots_.size())
        slots_.resize(std::size_t{id} + 1); // within capacity: no allocation
    slots_[id] = Slot{bytes.data(), bytes.size()};
    ++count_;
    bytes_ += bytes.size();
    return true;
}

const std::byte *AreaTable::resolve(std::uint64_t off, std::uint32_t len) const noexcept {
    const AreaOffset at = decode_off(off);
    if (at.area_id >= slots_.size())
        return nullptr;
    const Slot &slot = slots_[at.area_id];
    if (!slot.base || !range_in_area(at.offset, len, slot.len))
        return nullptr;
    return slot.base + at.offset;
}

RefillQueue::RefillQueue(RefillRing ring, std::span<const std::byte> area, std::uint64_t area_token,
                         std::uint32_t batch, std::size_t overflow_reserve)
    : ring_(std::move(ring)), batch_(std::clamp<std::uint32_t>(batch, 1, ring_.entries())) {
    const std::uint16_t id = decode_off(area_token).area_id;
    areas_.reserve(std::size_t{id} + 1);
    (void)areas_.add(id, area);
    overflow_.reserve(overflow_reserve);
}

RefillQueue::Owner RefillQueue::create(RefillRing ring, std::span<const std::byte> area,
                                       std::uint64_t area_token, std::uint32_t batch,
                                       std::size_t overflow_reserve) {
    Owner owner(new RefillQueue(std::move(ring), area, area_token, batch, overflow_reserve));
    owner->memory_.reserve(2); // the refill region and the first area
    return owner;
}

void RefillQueue::retire(RefillQueue *queue) noexcept {
    queue->flush();
    queue->owned_ = false;
    collect(queue);
}

void RefillQueue::collect(RefillQueue *queue) noexcept {
    if (!queue->owned_ && queue->outstanding_ == 0 && queue->holders_ == 0)
        delete queue;
}

RefillQueue::~RefillQueue() {
    flush();
}

void RefillQueue::keep(Mapping memory) {
    memory_.push_back(std::move(memory));
}

void RefillQueue::reserve(std::size_t ids, std::size_t buffers) {
    areas_.reserve(ids);
    overflow_.reserve(overflow_.capacity() + buffers);
    memory_.reserve(memory_.size() + 1);
}

bool RefillQueue::add_area(std::span<const std::byte> area, std::uint64_t area_token) noexcept {
    return areas_.add(decode_off(area_token).area_id, area);
}

bool RefillQueue::add_area(Mapping &&area, std::uint64_t area_token) noexcept {
    if (memory_.size() == memory_.capacity() || !add_area(area.bytes(), area_token))
        return false;
    memory_.push_back(std::move(area)); // within capacity: does not throw
    return true;
}

BufferHandle RefillQueue::adopt(std::uint64_t off, std::uint32_t len) noexcept {
    const std::byte *data = len != 0 ? areas_.resolve(off, len) : nullptr;
    if (!data) {
        give_back(off, len);
        return {};
    }
    ++outstanding_;
    return BufferHandle(this, data, off, len);
}

void RefillQueue::release(std::uint64_t off, std::uint32_t len) noexcept {
    assert(outstanding_ > 0);
    --outstanding_;
    give_back(off, len);
    if (!owned_)
        collect(this);
}

void RefillQueue::give_back(std::uint64_t off, std::uint32_t len) noexcept {
    ++stats_.returned;
    // Deferred entries go first, so that nothing overtakes them for long.
    if (overflow_.empty() && ring_.push(off, len)) {
        if (ring_.pending() >= batch_)
            ring_.publish();
    } else {
        // Full: the kernel frees slots only for entries it can see.
        ring_.publish();
        try {
            overflow_.push_back(uapi::zcrx_rqe{off, len, 0});
            ++stats_.deferred;
        } catch (const std::bad_alloc &) {
            // The buffer stays with the kernel's user reference until the
            // ifq goes away: a leak of one buffer, not a corruption.
            ++stats_.lost;
        }
    }
    // Nobody flushes for a queue its owner let go: every return, through a
    // handle or refused by adopt(), is published at once.
    if (!owned_)
        flush();
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
