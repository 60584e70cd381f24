#include "keepsim/core/design.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "keepsim/core/rng.hpp"

namespace keepsim::design {
namespace {

// Purposes of the sweep's own streams, distinct from any model's tags ("SWEP", "LHSP", "LHSJ", "SALT").
constexpr std::uint32_t kSeedPurpose = 0x53574550;
constexpr std::uint32_t kLhsPermute = 0x4c485350;
constexpr std::uint32_t kLhsJitter = 0x4c48534a;
constexpr std::uint32_t kSaltelli = 0x53414c54;

}  // namespace

std::uint64_t run_seed(std::uint64_t base_seed, std::uint64_t sample, std::uint64_t replicate) {
  Stream s(base_seed, kSeedPurpose, sample, replicate);
  const std::uint64_t hi = s.next_u32();
  const std::uint64_t lo = s.next_u32();
  return ((hi << 32) | lo) >> 2;
}

std::vector<std::vector<std::size_t>> factorial(const std::vector<std::size_t>& levels) {
  std::size_t total = 1;
  for (const std::size_t l : levels) total *= l;
  std::vector<std::vector<std::size_t>> rows(total, std::vector<std::size_t>(levels.size()));
  for (std::size_t r = 0; r < total; ++r) {
    std::size_t rest = r;  // mixed-radix digits of r, last factor fastest
    for (std::size_t j = levels.size(); j-- > 0;) {
      rows[r][j] = rest % levels[j];
      rest /= levels[j];
    }
  }
  return rows;
}

Matrix latin_hypercube(std::size_t n, std::size_t d, std::uint64_t seed) {
  Matrix m(n, std::vector<double>(d));
  for (std::size_t j = 0; j < d; ++j) {
    // Fisher-Yates shuffle of the strata, one stream per column so that adding a factor keeps the others.
    std::vector<std::size_t> perm(n);
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    Stream shuffle(seed, kLhsPermute, j, 0);
    for (std::size_t i = n; i > 1; --i)
      std::swap(perm[i - 1], perm[shuffle.below(static_cast<std::uint32_t>(i))]);
    Stream jitter(seed, kLhsJitter, j, 0);
    for (std::size_t i = 0; i < n; ++i)
      m[i][j] = (static_cast<double>(perm[i]) + jitter.uniform()) / static_cast<double>(n);
  }
  return m;
}

Matrix saltelli(std::size_t n, std::size_t d, std::uint64_t seed) {
  Matrix out;
  out.reserve(n * (d + 2));
  for (std::size_t i = 0; i < n; ++i) {
    // Row i of A and of B from one stream per base sample, so the first N blocks do not depend on N.
    Stream s(seed, kSaltelli, i, 0);
    std::vector<double> a(d), b(d);
    for (double& x : a) x = s.uniform();
    for (double& x : b) x = s.uniform();
    out.push_back(a);
    for (std::size_t j = 0; j < d; ++j) {
      std::vector<double> ab = a;
      ab[j] = b[j];
      out.push_back(std::move(ab));
    }
    out.push_back(b);
  }
  return out;
}

std::vector<double> range(double first, double step, double last) {
  const double span = (last - first) / step;
  const auto count = static_cast<std::size_t>(std::floor(span + 1e-9)) + 1;
  std::vector<double> out;
  out.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.12g", first + static_cast<double>(k) * step);
    out.push_back(std::strtod(buf, nullptr));
  }
  return out;
}

}  // namespace keepsim::design
