// zcrx-fuzz refill: hostile refill entries under a verified stream.
//
// The fuzzer receives zcrx-send's stream with the library (Receive,
// BufferHandle), but the handles give their buffers back into a shadow
// refill ring in our own memory. Each buffer is verified when its CQE
// arrives, before anything hostile is written. The forwarder then moves
// the legitimate entries from the shadow ring into the kernel's ring and
// writes hostile ones around them:
//
//  - always rejected, whatever the kernel's state: a non-zero __pad, the
//    token of another area, a buffer past the end of the area;
//  - accepted: a legitimate entry with a random len and a random offset
//    inside its buffer (the kernel goes by the buffer, not by the bytes);
//  - buffers the kernel has never handed out: one batch written before the
//    stream begins, for buffers at the bottom of the free list, which the
//    kernel hands out last (at registration the queue takes at most its
//    ring and one cache refill from the top; the loopback stream, whose
//    copies take buffers from the free list, starts once it is read);
//  - tail games: the whole ring filled with rejected entries and the tail
//    moved a lap and an odd amount ahead, or behind the head (the kernel
//    then reads the ring as full until the tail is put back).
//
// Runs of thousands of rejected entries keep the loopback stream's copies
// reading the ring in big batches; every 50,000 of them the forwarder waits
// for the ring to drain and plays a tail game, so that each kind is tried
// however fast the stream is.
//
// Then, with --chaos N, a chaos phase: N entries whose answer depends on
// timing, and which a real application would only write by mistake:
//
//  - a second entry right behind a return, or for a buffer returned a
//    little earlier;
//  - an entry for a buffer whose completion we have but have not read yet,
//    and the real return when we have;
//  - any buffer of the area, whether the kernel lent it out or not.
//
// The kernel cannot tell such an entry from a return of the buffer's next
// loan: with two CPUs, the copy path or the queue's NAPI on the other CPU
// can hand a buffer out again between two reads of one batch, and the
// entry then takes the new loan back. So in this phase only the
// application's data may suffer: the data is no longer checked (the chunks
// that were not the pattern when read are counted, for information), but
// the kernel must reject no more than it was given, the streams must
// deliver every byte they were sent and end cleanly, and everything must
// come back at close as before (pins, memlock charge, page pools, a clean
// kernel log).
//
// Every rejected entry of the exact phase is counted, so the kernel's
// ZcrxRqBadEntries must equal our count exactly when it settles; and every
// byte of the stream up to the chaos phase must verify.
#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common.hpp"
#include "zcrx/area.hpp"
#include "zcrx/fdinfo.hpp"
#include "zcrx/ifq.hpp"
#include "zcrx/pattern.hpp"
#include "zcrx/recv.hpp"

namespace fuzz {

namespace {

using zcrx::uapi::zcrx_rqe;

constexpr std::uint32_t atomic_batch_max = 64; // PP_ALLOC_CACHE_REFILL
// buffers the queue may take from the top of the free list at registration:
// its ring (NSIM_RING_SIZE) and one cache refill, with room to spare
constexpr std::uint64_t taken_at_registration = 512;
// rejected entries between two rounds of the batch and tail games
constexpr std::uint64_t games_every = 50'000;

// A refill ring in our memory for the library's RefillQueue; we consume it
// as the kernel would.
class ShadowRing {
public:
    explicit ShadowRing(std::uint32_t entries) : rqes_(entries) {}
    [[nodiscard]] zcrx::RefillRing view() noexcept {
        return zcrx::RefillRing(&head_, &tail_, rqes_.data(),
                                static_cast<std::uint32_t>(rqes_.size()));
    }
    template <typename F>
    void drain(F &&fn) {
        const std::uint32_t tail =
            std::atomic_ref<std::uint32_t>(tail_).load(std::memory_order_acquire);
        const auto mask = static_cast<std::uint32_t>(rqes_.size() - 1);
        for (; head_ != tail; ++head_)
            fn(rqes_[head_ & mask]);
        std::atomic_ref<std::uint32_t>(head_).store(head_, std::memory_order_release);
    }

private:
    std::vector<zcrx_rqe> rqes_;
    std::uint32_t head_ = 0;
    std::uint32_t tail_ = 0;
};

// The kernel's refill ring, written entry by entry.
class KernelRing {
public:
    explicit KernelRing(zcrx::Ifq &ifq) {
        std::byte *base = ifq.refill_region().data();
        const zcrx::uapi::zcrx_offsets &o = ifq.refill_offsets();
        head_ = reinterpret_cast<std::uint32_t *>(base + o.head);
        tail_ = reinterpret_cast<std::uint32_t *>(base + o.tail);
        rqes_ = reinterpret_cast<zcrx_rqe *>(base + o.rqes);
        entries_ = ifq.rq_entries();
        local_ = published_ =
            std::atomic_ref<std::uint32_t>(*tail_).load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint32_t head() const noexcept {
        return std::atomic_ref<std::uint32_t>(*head_).load(std::memory_order_acquire);
    }
    [[nodiscard]] std::uint32_t entries() const noexcept { return entries_; }
    [[nodiscard]] std::uint32_t in_flight() const noexcept { return local_ - head(); }
    [[nodiscard]] std::uint32_t space() const noexcept {
        const std::uint32_t used = in_flight();
        return used > entries_ ? 0 : entries_ - used;
    }
    [[nodiscard]] bool drained() const noexcept {
        return head() == published_ && local_ == published_;
    }
    [[nodiscard]] std::uint32_t tail() const noexcept { return local_; }
    void put(const zcrx_rqe &e) noexcept { rqes_[local_++ & (entries_ - 1)] = e; }
    void publish() noexcept { store_tail(local_); }
    // Fill every slot with e (only while the kernel has nothing to read).
    void fill_all(const std::function<zcrx_rqe()> &make) {
        for (std::uint32_t i = 0; i < entries_; ++i)
            rqes_[i] = make();
    }
    // Moves the shared tail to any value; the private one follows it.
    void store_tail(std::uint32_t t) noexcept {
        std::atomic_ref<std::uint32_t>(*tail_).store(t, std::memory_order_release);
        local_ = published_ = t;
    }

private:
    std::uint32_t *head_ = nullptr;
    std::uint32_t *tail_ = nullptr;
    zcrx_rqe *rqes_ = nullptr;
    std::uint32_t entries_ = 0;
    std::uint32_t local_ = 0;
    std::uint32_t published_ = 0;
};

enum class Game { none, ahead, behind };

class Forwarder {
public:
    Forwarder(zcrx::Ifq &ifq, std::mt19937_64 &rng)
        : ring_(ifq), rng_(rng), token_(ifq.area_token()), niovs_(ifq.area().size() / page_) {}

    // A legitimate return came out of the shadow ring.
    void returned(const zcrx_rqe &e) { pending_.push_back(e); }

    // One round after a batch of CQEs: forward and attack.
    void round(bool hostile) {
        if (chaos_) {
            chaos_bulk();
            return;
        }
        if (game_ != Game::none && !game_step())
            return; // the ring belongs to the game until the kernel read it
        if (hostile && written_bad_ >= next_games_) {
            // the game needs a drained ring: returns wait until the kernel
            // has read what is there (it reads on as it needs buffers)
            if (!ring_.drained())
                return;
            next_games_ = written_bad_ + games_every;
            start_game();
            return;
        }
        bulk(hostile);
    }

    // Before any traffic: one batch of entries for buffers at the bottom of
    // the free list. The queue's first refill reads them all at once, before
    // it takes anything more from the free list.
    void never_handed_out() {
        if (niovs_ < 2 * taken_at_registration)
            return;
        const std::uint64_t n = pick<std::uint64_t>(rng_, 1, atomic_batch_max);
        for (std::uint64_t k = 0; k < n; ++k) {
            put_bad(noisy(
                buffer_entry(pick<std::uint64_t>(rng_, 0, niovs_ - taken_at_registration - 1)),
                false));
            count("buffer never handed out");
        }
        ring_.publish();
        initial_end_ = ring_.tail();
    }
    // The kernel has read the never-handed-out batch: until then nothing
    // but the queue may take buffers from the free list.
    [[nodiscard]] bool initial_read() const noexcept {
        return static_cast<std::int32_t>(ring_.head() - initial_end_) >= 0;
    }

    [[nodiscard]] bool hostile_done(std::uint64_t target) const noexcept {
        return written_bad_ >= target;
    }
    // The kernel has read every rejected entry written (legitimate ones
    // keep coming behind them while the stream flows).
    [[nodiscard]] bool settled() const noexcept {
        return game_ == Game::none && static_cast<std::int32_t>(ring_.head() - last_bad_end_) >= 0;
    }
    // every hostile entry written is one the kernel must reject
    [[nodiscard]] std::uint64_t written_bad() const noexcept { return written_bad_; }
    // every entry written, legitimate or not
    [[nodiscard]] std::uint64_t written() const noexcept { return written_; }

    // From now on (until the end), entries whose answer depends on timing.
    void start_chaos() { chaos_ = true; }
    void stop_chaos() { chaos_ = false; }
    [[nodiscard]] bool chaos() const noexcept { return chaos_; }
    [[nodiscard]] std::uint64_t written_chaos() const noexcept { return written_chaos_; }
    // In the chaos phase: an entry for a buffer whose completion arrived
    // and has not been read yet; its real return follows when it has been.
    void early(std::uint64_t off) {
        if (!chaos_ || !one_in(rng_, 8) || ring_.space() == 0)
            return;
        put_chaos(noisy({off, static_cast<std::uint32_t>(page_), 0}, false),
                  "returned before it was read, and again after");
        ring_.publish();
    }

    void print() const {
        std::printf("refill: hostile entries written: %llu, each to be rejected\n",
                    static_cast<unsigned long long>(written_bad_));
        for (const auto &[kind, n] : kinds_)
            std::printf("refill:   %s: %llu\n", kind.c_str(), static_cast<unsigned long long>(n));
        if (chaos_kinds_.empty())
            return;
        std::printf("refill: chaos entries written: %llu, each accepted or rejected as timing "
                    "has it\n",
                    static_cast<unsigned long long>(written_chaos_));
        for (const auto &[kind, n] : chaos_kinds_)
            std::printf("refill:   %s: %llu\n", kind.c_str(), static_cast<unsigned long long>(n));
    }

private:
    zcrx_rqe buffer_entry(std::uint64_t idx) const noexcept {
        return {zcrx::make_rqe_off(token_, idx * page_), static_cast<std::uint32_t>(page_), 0};
    }
    void count(const char *kind, std::uint64_t n = 1) { kinds_[kind] += n; }

    // An entry the kernel rejects whatever state it is in.
    zcrx_rqe always_bad() {
        zcrx_rqe e = buffer_entry(pick<std::uint64_t>(rng_, 0, niovs_ - 1));
        e.off |= pick<std::uint64_t>(rng_, 0, page_ - 1);
        e.len = static_cast<std::uint32_t>(rng_());
        switch (pick<std::uint64_t>(rng_, 0, 2)) {
        case 0: // reserved field
            e.pad = static_cast<std::uint32_t>(pick<std::uint64_t>(rng_, 1, UINT32_MAX));
            count("non-zero __pad");
            break;
        case 1: // another area's token
            e.off = zcrx::encode_off(static_cast<std::uint16_t>(pick(rng_, 1, 0xffff)),
                                     e.off & zcrx::area_offset_mask);
            count("token of another area");
            break;
        default: // past the end of the area, but below the area bits
            e.off = zcrx::make_rqe_off(
                token_, pick<std::uint64_t>(rng_, niovs_ * page_, zcrx::area_offset_mask));
            count("offset past the area");
            break;
        }
        return e;
    }

    // A legitimate entry, maybe with a random len and offset in its buffer.
    zcrx_rqe noisy(zcrx_rqe e, bool legit = true) {
        if (one_in(rng_, 2)) {
            e.off = (e.off & ~(page_ - 1)) | pick<std::uint64_t>(rng_, 0, page_ - 1);
            e.len = static_cast<std::uint32_t>(rng_());
            if (legit)
                count("legitimate, random len and offset in the buffer");
        }
        return e;
    }

    void put(const zcrx_rqe &e) {
        ring_.put(e);
        ++written_;
    }
    void put_bad(const zcrx_rqe &e) {
        put(e);
        last_bad_end_ = ring_.tail();
        ++written_bad_;
    }
    void put_legit(const zcrx_rqe &e) {
        put(noisy(e));
        count("legitimate");
    }
    void put_chaos(const zcrx_rqe &e, const char *kind) {
        put(e);
        ++written_chaos_;
        chaos_kinds_[kind]++;
    }

    // Legitimate entries, each maybe followed by a second one for it or for
    // one returned earlier, and runs of entries for any buffer of the area.
    void chaos_bulk() {
        while (!pending_.empty() && ring_.space() > 2) {
            const zcrx_rqe e = pending_.front();
            pending_.pop_front();
            put_legit(e);
            if (one_in(rng_, 4))
                put_chaos(noisy(e, false), "second entry right behind the return");
            if (!recent_.empty() && one_in(rng_, 4))
                put_chaos(noisy(recent_[pick<std::size_t>(rng_, 0, recent_.size() - 1)], false),
                          "second entry for a buffer returned earlier");
            if (recent_.size() == recent_max)
                recent_.pop_front();
            recent_.push_back(e);
            any_buffers();
        }
        // as in the exact phase: the copies read the ring in big batches
        if (pending_.empty())
            any_buffers();
        ring_.publish();
    }
    // A run of entries for random buffers of the area: most of them free
    // (rejected), some lent out (taken back: the kernel cannot know better).
    void any_buffers() {
        for (std::uint64_t n = pick<std::uint64_t>(rng_, 0, bad_run_);
             n > 0 && ring_.in_flight() < ring_.entries() / 2; --n)
            put_chaos(noisy(buffer_entry(pick<std::uint64_t>(rng_, 0, niovs_ - 1)), false),
                      "any buffer of the area, lent out or not");
    }

    // Legitimate entries with always-rejected ones between them; rejected
    // ones alone keep the ring at most half full of them.
    void bulk(bool hostile) {
        while (!pending_.empty() && ring_.space() > 0) {
            if (hostile)
                for (std::uint64_t n = pick<std::uint64_t>(rng_, 0, 2 * bad_run_);
                     n > 0 && ring_.space() > ring_.entries() / 8; --n)
                    put_bad(always_bad());
            put_legit(pending_.front());
            pending_.pop_front();
        }
        if (hostile && pending_.empty())
            for (std::uint64_t n = pick<std::uint64_t>(rng_, 0, bad_run_);
                 n > 0 && ring_.in_flight() < ring_.entries() / 2; --n)
                put_bad(always_bad());
        ring_.publish();
    }

    // Fill the drained ring with rejected entries and move the tail ahead by
    // a lap and an odd amount, or behind the head.
    void start_game() {
        game_start_ = ring_.head();
        ring_.fill_all([this] { return always_bad(); });
        if (one_in(rng_, 2)) {
            game_ = Game::ahead;
            game_target_ = game_start_ + ring_.entries() + (pick(rng_, 0u, ring_.entries()) | 1);
            ring_.store_tail(game_target_);
            count("tail a lap and an odd amount ahead");
        } else {
            game_ = Game::behind;
            ring_.store_tail(game_start_ - (pick(rng_, 0u, ring_.entries() - 1) | 1));
            count("tail behind the head");
        }
    }

    // Whether the game is over (the kernel read all it was given).
    bool game_step() {
        const std::uint32_t head = ring_.head();
        if (game_ == Game::behind) {
            // the kernel reads the ring as full: let it go round once, then
            // put the tail back ahead of wherever it is now
            if (head - game_start_ < ring_.entries())
                return false;
            game_target_ = head + ring_.entries() / 2;
            ring_.store_tail(game_target_);
            game_ = Game::ahead;
            return false;
        }
        if (head != game_target_)
            return false;
        // every entry the kernel read was one of the fill's
        written_bad_ += game_target_ - game_start_;
        last_bad_end_ = game_target_;
        game_ = Game::none;
        return true;
    }

    KernelRing ring_;
    std::mt19937_64 &rng_;
    std::uint64_t token_;
    std::uint64_t page_ = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    std::uint64_t niovs_;
    std::deque<zcrx_rqe> pending_;
    std::map<std::string, std::uint64_t> kinds_;
    std::map<std::string, std::uint64_t> chaos_kinds_;
    // the last legitimate entries of the chaos phase, for second entries
    static constexpr std::size_t recent_max = 256;
    std::deque<zcrx_rqe> recent_;
    bool chaos_ = false;
    std::uint64_t written_ = 0;
    std::uint64_t written_chaos_ = 0;
    std::uint64_t written_bad_ = 0;
    // rejected entries per legitimate one, on average: the copy path reads
    // on in batches of 256 until it finds a buffer, the zero-copy path reads
    // 64 and then takes the free list, which those copies fill
    std::uint64_t bad_run_ = ring_.entries() / 16;
    std::uint64_t next_games_ = games_every;
    std::uint32_t initial_end_ = 0; // ring position after never_handed_out()
    Game game_ = Game::none;
    std::uint32_t game_start_ = 0;
    std::uint32_t game_target_ = 0;
    std::uint32_t last_bad_end_ = 0; // ring position after the last rejected entry
};

} // namespace

namespace {

// One stream of the fuzzer: zcrx-send's through the zero-copy queue, or
// our own over loopback (copied into the area by the kernel). Verified up
// to the chaos phase; in it, chunks that are not the pattern are counted.
struct Stream {
    const char *name;
    zcrx::Receive rx;
    zcrx::pattern::Verifier verifier{};
    std::uint64_t bytes = 0;
    std::uint64_t chunks = 0;
    std::optional<std::uint64_t> chaos_from{}; // the stream offset it began at
    std::uint64_t chaos_chunks = 0;
    std::uint64_t overwritten = 0;

    void take(std::span<const std::byte> data, bool chaos) {
        if (chaos && !chaos_from)
            chaos_from = bytes;
        if (!chaos_from) {
            verifier.update(data);
        } else {
            ++chaos_chunks;
            if (zcrx::pattern::verify(bytes, data))
                ++overwritten;
        }
        bytes += data.size();
        ++chunks;
    }
    void print() const {
        std::printf(
            "refill: %s: %llu bytes in %llu chunks, the first %llu verified, pattern "
            "%s%s\n",
            name, static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(chunks),
            static_cast<unsigned long long>(verifier.offset()), verifier.ok() ? "ok" : "MISMATCH",
            rx.end_error() ? (", ended with " + errno_string(*rx.end_error())).c_str() : "");
        if (const auto m = verifier.mismatch())
            std::printf("refill: %s: first wrong byte at stream offset %llu: %u, expected %u\n",
                        name, static_cast<unsigned long long>(m->offset), m->actual, m->expected);
        if (chaos_from)
            std::printf("refill: %s: chaos phase from byte %llu: %llu chunks, %llu of them "
                        "overwritten before they were read\n",
                        name, static_cast<unsigned long long>(*chaos_from),
                        static_cast<unsigned long long>(chaos_chunks),
                        static_cast<unsigned long long>(overwritten));
    }
    [[nodiscard]] bool good() const {
        return rx.done() && verifier.ok() && !rx.end_error() && verifier.offset() > 0;
    }
};

} // namespace

int run_refill(const Settings &s) {
    std::mt19937_64 rng(s.seed);
    zcrx::Ring ring = new_ring();
    zcrx::Ifq &ifq = register_queue(ring, queue_config(s, s.rq_entries, s.area_size));
    Forwarder fwd(ifq, rng);
    fwd.never_handed_out(); // before the listener lets the sender in
    zcrx::Result<std::pair<zcrx::Fd, zcrx::Fd>> loop = loopback_pair();
    if (!loop)
        throw std::runtime_error(loop.error().message());
    zcrx::Fd &loop_tx = loop->second;
    zcrx::Result<zcrx::Fd> sock = accept_one(s.port, std::chrono::seconds(60));
    if (!sock)
        throw std::runtime_error(sock.error().message());

    ShadowRing shadow(zcrx::max_rq_entries);
    const zcrx::RefillQueue::Owner legit = zcrx::RefillQueue::create(
        shadow.view(), ifq.area(), ifq.area_token(), 1, ifq.area().size() / 4096);
    // user_data 0: zcrx-send's stream; 1: the loopback one
    Stream streams[2] = {
        {"stream", zcrx::Receive(*legit, ifq.index(), sock->get(), 0)},
        {"loopback stream", zcrx::Receive(*legit, ifq.index(), loop->first.get(), 1)}};
    std::vector<std::byte> chunk(65536);
    std::uint64_t loop_sent = 0;
    bool announced = false;
    bool settled = false;
    std::uint64_t bad_at_target = 0;
    std::uint64_t written_at_target = 0;
    Budget budget(s);
    Settings chaos_settings = s;
    chaos_settings.count = s.chaos;
    std::optional<Budget> chaos_budget; // started when the exact phase settles
    Clock::time_point next_report = Clock::now() + std::chrono::seconds(10);

    for (Stream &st : streams)
        if (zcrx::Result<void> r = st.rx.arm(ring); !r)
            throw std::runtime_error(r.error().message());
    while (!streams[0].rx.done() || !streams[1].rx.done()) {
        const bool hostile = !fwd.hostile_done(s.count) && budget.more(fwd.written_bad());
        // the loopback stream runs until the kernel has read every rejected
        // entry: its copies read the ring far faster than the NIC does
        if (!announced && fwd.initial_read()) {
            // copies need buffers: with the free list empty the kernel
            // reads the refill ring in big batches until one comes free
            const std::size_t len = pick<std::size_t>(rng, 1, chunk.size());
            zcrx::pattern::fill(loop_sent, std::span(chunk.data(), len));
            const ssize_t w = ::send(loop_tx.get(), chunk.data(), len, MSG_DONTWAIT);
            if (w > 0)
                loop_sent += static_cast<std::uint64_t>(w);
        } else if (announced && loop_tx) {
            loop_tx.reset(); // the loopback stream ends here
        }
        // never wait long: the loopback stream needs feeding, and a request
        // that ran out of buffers waits for the next segment to wake it
        __kernel_timespec ts{0, 10'000'000};
        io_uring_cqe *first = nullptr;
        if (const int ret =
                io_uring_submit_and_wait_timeout(ring.native(), &first, 1, &ts, nullptr);
            ret < 0 && ret != -ETIME && ret != -EINTR)
            throw std::runtime_error("io_uring_submit_and_wait_timeout: " + errno_string(-ret));
        if (Clock::now() >= next_report) {
            next_report += std::chrono::seconds(10);
            std::printf("refill: %llu hostile entries so far; %llu + %llu bytes verified\n",
                        static_cast<unsigned long long>(fwd.written_bad()),
                        static_cast<unsigned long long>(streams[0].verifier.offset()),
                        static_cast<unsigned long long>(streams[1].verifier.offset()));
            if (fwd.chaos())
                std::printf("refill: %llu chaos entries so far\n",
                            static_cast<unsigned long long>(fwd.written_chaos()));
        }
        ring.for_each_cqe([&](const io_uring_cqe &cqe) {
            if (cqe.user_data > 1)
                return;
            Stream &st = streams[cqe.user_data];
            zcrx::Receive::Event ev = st.rx.on_cqe(cqe);
            if (ev.kind != zcrx::CqeKind::data)
                return;
            fwd.early(ev.buffer.off());
            // verified before any entry of ours can make the kernel reuse it,
            // but for the one early() may just have written
            st.take(ev.buffer.data(), fwd.chaos());
        });
        legit->flush();
        shadow.drain([&](const zcrx_rqe &e) { fwd.returned(e); });
        fwd.round(hostile);
        if (!hostile && !settled && fwd.settled()) {
            const std::optional<zcrx::KernelIfqStats> k = zcrx::read_ifq_stats(ring.fd());
            bad_at_target = k ? k->bad_refill_entries : UINT64_MAX;
            written_at_target = fwd.written();
            settled = true;
            if (s.chaos) {
                std::printf("refill: exact phase settled, chaos phase begins\n");
                fwd.start_chaos();
                chaos_budget.emplace(chaos_settings);
            }
        }
        if (fwd.chaos() && !chaos_budget->more(fwd.written_chaos()))
            fwd.stop_chaos();
        if (settled && !fwd.chaos() && !announced) {
            // the shell stops the sender on this line
            std::printf("refill: hostile phase over after %llu bytes\n",
                        static_cast<unsigned long long>(streams[0].verifier.offset()));
            announced = true;
        }
        for (Stream &st : streams)
            if (st.rx.needs_arm())
                if (zcrx::Result<void> r = st.rx.arm(ring); !r)
                    throw std::runtime_error(r.error().message());
    }
    const std::optional<zcrx::KernelIfqStats> k = zcrx::read_ifq_stats(ring.fd());
    const std::uint64_t bad_at_end = k ? k->bad_refill_entries : UINT64_MAX;
    fwd.print();
    std::printf("refill: kernel ZcrxRqBadEntries %llu when the hostile phase settled; expected "
                "%llu\n",
                static_cast<unsigned long long>(bad_at_target),
                static_cast<unsigned long long>(fwd.written_bad()));
    // after the exact phase: chaos entries and legitimate ones, any of
    // which the kernel may reject once chaos took a loan back
    const std::uint64_t since = fwd.written() - written_at_target;
    const bool bounded = bad_at_end >= bad_at_target && bad_at_end - bad_at_target <= since;
    if (s.chaos)
        std::printf("refill: chaos: kernel rejected %lld of the %llu entries written since the "
                    "exact phase settled\n",
                    static_cast<long long>(bad_at_end - bad_at_target),
                    static_cast<unsigned long long>(since));
    else
        std::printf("refill: kernel ZcrxRqBadEntries %llu at the end; expected %llu\n",
                    static_cast<unsigned long long>(bad_at_end),
                    static_cast<unsigned long long>(fwd.written_bad()));
    for (const Stream &st : streams)
        st.print();
    std::printf("refill: loopback stream: %llu bytes sent\n",
                static_cast<unsigned long long>(loop_sent));
    if (!announced)
        std::printf("refill: the stream ended before the hostile phase did\n");
    const bool ok = announced && bad_at_target == fwd.written_bad() &&
                    (s.chaos ? bounded : bad_at_end == fwd.written_bad()) && streams[0].good() &&
                    streams[1].good() && streams[1].bytes == loop_sent;
    return ok ? 0 : 1;
}

} // namespace fuzz
