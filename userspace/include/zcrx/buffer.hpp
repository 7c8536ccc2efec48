// Received buffers and their way back to the kernel.
//
// Every RECV_ZC data completion lends the application a slice of the area.
// A BufferHandle is that loan: a read-only view of the bytes that gives the
// slice back (writes one refill-ring entry) when it is destroyed or reset().
// Handles are moved, never copied, so each completion is returned exactly
// once. The RefillQueue batches the returns: entries are written at once,
// but the shared tail is published with one release store per `batch`
// entries, or when flush() is called.
//
// An ifq may have several areas (ZCRX_CTRL_ADD_AREA, Linux 7.3): the top
// bits of a completion's offset name the area (its id), and the queue
// resolves them through its AreaTable to where that area is mapped.
//
// Threading: a RefillQueue and all of its handles belong to one thread.
//
// Lifetime: a queue is made by RefillQueue::create(), whose owner (an Ifq)
// may let it go at any time. Every handle, and every holder of a
// RefillQueue::Ref (a Receive, a Ring that flushes it), keeps the queue
// alive, and with it the memory it keeps (keep(), add_area()): the queue
// is destroyed when its owner and the last of those are gone. A handle
// that outlives its Ifq, or its Ring, still reads mapped memory and gives
// its buffer back into a mapped ring, which the kernel reads while any
// ring holds the ifq, and ignores once none does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "zcrx/mapping.hpp"
#include "zcrx/refill_ring.hpp"
#include "zcrx/uapi.hpp"

namespace zcrx {

class RefillQueue;

// The areas of one ifq by area id: where each one is mapped and how long it
// is. The memory is not owned, and must stay mapped while the table (and any
// handle pointing into it) lives. Lookups do not allocate; room for ids is
// made by reserve(), at setup.
class AreaTable {
public:
    AreaTable() noexcept = default;

    // Make room for area ids below ids, so that add() of such an id does
    // not allocate. Throws std::bad_alloc (setup only).
    void reserve(std::size_t ids);

    // Known from now on: the area with id, mapped at bytes. False if the id
    // is taken, bytes is empty, or no room was reserved for it.
    [[nodiscard]] bool add(std::uint16_t id, std::span<const std::byte> bytes) noexcept;

    // Where the chunk of a completion (off as zcrx_cqe::off, len bytes)
    // lies: nullptr unless its area is known and holds all of it.
    [[nodiscard]] const std::byte *resolve(std::uint64_t off, std::uint32_t len) const noexcept;

    // The area with id; empty if none.
    [[nodiscard]] std::span<const std::byte> area(std::uint16_t id) const noexcept {
        return id < slots_.size() ? std::span<const std::byte>(slots_[id].base, slots_[id].len)
                                  : std::span<const std::byte>();
    }
    // How many areas are known.
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    // Their bytes in all.
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

private:
    struct Slot {
        const std::byte *base = nullptr; // nullptr: no area with this id
        std::uint64_t len = 0;
    };
    std::vector<Slot> slots_; // by area id
    std::size_t count_ = 0;
    std::uint64_t bytes_ = 0;
};

class BufferHandle {
public:
    BufferHandle() noexcept = default;
    BufferHandle(const BufferHandle &) = delete;
    BufferHandle &operator=(const BufferHandle &) = delete;
    BufferHandle(BufferHandle &&other) noexcept
        : queue_(std::exchange(other.queue_, nullptr)), data_(other.data_), off_(other.off_),
          len_(other.len_) {}
    BufferHandle &operator=(BufferHandle &&other) noexcept {
        if (this != &other) {
            reset();
            queue_ = std::exchange(other.queue_, nullptr);
            data_ = other.data_;
            off_ = other.off_;
            len_ = other.len_;
        }
        return *this;
    }
    ~BufferHandle() { reset(); }

    // The received bytes; empty once returned. Never write through them:
    // the memory is shared with the NIC and the kernel.
    [[nodiscard]] std::span<const std::byte> data() const noexcept {
        return queue_ ? std::span<const std::byte>(data_, len_) : std::span<const std::byte>();
    }
    [[nodiscard]] std::size_t size() const noexcept { return queue_ ? len_ : 0; }
    // The completion's offset word (area id << 48 | byte offset).
    [[nodiscard]] std::uint64_t off() const noexcept { return off_; }
    // Whether this handle still holds a buffer.
    explicit operator bool() const noexcept { return queue_ != nullptr; }

    // Give the buffer back now (no-op if already returned).
    void reset() noexcept;

private:
    friend class RefillQueue;
    BufferHandle(RefillQueue *queue, const std::byte *data, std::uint64_t off,
                 std::uint32_t len) noexcept
        : queue_(queue), data_(data), off_(off), len_(len) {}

    RefillQueue *queue_ = nullptr;
    const std::byte *data_ = nullptr;
    std::uint64_t off_ = 0;
    std::uint32_t len_ = 0;
};

struct RefillQueueStats {
    std::uint64_t returned = 0; // buffers given back
    std::uint64_t batches = 0;  // tail publications: one release store each
    std::uint64_t deferred = 0; // returns that found the ring full and waited in the overflow list
    std::uint64_t lost = 0;     // returns dropped because the overflow list could not grow
};

class RefillQueue {
public:
    // The owner of a queue, made by create() alone. Letting go of it
    // (destruction, reset()) publishes what is pending and destroys the
    // queue now or, if handles or Refs are left, when the last of them goes.
    // Move-only. The queue's destructor is private: a queue lives neither
    // on the stack nor in a member, and only its owner lets it go.
    class Owner {
    public:
        Owner() noexcept = default;
        Owner(const Owner &) = delete;
        Owner &operator=(const Owner &) = delete;
        Owner(Owner &&other) noexcept : queue_(std::exchange(other.queue_, nullptr)) {}
        Owner &operator=(Owner &&other) noexcept {
            if (this != &other) {
                reset();
                queue_ = std::exchange(other.queue_, nullptr);
            }
            return *this;
        }
        ~Owner() { reset(); }

        [[nodiscard]] RefillQueue *get() const noexcept { return queue_; }
        RefillQueue &operator*() const noexcept { return *queue_; }
        RefillQueue *operator->() const noexcept { return queue_; }
        explicit operator bool() const noexcept { return queue_ != nullptr; }
        // Let go of the queue now.
        void reset() noexcept;

    private:
        friend class RefillQueue;
        explicit Owner(RefillQueue *queue) noexcept : queue_(queue) {}

        RefillQueue *queue_ = nullptr;
    };

    // A counted reference that keeps the queue alive after its owner let
    // it go. Move-only, like the handles; one thread, like the queue.
    class Ref {
    public:
        Ref() noexcept = default;
        explicit Ref(RefillQueue &queue) noexcept : queue_(&queue) { ++queue.holders_; }
        Ref(const Ref &) = delete;
        Ref &operator=(const Ref &) = delete;
        Ref(Ref &&other) noexcept : queue_(std::exchange(other.queue_, nullptr)) {}
        Ref &operator=(Ref &&other) noexcept {
            if (this != &other) {
                reset();
                queue_ = std::exchange(other.queue_, nullptr);
            }
            return *this;
        }
        ~Ref() { reset(); }

        [[nodiscard]] RefillQueue *get() const noexcept { return queue_; }
        RefillQueue &operator*() const noexcept { return *queue_; }
        RefillQueue *operator->() const noexcept { return queue_; }
        explicit operator bool() const noexcept { return queue_ != nullptr; }
        // Let go of the queue now.
        void reset() noexcept;

    private:
        RefillQueue *queue_ = nullptr;
    };

    // ring: the refill ring view; area: the ifq's first area; area_token:
    // the rq_area_token registration returned; batch: entries per tail
    // publication (clamped to 1..ring entries); overflow_reserve: slots
    // allocated now for returns that find the ring full (the kernel consumes
    // the ring only when its page pool needs buffers), so that the return path
    // does not allocate. The memory of ring and area must outlive the queue:
    // hand it to keep() unless it lives longer anyway. Throws std::bad_alloc
    // (setup only).
    [[nodiscard]] static Owner create(RefillRing ring, std::span<const std::byte> area,
                                      std::uint64_t area_token, std::uint32_t batch,
                                      std::size_t overflow_reserve);

    // Handles point here: neither copyable nor movable.
    RefillQueue(const RefillQueue &) = delete;
    RefillQueue &operator=(const RefillQueue &) = delete;

    // Keep memory mapped for as long as the queue lives: the refill ring's
    // and the first area's. The first two do not allocate (create() made
    // room for them); more may throw std::bad_alloc (setup only).
    void keep(Mapping memory);

    // Before an area is added: room for areas of ids below ids, for
    // buffers more returns that may find the ring full, and for keeping one
    // more mapping. Throws std::bad_alloc (setup only); adds nothing.
    void reserve(std::size_t ids, std::size_t buffers);
    // Take buffers of a further area of the ifq from now on: area is its
    // mapping, area_token the token the kernel returned for it. False if
    // its id is known already or reserve() made no room for it. The
    // overload taking a Mapping keeps it (when it returns true).
    [[nodiscard]] bool add_area(std::span<const std::byte> area, std::uint64_t area_token) noexcept;
    [[nodiscard]] bool add_area(Mapping &&area, std::uint64_t area_token) noexcept;
    // The ifq's areas, as this queue resolves completions.
    [[nodiscard]] const AreaTable &areas() const noexcept { return areas_; }

    // Wrap the buffer of one data completion: off as the CQE's zcrx_cqe::off,
    // len as its res. The handle is the only way the buffer goes back: drop
    // it (or reset() it) when done; a completion nobody wants is adopted and
    // dropped at once. A chunk that does not lie inside the area its offset
    // names, or names an area the queue does not know (a kernel bug), is
    // given back at once and an empty handle is returned.
    [[nodiscard]] BufferHandle adopt(std::uint64_t off, std::uint32_t len) noexcept;

    // Publish every entry written so far, after moving deferred returns into
    // the ring as far as it has room. Returns the number of entries published.
    // Unpublished entries are invisible to the kernel, which may be waiting
    // for them: Ring::submit_and_wait() calls this for the queues of its
    // ifqs before it blocks.
    std::uint32_t flush() noexcept;

    [[nodiscard]] std::uint32_t batch() const noexcept { return batch_; }
    // Handles alive right now.
    [[nodiscard]] std::size_t outstanding() const noexcept { return outstanding_; }
    // Whether the owner still has the queue (false: it lives on for its
    // handles and Refs only).
    [[nodiscard]] bool owned() const noexcept { return owned_; }
    // Returns the kernel cannot see yet (written but unpublished, or deferred).
    [[nodiscard]] std::size_t unpublished() const noexcept {
        return ring_.pending() + overflow_.size();
    }
    // Returns published that the kernel has not read yet.
    [[nodiscard]] std::uint32_t unread() const noexcept { return ring_.unread(); }
    [[nodiscard]] RefillQueueStats stats() const noexcept {
        RefillQueueStats s = stats_;
        s.batches = ring_.stats().publishes;
        return s;
    }

private:
    friend class BufferHandle;
    RefillQueue(RefillRing ring, std::span<const std::byte> area, std::uint64_t area_token,
                std::uint32_t batch, std::size_t overflow_reserve);
    // Publishes what is still pending.
    ~RefillQueue();

    void release(std::uint64_t off, std::uint32_t len) noexcept;
    void give_back(std::uint64_t off, std::uint32_t len) noexcept;
    // The owner lets go: publishes what is pending, then collect().
    static void retire(RefillQueue *queue) noexcept;
    // Destroys the queue if nothing holds it any more.
    static void collect(RefillQueue *queue) noexcept;

    RefillRing ring_;
    AreaTable areas_;
    std::vector<Mapping> memory_; // kept mapped: the ring and areas may lie in it
    std::uint32_t batch_;
    std::size_t outstanding_ = 0; // handles
    std::size_t holders_ = 0;     // Refs
    bool owned_ = true;
    std::vector<uapi::zcrx_rqe> overflow_; // oldest first
    RefillQueueStats stats_{};
};

// A consumer's backlog: the newest `capacity` buffers received are kept, in
// arrival order, and each one pushed beyond that displaces the oldest, which
// the caller consumes and lets go. An application that finishes with its
// buffers late looks like this to the kernel; a tool can use one to play such
// an application and starve the kernel of buffers on purpose. Each entry has
// a tag saying whose it is (a connection, say), so that entries of several
// streams can share one backlog and still be consumed in stream order.
//
// Memory is allocated by the constructor only (std::bad_alloc): push() and
// pop() do not allocate. Held buffers go back when the backlog is destroyed.
// One thread, like its handles.
class BufferBacklog {
public:
    struct Entry {
        std::uint64_t tag = 0;
        BufferHandle buffer;
    };

    explicit BufferBacklog(std::size_t capacity) : slots_(capacity) {}

    // Keep e. Returns the entry that must go now: the oldest if the backlog
    // was full, e itself if the capacity is 0, else an entry without a buffer.
    [[nodiscard]] Entry push(Entry e) noexcept;
    // Take the oldest entry out (one without a buffer if there is none).
    [[nodiscard]] Entry pop() noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

private:
    std::vector<Entry> slots_; // a circular buffer, oldest at head_
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

inline void BufferHandle::reset() noexcept {
    if (RefillQueue *q = std::exchange(queue_, nullptr))
        q->release(off_, len_);
}

inline void RefillQueue::Owner::reset() noexcept {
    if (RefillQueue *q = std::exchange(queue_, nullptr))
        RefillQueue::retire(q);
}

inline void RefillQueue::Ref::reset() noexcept {
    if (RefillQueue *q = std::exchange(queue_, nullptr)) {
        --q->holders_;
        RefillQueue::collect(q);
    }
}

} // namespace zcrx
