// Producer (userspace) side of a zcrx refill ring.
//
// The ring is shared with the kernel: the kernel consumes entries and advances
// head; userspace writes entries at its private tail and publishes them with a
// single release store of the shared tail per batch. Head and tail are free
// running u32 counters; all index math wraps modulo 2^32, and the slot of
// counter value n is n & (entries - 1).
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>

#include "zcrx/uapi.hpp"

namespace zcrx {

struct RefillStats {
    std::uint64_t pushes = 0;    // entries written
    std::uint64_t publishes = 0; // shared tail stores
    std::uint64_t full = 0;      // push() calls rejected because the ring was full
};

// Non-owning view; the memory must outlive it. Single producer: one thread at
// a time may call push()/publish(). Not copyable: two copies would keep two
// private tails and overwrite each other's entries.
class RefillRing {
public:
    // entries must satisfy valid_entries(). The private tail starts at the
    // current shared tail (anything unpublished from an earlier view is lost).
    RefillRing(std::uint32_t *head, std::uint32_t *tail, uapi::zcrx_rqe *rqes,
               std::uint32_t entries) noexcept
        : head_(head), tail_(tail), rqes_(rqes), mask_(entries - 1),
          local_tail_(std::atomic_ref<std::uint32_t>(*tail).load(std::memory_order_relaxed)),
          published_tail_(local_tail_),
          cached_head_(std::atomic_ref<std::uint32_t>(*head).load(std::memory_order_acquire)) {
        assert(head && tail && rqes && valid_entries(entries));
    }

    RefillRing(const RefillRing &) = delete;
    RefillRing &operator=(const RefillRing &) = delete;
    RefillRing(RefillRing &&) noexcept = default;
    RefillRing &operator=(RefillRing &&) noexcept = default;
    ~RefillRing() = default;

    [[nodiscard]] static constexpr bool valid_entries(std::uint32_t entries) noexcept {
        return entries != 0 && (entries & (entries - 1)) == 0;
    }

    [[nodiscard]] std::uint32_t entries() const noexcept { return mask_ + 1; }

    // Free slots right now (reloads the kernel's head).
    [[nodiscard]] std::uint32_t space() noexcept {
        cached_head_ = load_head();
        return free_slots();
    }

    // Entries pushed but not yet visible to the kernel.
    [[nodiscard]] std::uint32_t pending() const noexcept { return local_tail_ - published_tail_; }

    // Entries published that the kernel has not read yet (reloads its head).
    [[nodiscard]] std::uint32_t unread() const noexcept { return published_tail_ - load_head(); }

    // Write one entry at the private tail without publishing it. Returns false
    // if the ring is full (the kernel has not consumed enough yet).
    [[nodiscard]] bool push(std::uint64_t off, std::uint32_t len) noexcept {
        if (free_slots() == 0 && space() == 0) {
            ++stats_.full;
            return false;
        }
        uapi::zcrx_rqe &rqe = rqes_[local_tail_ & mask_];
        rqe.off = off;
        rqe.len = len;
        rqe.pad = 0;
        ++local_tail_;
        ++stats_.pushes;
        return true;
    }

    // Make every pushed entry visible to the kernel with one release store of
    // the shared tail. Returns the number of entries published.
    std::uint32_t publish() noexcept {
        const std::uint32_t n = pending();
        if (n == 0)
            return 0;
        std::atomic_ref<std::uint32_t>(*tail_).store(local_tail_, std::memory_order_release);
        published_tail_ = local_tail_;
        ++stats_.publishes;
        return n;
    }

    [[nodiscard]] const RefillStats &stats() const noexcept { return stats_; }

private:
    [[nodiscard]] std::uint32_t load_head() const noexcept {
        return std::atomic_ref<std::uint32_t>(*head_).load(std::memory_order_acquire);
    }

    // Free slots as of the last head load. A head that ran ahead of our tail
    // (a broken peer) reads as a full ring rather than as a huge free count.
    [[nodiscard]] std::uint32_t free_slots() const noexcept {
        const std::uint32_t used = local_tail_ - cached_head_;
        return used > mask_ + 1 ? 0 : mask_ + 1 - used;
    }

    std::uint32_t *head_;
    std::uint32_t *tail_;
    uapi::zcrx_rqe *rqes_;
    std::uint32_t mask_;
    std::uint32_t local_tail_;     // next slot to write (private)
    std::uint32_t published_tail_; // last value stored to *tail_
    std::uint32_t cached_head_;    // last value loaded from *head_
    RefillStats stats_{};
};

} // namespace zcrx
