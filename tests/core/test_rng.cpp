// The batched first words (core/rng.hpp first_words, below_from_first) must be exactly what a Stream draws:
// the sync schedule chooses moves with them, and its output is pinned by the engine checksums.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "keepsim/core/rng.hpp"

using namespace keepsim;

TEST_CASE("first_words gives each stream's first word, for any count of ids", "[rng]") {
  Stream pick(2026, 99, 0, 0);
  for (int trial = 0; trial < 200; ++trial) {
    const std::uint64_t seed = (std::uint64_t{pick.next_u32()} << 32) | pick.next_u32();
    const std::uint32_t purpose = pick.below(16);
    const std::uint64_t period = pick.next_u32();
    const std::size_t n = pick.below(70);  // counts around and between multiples of 8 and 16 lanes
    std::vector<std::uint32_t> ids(n), out(n, 0xdeadbeef);
    for (auto& id : ids) id = trial % 4 == 0 ? pick.below(1000) : pick.next_u32();
    first_words(seed, purpose, period, ids.data(), n, out.data());  // the widest lanes the processor has
    for (std::size_t k = 0; k < n; ++k) {
      INFO("seed " << seed << " purpose " << purpose << " period " << period << " id " << ids[k]);
      REQUIRE(out[k] == Stream(seed, purpose, ids[k], period).next_u32());
    }
    for (const Lanes lanes : {Lanes::Portable, Lanes::Avx2, Lanes::Avx512}) {
      if (!lanes_available(lanes)) continue;
      std::vector<std::uint32_t> with(n, 0xdeadbeef);
      first_words_with(lanes, seed, purpose, period, ids.data(), n, with.data());
      INFO("lanes " << static_cast<int>(lanes));
      REQUIRE(with == out);
    }
  }
}

TEST_CASE("below_from_first draws what Stream::below draws first, and declines when it would reject",
          "[rng]") {
  // Hypothesis: for every word and bound, below_from_first(word, n) is Stream::below(n)'s result when that
  // takes the first word, and -1 exactly when Lemire's method rejects the first word. 200000 seeded cases
  // plus the words next to every rejection threshold, where an off-by-one would show.
  Stream pick(7, 98, 0, 0);
  int declined = 0;
  for (int trial = 0; trial < 200000; ++trial) {
    const std::uint32_t id = pick.next_u32();
    const std::uint32_t n = trial % 3 == 0 ? 1 + pick.below(300) : 1 + (pick.next_u32() >> (pick.below(32)));
    Stream s(11, 5, id, 3);
    const std::uint32_t word = Stream(11, 5, id, 3).next_u32();
    const std::uint32_t full = s.below(n);
    const std::int64_t fast = below_from_first(word, n);
    const std::uint64_t m = std::uint64_t{word} * n;
    const bool rejects = static_cast<std::uint32_t>(m) < static_cast<std::uint32_t>(-n) % n;
    REQUIRE(fast == (rejects ? -1 : static_cast<std::int64_t>(full)));
    declined += fast < 0;
  }
  CHECK(declined > 0);  // the rejecting branch is exercised (large bounds reject often)
  // Words whose product with an odd n has a given low half (word = low * n^-1 mod 2^32), at and around the
  // rejection threshold, where an off-by-one would show.
  for (const std::uint32_t n : {3u, 7u, 1001u, 0x80000001u, 0xfffffffbu}) {
    std::uint32_t inv = n;  // Newton's iteration for the inverse of n modulo 2^32
    for (int i = 0; i < 5; ++i) inv *= 2u - n * inv;
    REQUIRE(n * inv == 1u);
    const std::uint32_t threshold = static_cast<std::uint32_t>(-n) % n;
    for (const std::uint32_t low : {0u, threshold - 1, threshold, threshold + 1, n - 1, n}) {
      const std::uint32_t word = low * inv;
      const std::uint64_t m = std::uint64_t{word} * n;
      REQUIRE(static_cast<std::uint32_t>(m) == low);
      const std::int64_t fast = below_from_first(word, n);
      if (low < threshold)
        REQUIRE(fast == -1);
      else
        REQUIRE(fast == static_cast<std::int64_t>(m >> 32));
    }
  }
}
