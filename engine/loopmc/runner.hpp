#pragma once
// Runs a job's replicas in parallel with OpenMP and streams their records to
// the result file.

#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <vector>

namespace loopmc {

struct ReplicaRecord;
struct ResumePlan;

// This process's part of a run split among MPI ranks (mpi_run.cpp sets it up).
// Rank 0 writes the result file; every other rank writes its replicas' records
// to a shard file, which rank 0 copies in at the end.
struct RunPart {
  std::uint64_t begin = 0;  // replicas this process runs: [begin, end)
  std::uint64_t end = 0;
  // Writes per-replica records only: no summary, no ODE reference, no
  // `complete` mark, and per-replica user states whenever the result file
  // stores them or their mean and variance.
  bool shard = false;
  // Called once the output checks have passed and before any replica runs.
  // It may mark replicas in `skip` that this process need not run. Returns
  // true when the run has nothing left to do because the result file is complete.
  std::function<bool(const ResumePlan& plan, std::vector<bool>& skip)> share_plan;
  // Rank 0 only: called after its own replicas, with whether they all
  // finished and the replicas that the result file held before the run. Waits
  // for the other ranks, passes their records to `add` in replica order and
  // returns their replica-steps; returns nullopt when a rank stopped early.
  using AddRecord = std::function<void(const ReplicaRecord&)>;
  std::function<std::optional<std::uint64_t>(bool own_finished, const std::vector<bool>& stored,
                                              const AddRecord& add)>
      collect;
};

struct RunOptions {
  bool overwrite = false;  // replace an existing result file
  // Continue the run in output.file: keep its finished replicas, run the rest.
  // Starts a fresh run when the file does not exist.
  bool resume = false;
  // Set from a signal handler to stop the run cleanly; may be null.
  const std::atomic<bool>* stop_request = nullptr;
  // Writes extra datasets (the ODE reference) before the file is marked complete.
  std::function<void(const h5::File&)> write_extra;
  // Unset for a run in one process.
  std::optional<RunPart> part;
};

struct RunSummary {
  std::uint64_t replicas_finished = 0;
  std::uint64_t replica_steps = 0;
  double seconds = 0;
  double replica_steps_per_second = 0;
  int threads = 1;
  std::uint64_t replicas_kept = 0;  // finished replicas taken over from the file on resume
  bool complete = false;
  bool already_complete = false;  // resume found the file complete and did nothing
  bool stopped = false;  // stopped on request before finishing
};

// A run that could not start or could not finish. The message states the
// cause and the fix, and nothing is marked complete.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks that the run can start (output path, disk room, memory), logs the
// estimates, then runs every replica (on resume, every replica the file does
// not hold finished). Throws RunError, NumericalFault or h5::H5Error; the file
// then contains every replica finished before the failure, marked incomplete.
RunSummary run_job(const Job& job, const RunOptions& options);

// Bytes of memory the run is estimated to need when this process runs
// `replicas` replicas with `threads` threads.
std::uint64_t estimated_memory_bytes(const Job& job, int threads, std::uint64_t replicas);

}  // namespace loopmc
