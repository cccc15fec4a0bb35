#include "loopmc/runner.hpp"

#include "loopmc/replica.hpp"
#include "loopmc/replica_batch.hpp"
#include "loopmc/replica_summary.hpp"
#include "loopmc/result_file.hpp"
#include "loopmc/resume.hpp"
#include "loopmc/version.hpp"

#include <omp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <optional>

namespace loopmc {

namespace {

using Clock = std::chrono::steady_clock;

// Seconds between progress lines of a long run.
constexpr double kProgressSeconds = 10.0;

std::uint64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * page_size : 0;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", bytes, units[unit]);
}

// Reports progress of all threads together at a steady pace.
class ProgressMeter {
 public:
  ProgressMeter(std::uint64_t total_steps, std::uint64_t replicas, std::uint64_t finished)
      : total_(std::max<std::uint64_t>(total_steps, 1)), replicas_(replicas), finished_(finished),
        start_(Clock::now()), last_(start_) {}

  void add_steps(std::uint64_t steps) {
    done_.fetch_add(steps, std::memory_order_relaxed);
    maybe_log();
  }
  void replica_finished() {
    finished_.fetch_add(1, std::memory_order_relaxed);
    maybe_log();
  }
  std::uint64_t steps() const { return done_.load(); }

 private:
  void maybe_log() {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return;
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_).count() < kProgressSeconds) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double done = static_cast<double>(done_.load());
    const double rate = done / std::max(elapsed, 1e-9);
    const double eta = rate > 0 ? (static_cast<double>(total_) - done) / rate : 0;
    spdlog::info("progress: {}/{} replicas finished, {:.1f}% of steps, {:.3g} replica-steps/s, "
                 "ETA {:.0f} s", finished_.load(), replicas_, 100.0 * done / total_, rate, eta);
  }

  std::uint64_t total_;  // replica-steps this process runs
  std::uint64_t replicas_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> finished_;
  Clock::time_point start_;
  Clock::time_point last_;
  std::mutex mutex_;
};

void check_output_path(const Job& job, const RunOptions& options, std::uint64_t file_bytes) {
  namespace fs = std::filesystem;
  const fs::path path(job.output.file);
  // A directory is reported first: --force or --resume would not help there.
  if (fs::is_directory(path)) {
    throw RunError(fmt::format("output.file: {} is a directory. Give a file name with --out.",
                               path.string()));
  }
  if (fs::exists(path) && !options.overwrite && !options.resume) {
    throw RunError(fmt::format(
        "output.file: {} already exists. Pass --resume to continue its run, --force to replace "
        "it, or choose another file with --out.", path.string()));
  }
  const fs::path directory = fs::absolute(path).parent_path();
  if (!fs::is_directory(directory)) {
    throw RunError(fmt::format("output.file: the directory {} does not exist. Create it or choose "
                               "another file with --out.", directory.string()));
  }
  if (access(directory.c_str(), W_OK) != 0) {
    throw RunError(fmt::format("output.file: the directory {} is not writable. Choose another file with "
                               "--out.", directory.string()));
  }

  // The file is built beside the old one (on resume, or with --force) and
  // replaces it by rename at the start, so both exist at once.
  std::error_code error;
  const auto space = fs::space(directory, error);
  if (error) {
    spdlog::warn("cannot query the free space of {}: {}; the disk check is skipped",
                 directory.string(), error.message());
    return;
  }
  spdlog::info("estimated result file size: up to {}; {} free in {}",
               format_bytes(static_cast<double>(file_bytes)),
               format_bytes(static_cast<double>(space.available)), directory.string());
  if (space.available < file_bytes) {
    throw RunError(fmt::format(
        "output.file: the result file is estimated at up to {} but {} has only {} free. Free disk space, "
        "store fewer user states (--set output.user_states=none), or write elsewhere with --out.",
        format_bytes(static_cast<double>(file_bytes)), directory.string(),
        format_bytes(static_cast<double>(space.available))));
  }
}

void check_memory(const Job& job, int threads, std::uint64_t replicas) {
  const std::uint64_t needed = estimated_memory_bytes(job, threads, replicas);
  const std::uint64_t available = physical_memory_bytes();
  spdlog::info("estimated memory use: {} with {} threads (machine: {})",
               format_bytes(static_cast<double>(needed)), threads,
               format_bytes(static_cast<double>(available)));
  if (available > 0 && needed > available) {
    throw RunError(fmt::format(
        "run.threads, users.count: the run needs an estimated {} of memory with {} threads, "
        "more than this machine's {}. Lower run.threads or users.count, or set "
        "output.user_states = \"none\".",
        format_bytes(static_cast<double>(needed)), threads,
        format_bytes(static_cast<double>(available))));
  }
}

void log_start(const Job& job, int threads) {
  const Model& m = job.model;
  spdlog::info("loopmc {} ({}, {} build): job '{}' from {}", version(), git_revision(),
               build_type(), job.name, job.source);
  spdlog::info("model: N={} K={} p={} q={} a={} zeta={} sigma={} rho={}; schedule {} "
               "(t0={}, gamma={})", m.users, m.products, m.user_dim, m.product_dim, m.a, m.zeta,
               m.sigma, m.schedule.rho,
               m.schedule.kind == ScheduleKind::harmonic ? "harmonic" : "constant",
               m.schedule.t0, m.schedule.gamma);
  spdlog::info("run: {} replicas x {} steps (tau_end = {:.6g}), {} checkpoints, seed {}, {} "
               "threads, output {}", job.run.replicas, job.run.steps,
               m.schedule.tau(job.run.steps), job.run.checkpoints.size(), job.run.seed, threads,
               job.output.file);
}

// Rejects a record holding a non-finite value, so that none reaches the file.
// Replica::run checks theta and Y; this also covers every derived statistic.
void check_finite(const ReplicaRecord& record, const std::vector<std::uint64_t>& checkpoints) {
  const std::pair<const char*, const Eigen::VectorXd*> series[] = {
      {"the dispersion", &record.dispersion}, {"the tracking residual", &record.residual},
      {"the learner loss", &record.loss},     {"the drift", &record.drift},
      {"the Gini coefficient", &record.gini}, {"the entropy", &record.entropy}};
  for (const auto& [quantity, values] : series) {
    for (Eigen::Index c = 0; c < values->size(); ++c) {
      if (!std::isfinite((*values)[c])) {
        throw NumericalFault(record.replica, checkpoints[static_cast<std::size_t>(c)], quantity,
                             (*values)[c]);
      }
    }
  }
  for (Eigen::Index c = 0; c < record.theta.cols(); ++c) {
    for (Eigen::Index i = 0; i < record.theta.rows(); ++i) {
      if (!std::isfinite(record.theta(i, c))) {
        throw NumericalFault(record.replica, checkpoints[static_cast<std::size_t>(c)],
                             fmt::format("theta[{}]", i), record.theta(i, c));
      }
    }
  }
  const std::size_t per_checkpoint = record.user_states.size() / std::max<std::size_t>(
                                         checkpoints.size(), 1);
  for (std::size_t i = 0; i < record.user_states.size(); ++i) {
    if (!std::isfinite(record.user_states[i])) {
      throw NumericalFault(record.replica, checkpoints[i / per_checkpoint], "a user state",
                           record.user_states[i]);
    }
  }
}

// Takes finished replicas from every thread, in any order, under one lock
// (HDF5 here is not thread-safe): writes each to the file and merges it into
// the summary. Replicas kept from an earlier run are read back from the file
// when the summary reaches them, so the merge stays in replica order.
class ResultSink {
 public:
  ResultSink(const Job& job, ResultWriter& writer, ReplicaSummary& summary,
             std::vector<bool> stored)
      : job_(job), writer_(writer), summary_(summary), stored_(std::move(stored)),
        finished_(static_cast<std::uint64_t>(std::count(stored_.begin(), stored_.end(), true))) {
    merge_stored();
  }

  void add(const ReplicaRecord& record) {
    std::lock_guard lock(mutex_);
    check_finite(record, job_.run.checkpoints);
    writer_.write_replica(record);
    summary_.add(record);
    ++finished_;
    merge_stored();
  }

  // Keeps the first failure; returns false when one was kept already.
  bool fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (failure_) return false;
    failure_ = std::move(error);
    return true;
  }

  std::exception_ptr failure() const { return failure_; }
  std::uint64_t finished() const { return finished_; }

 private:
  void merge_stored() {
    for (std::uint64_t next = summary_.next_replica(); next < stored_.size() && stored_[next];
         next = summary_.next_replica()) {
      summary_.add(writer_.read_replica(next));
    }
  }

  const Job& job_;
  ResultWriter& writer_;
  ReplicaSummary& summary_;
  std::vector<bool> stored_;
  std::uint64_t finished_;  // kept and newly run
  std::mutex mutex_;
  std::exception_ptr failure_;
};

bool stop_requested(const RunOptions& options) {
  return options.stop_request != nullptr && options.stop_request->load();
}

// Runs every replica not in `stored`. Each thread owns one ReplicaBatch
// workspace and its records and runs lockstep batches of whole replicas, taken
// in order one at a time (dynamic schedule). A replica's draws depend only on (seed, replica), so
// results do not depend on which thread runs it. An exception never leaves
// the parallel region: the sink keeps the first and `stop` makes the other
// threads give up their replica at the next check.
void run_replicas(const Job& job, const RunOptions& options, const OutputLayout& layout,
                  int threads, const std::vector<bool>& stored, ResultSink& sink,
                  ProgressMeter& progress) {
  const SharedInputs shared(job);
  const bool keep_states = layout.replica_user_states || layout.summary_user_states;
  const auto R = static_cast<std::int64_t>(job.run.replicas);
  std::atomic<bool> stop{false};
  const auto fail = [&](std::exception_ptr error) {
    sink.fail(std::move(error));
    stop = true;
  };

  std::vector<std::uint64_t> pending;
  for (std::int64_t r = 0; r < R; ++r) {
    if (!stored[static_cast<std::size_t>(r)]) pending.push_back(static_cast<std::uint64_t>(r));
  }
  const auto batches =
      plan_batches(pending, threads, ReplicaBatch::max_replicas(job.model.dim()));
  const auto batch_count = static_cast<std::int64_t>(batches.size());

#pragma omp parallel num_threads(threads)
  {
    // This HDF5 build is thread-safe, so its error printing is set per thread.
    h5::silence_library_errors();
    std::optional<ReplicaBatch> batch;
    std::vector<ReplicaRecord> records(ReplicaBatch::kMaxReplicas);
    try {
      batch.emplace(shared, keep_states);
    } catch (...) {
      fail(std::current_exception());
    }

#pragma omp for schedule(dynamic, 1)
    for (std::int64_t b = 0; b < batch_count; ++b) {
      if (stop.load() || stop_requested(options)) continue;
      const auto& indices = batches[static_cast<std::size_t>(b)];
      try {
        batch->run(indices, records, stop, [&](std::uint64_t steps) {
          progress.add_steps(steps);
          if (stop_requested(options)) stop = true;
        });
        for (std::size_t l = 0; l < indices.size(); ++l) {
          sink.add(records[l]);
          progress.replica_finished();
        }
      } catch (const RunStopped&) {
        // Another thread failed or a stop was requested; this replica is redone on resume.
      } catch (...) {
        fail(std::current_exception());
      }
    }
  }
}

// Copies the finished replicas of the previous file into the new one.
std::vector<bool> copy_previous(ResultWriter& writer, const Job& job, const ResumePlan& plan) {
  std::vector<bool> stored(job.run.replicas, false);
  if (plan.start != ResumeStart::resume || plan.kept.empty()) return stored;
  const auto start = Clock::now();
  const h5::File previous = h5::File::open(job.output.file, h5::File::Mode::read);
  const auto copied = writer.copy_replicas(previous, plan.kept);
  for (const std::uint64_t r : copied) stored[r] = true;
  spdlog::info("resume: copied {} finished replicas from {} in {:.2f} s", copied.size(),
               job.output.file, std::chrono::duration<double>(Clock::now() - start).count());
  return stored;
}

}  // namespace

std::uint64_t estimated_memory_bytes(const Job& job, int threads, std::uint64_t replicas) {
  const Model& m = job.model;
  const OutputLayout layout = choose_layout(job);
  const double T = static_cast<double>(job.run.checkpoints.size());
  const double states = static_cast<double>(m.users) * m.product_dim;
  const double d = m.dim();
  const double summary_states = layout.summary_user_states ? T * states : 0;
  const double record_states =
      layout.replica_user_states || layout.summary_user_states ? T * states : 0;

  // Each thread runs a lockstep batch (plan_batches in replica_batch.cpp): the
  // fewest batches of up to max_replicas(d) replicas that give every thread one.
  const auto lanes = static_cast<std::uint64_t>(ReplicaBatch::max_replicas(m.dim()));
  const std::uint64_t batches = std::min(
      replicas, std::max((replicas + lanes - 1) / lanes, static_cast<std::uint64_t>(threads)));
  const double busy_threads = static_cast<double>(std::min<std::uint64_t>(batches, threads));
  const double lanes_per_thread =
      batches == 0 ? 0 : static_cast<double>((replicas + batches - 1) / batches);

  // Per replica in flight: Y, preferred products, scores and weights, and its
  // record. Per thread: the lockstep learner's factor and its saved copy,
  // d x d for each of kLanes lanes.
  const double record = T * (4.0 * m.products + 8 * (6 + d)) + 8 * record_states;
  const double per_replica = 8 * states + 4.0 * m.users + 24.0 * m.products + record;
  const double per_thread = lanes_per_thread * per_replica + 16.0 * lanes * d * d;
  // Shared: V, Y_0, lambda, the alias table (12 bytes per user) and the initial
  // preferred products, W twice, and the summary's running mean and sum of
  // squares with the copies written at the end. Also records waiting for their
  // predecessors to be merged (up to one per replica in flight), and one kept
  // replica read back from the file on resume.
  double shared = 8.0 * m.users * (m.user_dim + m.product_dim + 3) +
                  16.0 * m.products * m.product_dim;
  shared += 32 * T * d + 32 * summary_states;
  shared += (busy_threads * lanes_per_thread + 1) * (8 * T * d + 8 * summary_states) + record;
  // The ODE reference: the solution at every checkpoint.
  if (job.ode.enabled) shared += 8 * T * (states + d) + 4 * T * m.products;
  // The program, its libraries and HDF5's caches.
  shared += 64e6;
  return static_cast<std::uint64_t>(per_thread * busy_threads + shared);
}

namespace {

OutputLayout layout_for(const Job& job, const RunOptions& options) {
  return options.part && options.part->shard ? shard_layout(job) : choose_layout(job);
}

// Marks the replicas that other MPI ranks run; none in a run in one process.
std::vector<bool> other_ranks_replicas(const Job& job, const RunOptions& options) {
  std::vector<bool> skip(job.run.replicas, false);
  if (!options.part) return skip;
  for (std::uint64_t r = 0; r < job.run.replicas; ++r) {
    skip[r] = r < options.part->begin || r >= options.part->end;
  }
  return skip;
}

RunSummary already_complete(const Job& job, int threads) {
  RunSummary result;
  result.threads = threads;
  result.complete = true;
  result.already_complete = true;
  result.replicas_finished = job.run.replicas;
  return result;
}

}  // namespace

RunSummary run_job(const Job& job, const RunOptions& options) {
  const int threads = job.run.threads > 0 ? job.run.threads : omp_get_max_threads();
  const OutputLayout layout = layout_for(job, options);
  log_start(job, threads);
  spdlog::info("per-replica user states {}, their mean and variance {}",
               layout.replica_user_states ? "stored" : "not stored",
               layout.summary_user_states ? "stored" : "not stored");

  ResumePlan plan;
  if (options.resume) plan = plan_resume(job, layout);
  std::vector<bool> skip = other_ranks_replicas(job, options);
  const auto share_plan = [&] {
    return options.part && options.part->share_plan && options.part->share_plan(plan, skip);
  };
  if (plan.start == ResumeStart::complete) {
    share_plan();
    spdlog::info("resume: {} is complete; there is nothing to run", job.output.file);
    return already_complete(job, threads);
  }
  check_memory(job, threads,
               options.part ? options.part->end - options.part->begin : job.run.replicas);
  check_output_path(job, options, estimated_file_bytes(job, layout));
  if (share_plan()) return already_complete(job, threads);

  const std::string start_time = utc_timestamp();
  const auto start = Clock::now();
  ResultWriter writer(job, layout);
  const std::vector<bool> stored = copy_previous(writer, job, plan);
  writer.publish();
  for (std::size_t r = 0; r < skip.size(); ++r) skip[r] = skip[r] || stored[r];

  const auto kept = static_cast<std::uint64_t>(std::count(stored.begin(), stored.end(), true));
  const auto pending = static_cast<std::uint64_t>(std::count(skip.begin(), skip.end(), false));
  ReplicaSummary summary(job.run.checkpoints.size(), static_cast<std::size_t>(job.model.dim()),
                         layout.summary_user_states ? layout.user_state_values(job) : 0);
  ResultSink sink(job, writer, summary, stored);
  ProgressMeter progress(pending * job.run.steps, pending + kept, kept);
  run_replicas(job, options, layout, threads, skip, sink, progress);
  if (sink.failure()) std::rethrow_exception(sink.failure());

  RunSummary result;
  result.threads = threads;
  result.replicas_kept = kept;
  result.replica_steps = progress.steps();
  bool finished = sink.finished() - kept == pending;
  if (options.part && options.part->collect) {
    const auto other_steps = options.part->collect(
        finished, stored, [&](const ReplicaRecord& record) { sink.add(record); });
    finished = finished && other_steps.has_value();
    result.replica_steps += other_steps.value_or(0);
  }
  result.replicas_finished = sink.finished();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.replica_steps_per_second = static_cast<double>(result.replica_steps) /
                                    std::max(result.seconds, 1e-9);
  if (!finished) {
    result.stopped = true;
    spdlog::warn("run stopped on request after {} of {} replicas; {} is marked incomplete and "
                 "`loopmc run --resume` continues it", result.replicas_finished,
                 job.run.replicas, writer.path());
    return result;
  }
  if (options.part && options.part->shard) return result;

  RunMetadata metadata{start_time, utc_timestamp(), threads, result.seconds,
                       result.replica_steps_per_second};
  writer.finish(summary, metadata, options.write_extra);
  result.complete = true;
  spdlog::info("finished: {} replicas ({} kept from the earlier run), {} replica-steps in {:.2f} "
               "s ({:.3g} replica-steps/s); wrote {}", result.replicas_finished, kept,
               result.replica_steps, result.seconds, result.replica_steps_per_second,
               writer.path());
  return result;
}

}  // namespace loopmc
