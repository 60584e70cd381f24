// MPI for sweeps: rank 0 only hands out runs and collects statuses, so a slow run never holds up the others
// (dynamic load balance); every run is written by its worker into the shared directory, and rank 0 builds the
// table from the files afterwards, exactly as without MPI. Without KEEPSIM_MPI, a session is one rank.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "sim/sweep_run.hpp"

#ifdef KEEPSIM_MPI
#include <mpi.h>
#endif

namespace keepsim::sweep {

#ifdef KEEPSIM_MPI
namespace {

constexpr int kTagReady = 1;  // worker -> 0: {last run or -1, its status}
constexpr int kTagWork = 2;   // 0 -> worker: a run index, or -1 to stop

/// Under mpirun (OpenMPI, or a PMI launcher such as srun); a plain `keepsim sweep` never touches MPI, so it
/// starts fast and needs no MPI runtime.
bool launched() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

}  // namespace

MpiSession::MpiSession() {
  if (!launched()) return;
  // A session inside another (keepsim calibrate runs its rounds' sweeps in its own session) joins it: MPI
  // may be initialised once per process, and only the outermost session finalises it.
  int already = 0;
  MPI_Initialized(&already);
  if (already == 0) MPI_Init(nullptr, nullptr);
  owner_ = already == 0;
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  if (owner_) MPI_Finalize();
}

int MpiSession::broadcast(int value) const {
  if (initialised_) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return value;
}

void MpiSession::distribute(const std::vector<std::size_t>& pending,
                            const std::function<int(std::size_t)>& run,
                            const std::function<void(std::size_t, int)>& done,
                            const std::atomic<bool>* stop) const {
  if (rank_ != 0) {
    long long msg[2] = {-1, 0};
    for (;;) {
      MPI_Send(msg, 2, MPI_LONG_LONG, 0, kTagReady, MPI_COMM_WORLD);
      long long next = -1;
      MPI_Recv(&next, 1, MPI_LONG_LONG, 0, kTagWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (next < 0) return;
      msg[0] = next;
      msg[1] = run(static_cast<std::size_t>(next));
    }
  }
  std::size_t next = 0;
  int working = size_ - 1;
  while (working > 0) {
    // Poll rather than block: OpenMPI's blocking receive spins a core that a worker on this node could use.
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagReady, MPI_COMM_WORLD, &flag, &st);
    if (flag == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    long long msg[2];
    MPI_Recv(msg, 2, MPI_LONG_LONG, st.MPI_SOURCE, kTagReady, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (msg[0] >= 0) done(static_cast<std::size_t>(msg[0]), static_cast<int>(msg[1]));
    long long work = -1;
    if (next < pending.size() && !(stop != nullptr && stop->load()))
      work = static_cast<long long>(pending[next++]);
    if (work < 0) --working;
    MPI_Send(&work, 1, MPI_LONG_LONG, st.MPI_SOURCE, kTagWork, MPI_COMM_WORLD);
  }
}

#else

MpiSession::MpiSession() = default;
MpiSession::~MpiSession() = default;
int MpiSession::broadcast(int value) const {
  return value;
}
void MpiSession::distribute(const std::vector<std::size_t>&, const std::function<int(std::size_t)>&,
                            const std::function<void(std::size_t, int)>&, const std::atomic<bool>*) const {}

#endif

}  // namespace keepsim::sweep
