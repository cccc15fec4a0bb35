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
#include <vector>

namespace loopmc {

// The optional datasets present in a job's result file.
struct OutputLayout {
  bool replica_user_states = false;  // /replicas/user_states [R, T, N, q]
  bool summary_user_states = false;  // /summary/Y_mean and /summary/Y_var [T, N, q]

  std::size_t user_state_values(const Job& job) const;  // T * N * q
};

OutputLayout choose_layout(const Job& job);

// Layout of an MPI shard file (mpi_run.hpp): per-replica user states whenever
// the result file stores them or their mean and variance, which rank 0
// merges from them, and no summary.
OutputLayout shard_layout(const Job& job);

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
  // Creates the file at partial_path(output.file) (truncating it), writes the
  // inputs, the job and the checkpoints, creates every per-replica dataset,
  // then switches the file to single-writer mode so that it stays readable if
  // the process dies. publish() moves it to output.file.
  ResultWriter(const Job& job, const OutputLayout& layout);
  // Removes the partial file when it was never published.
  ~ResultWriter();
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  // Copies the records of `replicas` from `previous` (a result file of the
  // same job) and marks them finished. Returns the replicas copied; one whose
  // records cannot be read is left out, logged, and is to be run again.
  std::vector<std::uint64_t> copy_replicas(const h5::File& previous,
                                           const std::vector<std::uint64_t>& replicas);

  // Renames the file to output.file, replacing what was there. Everything
  // written before is flushed, so the file that appears there is never one
  // that contains less than the file it replaces.
  void publish();

  // Appends one replica's records and flushes them to disk.
  void write_replica(const ReplicaRecord& record);

  // Reads back a replica that this file holds.
  ReplicaRecord read_replica(std::uint64_t replica) const;

  // Closes single-writer mode, writes the summary, the metadata and whatever
  // `write_extra` adds (the ODE reference), then the root attribute complete = 1.
  void finish(const ReplicaSummary& summary, const RunMetadata& metadata,
              const std::function<void(const h5::File&)>& write_extra);

  const std::string& path() const { return file_.path(); }

 private:
  void write_checkpoints();
  void create_replica_datasets();
  void write_records(const ReplicaRecord& record);
  void mark_finished(std::uint64_t replica);
  void flush(const std::string& context);

  const Job& job_;
  OutputLayout layout_;
  h5::File file_;
  bool published_ = false;
};

// Where a result file is built before publish() moves it to `path`.
std::string partial_path(const std::string& path);

// Reads replica `replica`'s records from a result file of `job`.
ReplicaRecord read_replica_record(const h5::File& file, const Job& job, const OutputLayout& layout,
                                  std::uint64_t replica);

// Current time as an ISO 8601 string in UTC.
std::string utc_timestamp();

}  // namespace loopmc
