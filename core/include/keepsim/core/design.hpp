// Experimental designs for parameter sweeps (docs/sweeps.md), independent of any model or file format: they
// produce level indices or points of the unit hypercube, which the sweep maps onto parameter values.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace keepsim::design {

/// One row per sample, one column per factor.
using Matrix = std::vector<std::vector<double>>;

/// The seed of one run: a pure function of (base seed, sample index, replicate index), so that any subset of
/// a sweep can be rerun on any machine. Two words of the Philox stream keyed by the base seed with counter
/// (purpose "SWEP", sample, replicate), shifted to 62 bits so every seed fits run.seed's range.
std::uint64_t run_seed(std::uint64_t base_seed, std::uint64_t sample, std::uint64_t replicate);

/// Every combination of `levels[j]` levels per factor, first factor slowest (itertools.product order).
/// Each row holds level indices. Empty when any factor has no levels; one empty row when there are no
/// factors.
std::vector<std::vector<std::size_t>> factorial(const std::vector<std::size_t>& levels);

/// Latin hypercube: n points in [0, 1)^d, each column holding exactly one point in each of the n strata
/// [k/n, (k+1)/n). Strata are permuted and points jittered within them by a Philox stream of `seed`.
Matrix latin_hypercube(std::size_t n, std::size_t d, std::uint64_t seed);

/// Saltelli's design for first-order and total Sobol indices (Saltelli et al. 2010), in the layout SALib
/// writes with calc_second_order=False: N blocks of d + 2 rows; block i is A_i, AB_i^(1), ..., AB_i^(d), B_i,
/// where A and B are two independent N x d uniform samples and AB^(j) is A with column j taken from B.
/// A and B are plain Monte Carlo from a Philox stream of `seed` (not a Sobol' sequence: simpler, and the
/// bootstrap intervals in tools/sobol.py account for the extra variance).
Matrix saltelli(std::size_t n, std::size_t d, std::uint64_t seed);

/// The values first, first + step, ..., up to last (inclusive within a relative tolerance of 1e-9 of a step),
/// each rounded to 12 significant digits so that 0 + 3 * 0.002 is 0.006, not 0.006000000000000001.
/// Requires step != 0 and (last - first) / step >= 0 (the caller reports other cases as user errors).
std::vector<double> range(double first, double step, double last);

}  // namespace keepsim::design
