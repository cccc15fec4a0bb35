#pragma once
// `loopmc run` under mpirun. The replicas are split among the MPI ranks in
// contiguous blocks, and one result file comes out. Its datasets equal, byte
// for byte, those of the same run in one process, apart from /metadata and
// /job/toml, which record threads and timings. docs/cluster.md describes it.
//
// Without LOOPMC_HAVE_MPI, or when the program was not started by mpirun, the
// session has one rank and nothing here calls MPI.

#include "loopmc/job.hpp"
#include "loopmc/runner.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace loopmc {

// Initialises MPI when the environment shows an MPI launcher
// (OMPI_COMM_WORLD_SIZE from Open MPI's mpirun, PMIX_RANK or PMI_SIZE from
// PMIx and PMI-2 launchers), and finalises it on destruction. Started any
// other way, the program runs in one process without calling MPI.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// This process's rank and the number of ranks: 0 and 1 without MPI.
int mpi_rank();
int mpi_ranks();

// Where rank `rank` > 0 writes its replicas' records: OUTPUT.rank-M.h5.
std::string shard_path(const std::string& output, int rank);

// First replica of rank `rank`'s block: rank * replicas / ranks.
std::uint64_t block_begin(std::uint64_t replicas, int rank, int ranks);

// Calls run_job and maps its errors to an exit status; fills the summary when
// run_job returns.
using RunAndReport = std::function<int(const Job&, const RunOptions&, RunSummary&)>;

// Runs `run` with RunOptions::part set up for this rank, and exchanges the
// plan and the outcome with the other ranks even when `run` fails. Rank 0
// writes job.output.file and removes the shards once it is complete; each
// other rank writes its shard (and so changes job.output.file). Returns this
// rank's exit status; rank 0's is non-zero whenever any rank failed or stopped.
int run_mpi_part(Job& job, const RunOptions& options, const RunAndReport& run);

}  // namespace loopmc
