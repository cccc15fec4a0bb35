#pragma once
// The end state of a run, read back from its HDF5 result file: the job, the
// replica statistics at the last checkpoint and, when the file has /ode, how
// far the Monte Carlo mean lies from the ODE limit. `loopmc summary` prints it.

#include "loopmc/ode_check.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loopmc {

// Distribution of one quantity over the finished replicas.
struct Spread {
  double mean = 0;
  double std_dev = 0;  // sample standard deviation (divisor R - 1); 0 for one replica
  double min = 0;
  double max = 0;
};

Spread spread_of(const std::vector<double>& values);

// Agreement of the replicas with the ODE limit, as `loopmc check` computes it
// (see ode_check.hpp), reduced to what a summary shows.
struct OdeAgreement {
  double level = 0;            // standard errors within which a checkpoint passes
  double distance = 0;         // radius behind the share_within fields
  std::size_t replicas = 0;    // replicas in the means
  CheckpointAgreement last;    // at the last checkpoint
  bool pass = false;           // every checkpoint within `level` standard errors
  std::vector<std::string> notes;
};

struct ResultSummary {
  std::string path;
  bool complete = false;

  // The job.
  std::string name;
  std::string source;
  std::size_t users = 0, products = 0, user_dim = 0, product_dim = 0;  // N, K, p, q
  double a = 0;
  std::string schedule;  // "harmonic" or "constant"
  double gamma = 0, t0 = 0, rho = 0;

  // The run.
  std::size_t replicas = 0;           // R, the replicas the file has room for
  std::size_t finished_replicas = 0;  // those whose records are all on disk
  std::size_t checkpoints = 0;
  std::uint64_t steps = 0;            // the last checkpoint's step
  double tau_end = 0;                 // and its ODE time

  // At the last checkpoint, over the finished replicas.
  std::vector<Spread> preference_counts;  // [K]
  Spread dispersion;
  double consensus_tolerance = 0;
  std::size_t consensus_replicas = 0;  // replicas whose dispersion < consensus_tolerance
  Spread residual;
  Spread loss;

  // Present when the file has /ode.
  std::optional<std::vector<std::int32_t>> ode_preference_counts;  // of y(tau_end), [K]
  std::optional<double> ode_dispersion;  // max_n |y_n - mean_m y_m| at tau_end
  // Present when the file has /ode and at least 2 finished replicas; otherwise
  // ode_note states why it is absent.
  std::optional<OdeAgreement> ode_agreement;
  std::string ode_note;
};

// Dispersion below which a replica counts as having reached consensus.
inline constexpr double kDefaultConsensusTolerance = 1e-3;

// Reads the result file at `path`. Reads files whose `complete` attribute is 0
// as well, from their finished replicas; the caller decides whether to accept them (see `complete`). Throws
// h5::H5Error when the file cannot be read and std::runtime_error when it is
// not a loopmc result file or no replica has finished.
ResultSummary read_result_summary(const std::string& path,
                                  double consensus_tolerance = kDefaultConsensusTolerance);

}  // namespace loopmc
