// Counter-based randomness (docs/design.md, "Counter-based random streams"). Every draw is a pure function of
// (seed, purpose, id, period, index): a Philox4x32-10 block keyed by the seed, with the counter holding the
// other four. No generator state is shared between agents or threads, so results cannot depend on the thread
// count or the order in which threads run, and a checkpoint needs no generator state at all.
#pragma once
#include <Random123/philox.h>

#include <cstddef>
#include <cstdint>

namespace keepsim {

class Stream {
 public:
  /// The stream of draws for one purpose (a model-defined tag), one entity id (an agent, a cell, or 0 for a
  /// global stream) and one period.
  Stream(std::uint64_t seed, std::uint32_t purpose, std::uint64_t id, std::uint64_t period) {
    key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    ctr_ = {{0u, static_cast<std::uint32_t>(id), static_cast<std::uint32_t>(period),
             purpose ^ (static_cast<std::uint32_t>(id >> 32) << 16)}};
  }

  std::uint32_t next_u32() {
    if (used_ == 4) {
      block_ = r123::Philox4x32()(ctr_, key_);
      ++ctr_.v[0];
      used_ = 0;
    }
    return block_.v[used_++];
  }

  /// Uniform on [0, 1) with 53 random bits.
  double uniform() {
    const std::uint64_t hi = next_u32() >> 5;  // 27 bits
    const std::uint64_t lo = next_u32() >> 6;  // 26 bits
    return static_cast<double>((hi << 26) | lo) * 0x1.0p-53;
  }

  /// Uniform integer in [0, n), n >= 1, without bias (Lemire's multiply-and-reject).
  std::uint32_t below(std::uint32_t n) {
    std::uint64_t m = static_cast<std::uint64_t>(next_u32()) * n;
    auto low = static_cast<std::uint32_t>(m);
    if (low < n) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-n) % n;
      while (low < threshold) {
        m = static_cast<std::uint64_t>(next_u32()) * n;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32);
  }

  bool bernoulli(double p) { return uniform() < p; }

 private:
  r123::Philox4x32::key_type key_{};
  r123::Philox4x32::ctr_type ctr_{};
  r123::Philox4x32::ctr_type block_{};
  int used_ = 4;
};

/// The ways first_words() can compute: eight lanes in plain code (any processor), eight with AVX2, sixteen
/// with AVX-512.
enum class Lanes { Portable, Avx2, Avx512 };
/// Whether this processor (and build) can compute first words with `lanes`.
bool lanes_available(Lanes lanes);

/// The first word of Stream(seed, purpose, ids[k], period) for every k < n, computed for many ids at a time
/// in lockstep, with the widest vector instructions the processor has (core/src/rng.cpp). Ids are below
/// 2^32.
void first_words(std::uint64_t seed, std::uint32_t purpose, std::uint64_t period, const std::uint32_t* ids,
                 std::size_t n, std::uint32_t* out);
/// first_words with the given lanes, which must be available (tests compare every way).
void first_words_with(Lanes lanes, std::uint64_t seed, std::uint32_t purpose, std::uint64_t period,
                      const std::uint32_t* ids, std::size_t n, std::uint32_t* out);

/// The draw Stream::below(n) makes first when `word` is the stream's first word, or -1 in the rare case
/// (probability below n / 2^32) where Lemire's method rejects it and the stream has to go on.
inline std::int64_t below_from_first(std::uint32_t word, std::uint32_t n) {
  const std::uint64_t m = static_cast<std::uint64_t>(word) * n;
  if (static_cast<std::uint32_t>(m) < n && static_cast<std::uint32_t>(m) < static_cast<std::uint32_t>(-n) % n)
    return -1;
  return static_cast<std::int64_t>(m >> 32);
}

/// One 32-bit hash of (seed, purpose, id, period): the first word of the stream. Used for priorities.
inline std::uint32_t hash32(std::uint64_t seed, std::uint32_t purpose, std::uint64_t id,
                            std::uint64_t period) {
  return Stream(seed, purpose, id, period).next_u32();
}

}  // namespace keepsim
