// What one period of a row-decomposed sync schedule would cost in communication (docs/performance.md, "A run
// larger than one machine"). No model runs here: each rank holds a slab of a W x H grid and performs, per
// period, the exchanges a distributed sync period needs, with real buffers of the sizes the engine's layout
// gives (one code byte per cell, one 8-byte claim per cell, 40 bytes per migrating agent):
//   1. codes of the `reach` rows next to each neighbour, before the decisions (vision counts);
//   2. the actives' bit layer of those rows, after the status changes (the cops' counts and choices);
//   3. arrest claims on the halo's cells sent to their owner, combined by minimum there, winners sent back;
//   4. the same for move claims on empty cells;
//   5. the agents that moved across a boundary (their records);
//   6. one all-reduce of the day's counters (events, empties for releases anywhere).
// It prints, per grid width, the bytes one rank sends per period and the median wall time of the exchanges.
//
//   mpirun -n 2 build/bin/keepsim_bench_halo [--widths 1000,3000,12910] [--reach 7] [--periods 200]
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  std::vector<int> widths{1000, 3000, 12910};
  int reach = 7;
  int periods = 200;
  double migrate_share =
      0.02;  // share of a boundary row's cells whose agent crosses per period (an assumption)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--widths") {
      o.widths.clear();
      for (std::size_t p = 0; p < v.size();) {
        const std::size_t q = std::min(v.find(',', p), v.size());
        o.widths.push_back(std::stoi(v.substr(p, q - p)));
        p = q + 1;
      }
    } else if (k == "--reach") {
      o.reach = std::stoi(v);
    } else if (k == "--periods") {
      o.periods = std::stoi(v);
    } else {
      std::fprintf(stderr, "bench_halo: unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

// Sends `out_lo` to the lower neighbour and `out_hi` to the upper one and receives theirs: the halo exchange
// of a 1-D decomposition on a torus of ranks (with one rank, it talks to itself, as a torus grid would).
void exchange(const void* out_lo, void* in_lo, const void* out_hi, void* in_hi, int bytes, int lo, int hi) {
  MPI_Sendrecv(out_lo, bytes, MPI_BYTE, lo, 0, in_hi, bytes, MPI_BYTE, hi, 0, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  MPI_Sendrecv(out_hi, bytes, MPI_BYTE, hi, 1, in_lo, bytes, MPI_BYTE, lo, 1, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
}

// Claims travel to the owner of the cell, which keeps the smaller (priority, id) of its own and the
// neighbour's, then sends the winners back: the distributed form of the sync schedule's minimum.
void claims(std::vector<std::uint64_t>& own_lo, std::vector<std::uint64_t>& own_hi,
            std::vector<std::uint64_t>& in, std::vector<std::uint64_t>& ghost_lo,
            std::vector<std::uint64_t>& ghost_hi, int lo, int hi) {
  const int bytes = static_cast<int>(own_lo.size() * sizeof(std::uint64_t));
  MPI_Sendrecv(ghost_lo.data(), bytes, MPI_BYTE, lo, 2, in.data(), bytes, MPI_BYTE, hi, 2, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  for (std::size_t i = 0; i < in.size(); ++i) own_hi[i] = std::min(own_hi[i], in[i]);
  MPI_Sendrecv(ghost_hi.data(), bytes, MPI_BYTE, hi, 3, in.data(), bytes, MPI_BYTE, lo, 3, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  for (std::size_t i = 0; i < in.size(); ++i) own_lo[i] = std::min(own_lo[i], in[i]);
  // Winners back to where the claims came from.
  MPI_Sendrecv(own_hi.data(), bytes, MPI_BYTE, hi, 4, ghost_lo.data(), bytes, MPI_BYTE, lo, 4, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  MPI_Sendrecv(own_lo.data(), bytes, MPI_BYTE, lo, 5, ghost_hi.data(), bytes, MPI_BYTE, hi, 5, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const Options o = parse(argc, argv);
  const int lo = (rank + ranks - 1) % ranks, hi = (rank + 1) % ranks;
  if (rank == 0)
    std::printf("ranks %d, reach %d rows, %d periods; per rank and period:\n%8s %14s %14s %14s\n", ranks,
                o.reach, o.periods, "width", "bytes sent", "median us", "p90 us");
  for (const int w : o.widths) {
    const std::size_t halo = static_cast<std::size_t>(o.reach) * static_cast<std::size_t>(w);
    std::vector<std::uint8_t> codes_out_lo(halo, 1), codes_out_hi(halo, 2), codes_in_lo(halo),
        codes_in_hi(halo);
    const std::size_t bits = (halo + 7) / 8;
    std::vector<std::uint8_t> act_out_lo(bits, 3), act_out_hi(bits, 4), act_in_lo(bits), act_in_hi(bits);
    std::vector<std::uint64_t> own_lo(halo, ~0ull), own_hi(halo, ~0ull), in(halo);
    std::vector<std::uint64_t> ghost_lo(halo), ghost_hi(halo);
    const std::size_t movers = static_cast<std::size_t>(o.migrate_share * w) + 1;
    std::vector<std::uint8_t> mig_out(movers * 40, 5), mig_in(movers * 40);
    std::int64_t counters[16] = {}, totals[16] = {};
    std::vector<double> us;
    for (int p = 0; p < o.periods; ++p) {
      // Claims are re-made every period, with priorities that differ between ranks.
      for (std::size_t i = 0; i < halo; ++i) {
        ghost_lo[i] = (static_cast<std::uint64_t>(i * 2654435761u + static_cast<unsigned>(p)) << 32) | i;
        ghost_hi[i] = ghost_lo[i] ^ (static_cast<std::uint64_t>(rank + 1) << 40);
      }
      std::fill(own_lo.begin(), own_lo.end(), ~0ull);
      std::fill(own_hi.begin(), own_hi.end(), ~0ull);
      MPI_Barrier(MPI_COMM_WORLD);
      const auto t0 = std::chrono::steady_clock::now();
      exchange(codes_out_lo.data(), codes_in_lo.data(), codes_out_hi.data(), codes_in_hi.data(),
               static_cast<int>(halo), lo, hi);
      exchange(act_out_lo.data(), act_in_lo.data(), act_out_hi.data(), act_in_hi.data(),
               static_cast<int>(bits), lo, hi);
      claims(own_lo, own_hi, in, ghost_lo, ghost_hi, lo, hi);  // arrests
      claims(own_lo, own_hi, in, ghost_lo, ghost_hi, lo, hi);  // moves
      exchange(mig_out.data(), mig_in.data(), mig_out.data(), mig_in.data(), static_cast<int>(mig_out.size()),
               lo, hi);
      counters[0] = p;
      MPI_Allreduce(counters, totals, 16, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      const auto t1 = std::chrono::steady_clock::now();
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(us.begin(), us.end());
    // Sent by one rank: two directions of codes and bits, four claim messages per claim round (two rounds),
    // migrants both ways, and the all-reduce's 128 bytes.
    const double sent = 2.0 * static_cast<double>(halo) + 2.0 * static_cast<double>(bits) +
                        2 * 4.0 * static_cast<double>(halo) * 8 + 2.0 * static_cast<double>(mig_out.size()) +
                        128;
    double med = us[us.size() / 2], p90 = us[us.size() * 9 / 10];
    MPI_Allreduce(MPI_IN_PLACE, &med, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &p90, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0) std::printf("%8d %14.0f %14.1f %14.1f\n", w, sent, med, p90);
  }
  MPI_Finalize();
  return 0;
}
