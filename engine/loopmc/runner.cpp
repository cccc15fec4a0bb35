#include "loopmc/runner.hpp"

#include "loopmc/replica.hpp"
#include "loopmc/replica_summary.hpp"
#include "loopmc/result_file.hpp"
#include "loopmc/version.hpp"

#include <omp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
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
  ProgressMeter(std::uint64_t total_steps, std::uint64_t replicas)
      : total_(total_steps), replicas_(replicas), start_(Clock::now()), last_(start_) {}

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

  std::uint64_t total_;
  std::uint64_t replicas_;
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> finished_{0};
  Clock::time_point start_;
  Clock::time_point last_;
  std::mutex mutex_;
};

void check_output_path(const Job& job, const RunOptions& options, std::uint64_t file_bytes) {
  namespace fs = std::filesystem;
  const fs::path path(job.output.file);
  if (fs::exists(path) && !options.overwrite) {
    throw RunError(fmt::format(
        "output file {} already exists. Pass --force to replace it, or choose another file "
        "with --out.", path.string()));
  }
  const fs::path directory = fs::absolute(path).parent_path();
  if (!fs::is_directory(directory)) {
    throw RunError(fmt::format("output directory {} does not exist. Create it or choose "
                               "another file with --out.", directory.string()));
  }
  std::error_code error;
  const auto space = fs::space(directory, error);
  if (!error && space.available < file_bytes) {
    throw RunError(fmt::format(
        "the result file is estimated at {} but {} has only {} free. Free disk space, store "
        "fewer user states (output.user_states = \"none\"), or write elsewhere with --out.",
        format_bytes(static_cast<double>(file_bytes)), directory.string(),
        format_bytes(static_cast<double>(space.available))));
  }
}

void check_memory(const Job& job, int threads) {
  const std::uint64_t needed = estimated_memory_bytes(job, threads);
  const std::uint64_t available = physical_memory_bytes();
  spdlog::info("estimated memory use: {} with {} threads (machine: {})",
               format_bytes(static_cast<double>(needed)), threads,
               format_bytes(static_cast<double>(available)));
  if (available > 0 && needed > available) {
    throw RunError(fmt::format(
        "the run needs an estimated {} of memory, more than this machine's {}. Lower "
        "run.threads, users.count, or set output.user_states = \"none\".",
        format_bytes(static_cast<double>(needed)), format_bytes(static_cast<double>(available))));
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

}  // namespace

std::uint64_t estimated_memory_bytes(const Job& job, int threads) {
  const OutputLayout layout = choose_layout(job);
  const double T = static_cast<double>(job.run.checkpoints.size());
  const double states = static_cast<double>(job.model.users) * job.model.product_dim;
  const double d = job.model.dim();
  const bool keep = layout.replica_user_states || layout.summary_user_states;

  // Per thread: Y, preferred products, the learner, scores, and one record.
  double per_thread = 8 * states + 4.0 * job.model.users + 8 * d * d + 24.0 * job.model.products +
                      T * (4.0 * job.model.products + 8 * (6 + d));
  if (keep) per_thread += 8 * T * states;
  // Shared: inputs, the summary accumulators, and records waiting to be merged in order.
  double shared = 8.0 * job.model.users * (job.model.user_dim + 2 * job.model.product_dim + 1);
  shared += 16 * T * d;
  if (layout.summary_user_states) shared += 16 * T * states + 8 * T * states * threads;
  return static_cast<std::uint64_t>(per_thread * threads + shared + 64e6);
}

RunSummary run_job(const Job& job, const RunOptions& options) {
  const int threads = job.run.threads > 0 ? job.run.threads : omp_get_max_threads();
  const OutputLayout layout = choose_layout(job);
  const std::uint64_t file_bytes = estimated_file_bytes(job, layout);

  log_start(job, threads);
  spdlog::info("estimated result file size: {} (before compression); per-replica user states "
               "{}, their mean and variance {}", format_bytes(static_cast<double>(file_bytes)),
               layout.replica_user_states ? "stored" : "not stored",
               layout.summary_user_states ? "stored" : "not stored");
  check_memory(job, threads);
  check_output_path(job, options, file_bytes);

  const std::string start_time = utc_timestamp();
  const auto start = Clock::now();
  ResultWriter writer(job, layout);
  const SharedInputs shared(job);
  ReplicaSummary summary(job.run.checkpoints.size(), static_cast<std::size_t>(job.model.dim()),
                         layout.summary_user_states ? layout.user_state_values(job) : 0);
  ProgressMeter progress(job.run.replicas * job.run.steps, job.run.replicas);

  std::atomic<bool> stop{false};
  std::mutex output_mutex;
  std::exception_ptr failure;
  std::uint64_t finished = 0;
  const bool keep_states = layout.replica_user_states || layout.summary_user_states;
  const auto R = static_cast<std::int64_t>(job.run.replicas);

  // Parallel region: each thread owns one Replica workspace and one record and
  // runs whole replicas, taken in order one at a time (dynamic schedule). A
  // replica's draws depend only on (seed, replica), so results do not depend
  // on which thread runs it. Threads share the result file and the summary,
  // both behind output_mutex (HDF5 here is not thread-safe). An exception
  // never leaves the region: the first is kept in `failure` and `stop` makes
  // the other threads give up their replica at the next check.
#pragma omp parallel num_threads(threads)
  {
    std::optional<Replica> replica;
    ReplicaRecord record;
    try {
      replica.emplace(shared, keep_states);
    } catch (...) {
      std::lock_guard lock(output_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }

#pragma omp for schedule(dynamic, 1)
    for (std::int64_t r = 0; r < R; ++r) {
      if (stop.load() || (options.stop_request && options.stop_request->load())) continue;
      try {
        replica->run(static_cast<std::uint64_t>(r), record, stop,
                     [&](std::uint64_t steps) {
                       progress.add_steps(steps);
                       if (options.stop_request && options.stop_request->load()) stop = true;
                     });
        std::lock_guard lock(output_mutex);
        writer.write_replica(record);
        summary.add(record);
        ++finished;
        progress.replica_finished();
      } catch (const RunStopped&) {
        // Another thread failed or a stop was requested; this replica is redone on resume.
      } catch (...) {
        std::lock_guard lock(output_mutex);
        if (!failure) failure = std::current_exception();
        stop = true;
      }
    }
  }

  if (failure) std::rethrow_exception(failure);

  RunSummary result;
  result.threads = threads;
  result.replicas_finished = finished;
  result.replica_steps = progress.steps();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.replica_steps_per_second = static_cast<double>(result.replica_steps) /
                                    std::max(result.seconds, 1e-9);
  if (finished < job.run.replicas) {
    result.stopped = true;
    spdlog::warn("run stopped on request after {} of {} replicas; {} is marked incomplete",
                 finished, job.run.replicas, writer.path());
    return result;
  }

  RunMetadata metadata{start_time, utc_timestamp(), threads, result.seconds,
                       result.replica_steps_per_second};
  writer.finish(summary, metadata, options.write_extra);
  result.complete = true;
  spdlog::info("finished: {} replicas, {} replica-steps in {:.2f} s ({:.3g} replica-steps/s); "
               "wrote {}", finished, result.replica_steps, result.seconds,
               result.replica_steps_per_second, writer.path());
  return result;
}

}  // namespace loopmc
