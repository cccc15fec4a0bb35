#pragma once
// Runs a job's replicas in parallel with OpenMP and streams their records to
// the result file.

#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <stdexcept>

namespace loopmc {

struct RunOptions {
  bool overwrite = false;  // replace an existing result file
  // Set from a signal handler to stop the run cleanly; may be null.
  const std::atomic<bool>* stop_request = nullptr;
  // Writes extra datasets (the ODE reference) before the file is marked complete.
  std::function<void(const h5::File&)> write_extra;
};

struct RunSummary {
  std::uint64_t replicas_finished = 0;
  std::uint64_t replica_steps = 0;
  double seconds = 0;
  double replica_steps_per_second = 0;
  int threads = 1;
  bool complete = false;
  bool stopped = false;  // stopped on request before finishing
};

// A run that could not start or could not finish. The message says why and
// what to do; nothing is marked complete.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks that the run can start (output path, disk room, memory), logs the
// estimates, then runs every replica. Throws RunError or h5::H5Error.
RunSummary run_job(const Job& job, const RunOptions& options);

// Bytes of memory the run is estimated to need with `threads` threads.
std::uint64_t estimated_memory_bytes(const Job& job, int threads);

}  // namespace loopmc
