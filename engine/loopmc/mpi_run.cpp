#include "loopmc/mpi_run.hpp"

#include "loopmc/h5.hpp"
#include "loopmc/replica.hpp"
#include "loopmc/result_file.hpp"
#include "loopmc/resume.hpp"

#ifdef LOOPMC_HAVE_MPI
#include <mpi.h>
#endif
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace loopmc {

namespace {

// The plan that rank 0 sends to the other ranks before they run any replica.
enum class PlanState : std::int32_t { run = 0, complete = 1, failed = 2 };

struct PlanMessage {
  PlanState state = PlanState::failed;
  std::vector<std::uint8_t> finished;  // per replica: 1 when it is finished in the result file
};

// The outcome that every rank sends to rank 0 after running its block.
struct Outcome {
  std::int32_t status = 0;  // the rank's exit status
  std::uint64_t replica_steps = 0;
};

bool launched_by_mpirun() {
  // Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; PMIx and PMI-2 launchers set
  // PMIX_RANK or PMI_SIZE.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

#ifdef LOOPMC_HAVE_MPI
bool mpi_initialized() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  int finalized = 0;
  MPI_Finalized(&finalized);
  return initialized != 0 && finalized == 0;
}
#endif

// Rank 0 sends, every other rank receives. Each rank waits until rank 0 has
// sent; rank 0 does not wait for the receivers.
void broadcast_plan(PlanMessage& message, std::uint64_t replicas) {
#ifdef LOOPMC_HAVE_MPI
  auto state = static_cast<std::int32_t>(message.state);
  MPI_Bcast(&state, 1, MPI_INT32_T, 0, MPI_COMM_WORLD);
  message.state = static_cast<PlanState>(state);
  message.finished.resize(replicas, 0);
  MPI_Bcast(message.finished.data(), static_cast<int>(replicas), MPI_UINT8_T, 0, MPI_COMM_WORLD);
#else
  (void)message;
  (void)replicas;
#endif
}

// Every rank sends its outcome; rank 0 waits for all of them and receives
// them in rank order. The others get an empty list.
std::vector<Outcome> gather_outcomes(const Outcome& own) {
#ifdef LOOPMC_HAVE_MPI
  const int ranks = mpi_ranks();
  std::vector<Outcome> all(mpi_rank() == 0 ? static_cast<std::size_t>(ranks) : 0);
  MPI_Gather(&own, sizeof(Outcome), MPI_BYTE, all.data(), sizeof(Outcome), MPI_BYTE, 0,
             MPI_COMM_WORLD);
  return all;
#else
  return {own};
#endif
}

PlanMessage plan_message(const ResumePlan& plan, std::uint64_t replicas) {
  PlanMessage message;
  message.state = plan.start == ResumeStart::complete ? PlanState::complete : PlanState::run;
  message.finished.assign(replicas, 0);
  for (const std::uint64_t r : plan.kept) message.finished[r] = 1;
  return message;
}

bool is_stop_status(int status) { return status == 128 + 2 || status == 128 + 15; }

// Rank 0's view of the other ranks' outcomes: throws when one failed; returns
// their replica-steps, or nullopt when one stopped on a signal.
std::optional<std::uint64_t> check_outcomes(const std::vector<Outcome>& outcomes,
                                            const std::string& output) {
  std::uint64_t steps = 0;
  bool stopped = false;
  for (std::size_t rank = 1; rank < outcomes.size(); ++rank) {
    const int status = outcomes[rank].status;
    steps += outcomes[rank].replica_steps;
    if (status == 0) continue;
    if (is_stop_status(status)) {
      spdlog::warn("rank {} stopped on a signal (exit status {})", rank, status);
      stopped = true;
      continue;
    }
    throw std::runtime_error(fmt::format(
        "rank {} failed with exit status {}; its log lines, prefixed [rank {}], say why. "
        "Finished replicas are kept in {} and {}; `mpirun ... loopmc run --resume` continues "
        "the run", rank, status, rank, output, shard_path(output, static_cast<int>(rank))));
  }
  if (stopped) return std::nullopt;
  return steps;
}

// Feeds rank `rank`'s replicas from its shard to `add`, in replica order,
// skipping those that the result file contains already.
void merge_shard(const Job& job, int rank, const std::vector<bool>& stored,
                 const RunPart::AddRecord& add) {
  const std::string path = shard_path(job.output.file, rank);
  const h5::File shard = h5::File::open(path, h5::File::Mode::read);
  const auto finished = h5::read_dataset<std::uint8_t>(shard, "/replicas/finished");
  const OutputLayout layout = shard_layout(job);
  const std::uint64_t end = block_begin(job.run.replicas, rank + 1, mpi_ranks());
  for (std::uint64_t r = block_begin(job.run.replicas, rank, mpi_ranks()); r < end; ++r) {
    if (stored[r]) continue;
    if (r >= finished.size() || finished[r] != 1) {
      throw std::runtime_error(fmt::format(
          "replica {} is neither in {} nor finished in {}; run `mpirun ... loopmc run --resume` "
          "again to run it", r, job.output.file, path));
    }
    add(read_replica_record(shard, job, layout, r));
  }
  spdlog::info("merged the replicas of rank {} from {}", rank, path);
}

void remove_shards(const std::string& output) {
  for (int rank = 1; rank < mpi_ranks(); ++rank) {
    const std::string path = shard_path(output, rank);
    std::error_code error;
    std::filesystem::remove(path, error);
    if (error) spdlog::warn("could not remove the shard file {}: {}", path, error.message());
  }
}

void log_split(const Job& job) {
  const int ranks = mpi_ranks();
  spdlog::info("MPI: {} ranks; rank 0 runs replicas [0, {}) and writes {}; rank m > 0 runs "
               "replicas [m R / {}, (m + 1) R / {}) into {}.rank-m.h5, which rank 0 merges at "
               "the end. Progress lines count rank 0's replicas; the final line counts all ranks",
               ranks, block_begin(job.run.replicas, 1, ranks), job.output.file, ranks, ranks,
               job.output.file);
}

int run_rank_zero(Job& job, RunOptions options, const RunAndReport& run) {
  log_split(job);
  bool shared = false;
  bool gathered = false;
  RunPart& part = *options.part;
  part.share_plan = [&](const ResumePlan& plan, std::vector<bool>&) {
    PlanMessage message = plan_message(plan, job.run.replicas);
    broadcast_plan(message, job.run.replicas);
    shared = true;
    return message.state == PlanState::complete;
  };
  part.collect = [&](bool own_finished, const std::vector<bool>& stored,
                     const RunPart::AddRecord& add) -> std::optional<std::uint64_t> {
    const auto outcomes = gather_outcomes({own_finished ? 0 : 128 + 15, 0});
    gathered = true;
    const auto steps = check_outcomes(outcomes, job.output.file);
    if (!steps || !own_finished) return std::nullopt;
    for (int rank = 1; rank < mpi_ranks(); ++rank) merge_shard(job, rank, stored, add);
    return steps;
  };

  RunSummary summary;
  const int status = run(job, options, summary);
  // A run that failed before its collectives still takes part in them, so
  // that the other ranks learn of the failure instead of waiting forever.
  if (!shared) {
    PlanMessage failed;
    broadcast_plan(failed, job.run.replicas);
  }
  if (!gathered) {
    const auto outcomes = gather_outcomes({status, 0});
    for (std::size_t rank = 1; rank < outcomes.size(); ++rank) {
      if (outcomes[rank].status != 0) {
        spdlog::error("rank {} ended with exit status {}", rank, outcomes[rank].status);
      }
    }
  }
  if (status == 0 && summary.complete) remove_shards(job.output.file);
  return status;
}

int run_other_rank(Job& job, RunOptions options, const RunAndReport& run) {
  const int rank = mpi_rank();
  bool shared = false;
  RunPart& part = *options.part;
  part.shard = true;
  part.share_plan = [&](const ResumePlan&, std::vector<bool>& skip) {
    PlanMessage message;
    broadcast_plan(message, job.run.replicas);
    shared = true;
    if (message.state == PlanState::failed) {
      throw RunError("rank 0 failed to start the run; its log above names the error");
    }
    if (message.state == PlanState::complete) return true;
    for (std::size_t r = 0; r < skip.size(); ++r) skip[r] = skip[r] || message.finished[r] == 1;
    return false;
  };
  // A shard is an internal file: a fresh run replaces it without --force.
  options.overwrite = options.overwrite || !options.resume;
  job.output.file = shard_path(job.output.file, rank);

  RunSummary summary;
  const int status = run(job, options, summary);
  if (!shared) {
    PlanMessage ignored;
    broadcast_plan(ignored, job.run.replicas);
  }
  gather_outcomes({status, status == 0 ? summary.replica_steps : 0});
  return status;
}

}  // namespace

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpirun()) return;
#ifdef LOOPMC_HAVE_MPI
  // Only the main thread calls MPI, outside OpenMP regions.
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  if (mpi_ranks() > 1) {
    spdlog::set_pattern(fmt::format("[%Y-%m-%d %H:%M:%S.%e] [rank {}] [%^%l%$] %v", mpi_rank()));
  }
#else
  (void)argc;
  (void)argv;
  spdlog::warn("started by mpirun, but this loopmc build has no MPI support, so every rank runs "
               "the whole job; rebuild with Open MPI installed");
#endif
}

MpiSession::~MpiSession() {
#ifdef LOOPMC_HAVE_MPI
  if (mpi_initialized()) MPI_Finalize();
#endif
}

int mpi_rank() {
  int rank = 0;
#ifdef LOOPMC_HAVE_MPI
  if (mpi_initialized()) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
#endif
  return rank;
}

int mpi_ranks() {
  int ranks = 1;
#ifdef LOOPMC_HAVE_MPI
  if (mpi_initialized()) MPI_Comm_size(MPI_COMM_WORLD, &ranks);
#endif
  return ranks;
}

std::string shard_path(const std::string& output, int rank) {
  return fmt::format("{}.rank-{}.h5", output, rank);
}

std::uint64_t block_begin(std::uint64_t replicas, int rank, int ranks) {
  // floor(R m / M) without forming R m, which can overflow: R = (R / M) M + R % M.
  const auto m = static_cast<std::uint64_t>(rank);
  const auto count = static_cast<std::uint64_t>(ranks);
  return replicas / count * m + replicas % count * m / count;
}

int run_mpi_part(Job& job, const RunOptions& options, const RunAndReport& run) {
  const int rank = mpi_rank();
  const int ranks = mpi_ranks();
  RunOptions part_options = options;
  part_options.part = RunPart{block_begin(job.run.replicas, rank, ranks),
                              block_begin(job.run.replicas, rank + 1, ranks), false, {}, {}};
  if (rank == 0) return run_rank_zero(job, std::move(part_options), run);
  // Other ranks report warnings and errors only; rank 0 logs for the run.
  if (spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  return run_other_rank(job, std::move(part_options), run);
}

}  // namespace loopmc
