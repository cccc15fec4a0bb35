#pragma once
// The HDF5 result file of a run: its layout, the writer that streams replica
// records into it while the run goes, and the final summary and `complete` mark.
// The layout is documented in docs/output.md.

#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"
#include "loopmc/replica.hpp"
#include "loopmc/replica_summary.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace loopmc {

// Which optional datasets a job's result file holds.
struct OutputLayout {
  bool replica_user_states = false;  // /replicas/user_states [R, T, N, q]
  bool summary_user_states = false;  // /summary/Y_mean and /summary/Y_var [T, N, q]

  std::size_t user_state_values(const Job& job) const;  // T * N * q
};

OutputLayout choose_layout(const Job& job);

// Estimated size in bytes of the finished result file (before compression).
std::uint64_t estimated_file_bytes(const Job& job, const OutputLayout& layout);

struct RunMetadata {
  std::string start_time;  // ISO 8601, UTC
  std::string end_time;
  int threads = 1;
  double seconds = 0;
  double replica_steps_per_second = 0;
};

class ResultWriter {
 public:
  // Creates the file (truncating it), writes the inputs, the job and the
  // checkpoints, creates every per-replica dataset, then switches the file to
  // single-writer mode so that it stays readable if the process dies.
  ResultWriter(const Job& job, const OutputLayout& layout);

  // Appends one replica's records and flushes them to disk.
  void write_replica(const ReplicaRecord& record);

  // Closes single-writer mode, writes the summary, the metadata and whatever
  // `write_extra` adds (the ODE reference), then the root attribute complete = 1.
  void finish(const ReplicaSummary& summary, const RunMetadata& metadata,
              const std::function<void(const h5::File&)>& write_extra);

  const std::string& path() const { return path_; }

 private:
  void write_inputs();
  void create_replica_datasets();

  const Job& job_;
  OutputLayout layout_;
  std::string path_;
  h5::File file_;
};

// Current time as an ISO 8601 string in UTC.
std::string utc_timestamp();

}  // namespace loopmc
