// Batched first words of Philox streams (core/rng.hpp first_words), with a runtime choice of AVX2 or
// AVX-512.
#include "keepsim/core/rng.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace keepsim {
namespace {

// Eight ids at a time in lockstep: the blocks are independent, so the compiler turns each step of a round
// into vector operations on the eight lanes (with AVX2, four 32x32-bit products per instruction).
[[gnu::always_inline]] inline void first_words_lanes(std::uint64_t seed, std::uint32_t purpose,
                                                     std::uint64_t period, const std::uint32_t* ids,
                                                     std::size_t n, std::uint32_t* out) {
  constexpr std::size_t kLanes = 8;
  const auto key0 = static_cast<std::uint32_t>(seed), key1 = static_cast<std::uint32_t>(seed >> 32);
  for (std::size_t b = 0; b < n; b += kLanes) {
    const std::size_t m = n - b < kLanes ? n - b : kLanes;
    std::uint32_t x0[kLanes], x1[kLanes], x2[kLanes], x3[kLanes];
    for (std::size_t l = 0; l < kLanes; ++l) {  // the counter of Stream's first block
      x0[l] = 0;
      x1[l] = l < m ? ids[b + l] : 0;
      x2[l] = static_cast<std::uint32_t>(period);
      x3[l] = purpose;
    }
    std::uint32_t k0 = key0, k1 = key1;
    for (int round = 0; round < 10; ++round) {  // Philox4x32-10, as Random123 computes it
      for (std::size_t l = 0; l < kLanes; ++l) {
        const std::uint64_t p0 = std::uint64_t{PHILOX_M4x32_0} * x0[l];
        const std::uint64_t p1 = std::uint64_t{PHILOX_M4x32_1} * x2[l];
        x0[l] = static_cast<std::uint32_t>(p1 >> 32) ^ x1[l] ^ k0;
        x1[l] = static_cast<std::uint32_t>(p1);
        x2[l] = static_cast<std::uint32_t>(p0 >> 32) ^ x3[l] ^ k1;
        x3[l] = static_cast<std::uint32_t>(p0);
      }
      k0 += PHILOX_W32_0;
      k1 += PHILOX_W32_1;
    }
    for (std::size_t l = 0; l < m; ++l) out[b + l] = x0[l];
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
/// Products of the eight 32-bit lanes of x with m: the high and the low halves, lane by lane.
[[gnu::target("avx2")]] inline void mulhilo8(__m256i x, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(x, m);                        // lanes 0, 2, 4, 6 as 64-bit products
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);  // lanes 1, 3, 5, 7
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xaa);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xaa);
}

[[gnu::target("avx2")]] void first_words_avx2(std::uint64_t seed, std::uint32_t purpose, std::uint64_t period,
                                              const std::uint32_t* ids, std::size_t n, std::uint32_t* out) {
  const std::size_t whole = n / 8 * 8;
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(PHILOX_M4x32_0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(PHILOX_M4x32_1));
  for (std::size_t b = 0; b < whole; b += 8) {
    __m256i x0 = _mm256_setzero_si256();
    __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ids + b));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(period)));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(purpose));
    auto k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      __m256i hi0, lo0, hi1, lo1;
      mulhilo8(x0, m0, hi0, lo0);
      mulhilo8(x2, m1, hi1, lo1);
      x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(k0)));
      x1 = lo1;
      x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
      x3 = lo0;
      k0 += PHILOX_W32_0;
      k1 += PHILOX_W32_1;
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + b), x0);
  }
  first_words_lanes(seed, purpose, period, ids + whole, n - whole, out + whole);
}

// GCC 12 reports the undefined vectors its own AVX-512 intrinsics start from as maybe uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
/// mulhilo8 on sixteen lanes.
[[gnu::target("avx512f")]] inline void mulhilo16(__m512i x, __m512i m, __m512i& hi, __m512i& lo) {
  const __m512i even = _mm512_mul_epu32(x, m);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
  lo = _mm512_mask_blend_epi32(0xaaaa, even, _mm512_slli_epi64(odd, 32));
  hi = _mm512_mask_blend_epi32(0xaaaa, _mm512_srli_epi64(even, 32), odd);
}

[[gnu::target("avx512f,avx2")]] void first_words_avx512(std::uint64_t seed, std::uint32_t purpose,
                                                        std::uint64_t period, const std::uint32_t* ids,
                                                        std::size_t n, std::uint32_t* out) {
  const std::size_t whole = n / 16 * 16;
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(PHILOX_M4x32_0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(PHILOX_M4x32_1));
  for (std::size_t b = 0; b < whole; b += 16) {
    __m512i x0 = _mm512_setzero_si512();
    __m512i x1 = _mm512_loadu_si512(ids + b);
    __m512i x2 = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(period)));
    __m512i x3 = _mm512_set1_epi32(static_cast<int>(purpose));
    auto k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      __m512i hi0, lo0, hi1, lo1;
      mulhilo16(x0, m0, hi0, lo0);
      mulhilo16(x2, m1, hi1, lo1);
      x0 = _mm512_xor_si512(_mm512_xor_si512(hi1, x1), _mm512_set1_epi32(static_cast<int>(k0)));
      x1 = lo1;
      x2 = _mm512_xor_si512(_mm512_xor_si512(hi0, x3), _mm512_set1_epi32(static_cast<int>(k1)));
      x3 = lo0;
      k0 += PHILOX_W32_0;
      k1 += PHILOX_W32_1;
    }
    _mm512_storeu_si512(out + b, x0);
  }
  first_words_avx2(seed, purpose, period, ids + whole, n - whole, out + whole);
}
#pragma GCC diagnostic pop
#endif

}  // namespace

bool lanes_available(Lanes lanes) {
  switch (lanes) {
    case Lanes::Portable:
      return true;
#if defined(__x86_64__) && defined(__GNUC__)
    case Lanes::Avx2:
      return __builtin_cpu_supports("avx2");
    case Lanes::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
#endif
    default:
      return false;
  }
}

void first_words_with(Lanes lanes, std::uint64_t seed, std::uint32_t purpose, std::uint64_t period,
                      const std::uint32_t* ids, std::size_t n, std::uint32_t* out) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (lanes == Lanes::Avx512) return first_words_avx512(seed, purpose, period, ids, n, out);
  if (lanes == Lanes::Avx2) return first_words_avx2(seed, purpose, period, ids, n, out);
#endif
  first_words_lanes(seed, purpose, period, ids, n, out);
}

void first_words(std::uint64_t seed, std::uint32_t purpose, std::uint64_t period, const std::uint32_t* ids,
                 std::size_t n, std::uint32_t* out) {
  static const Lanes widest = lanes_available(Lanes::Avx512) ? Lanes::Avx512
                              : lanes_available(Lanes::Avx2) ? Lanes::Avx2
                                                             : Lanes::Portable;
  first_words_with(widest, seed, purpose, period, ids, n, out);
}

}  // namespace keepsim
