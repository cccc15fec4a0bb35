#pragma once
// Agreement of a run's Monte Carlo replicas with the ODE limit, checkpoint by
// checkpoint: how far the replica mean of Y and theta lies from y(tau) and
// theta(tau), in absolute terms and in standard errors of the mean, and which
// share of the replicas lies near the ODE. docs/ode-check.md describes the
// statistics and their assumptions.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace loopmc {

struct OdeCheckOptions {
  double level = 4.0;      // a checkpoint passes when every mean is within `level` standard errors
  double distance = 0.1;   // radius of the per-replica share (see QuantityAgreement)
  bool partial = false;    // accept a file whose `complete` attribute is 0, using finished replicas
  // Whether theta's mean enters the verdict when the file stores user states.
  // Off by default: theta_t = S_t^-1 B_t is a ratio whose mean differs from
  // s(tau)^-1 b(tau) by a small-sample bias that shrinks like 1/t, which the
  // ODE does not model and more replicas do not remove.
  bool check_theta = false;
};

// Agreement of one quantity (the user states Y or theta) at one checkpoint,
// or over all checkpoints.
struct QuantityAgreement {
  double max_error = 0;  // max over coordinates of |mean - ode|
  // max over coordinates of |mean - ode| / sqrt(var / R). A coordinate with
  // zero variance counts 0 when |mean - ode| <= 10 (abs_tol + rel_tol |ode|)
  // (rounding and the ODE's own error) and +infinity otherwise.
  double max_standard_errors = 0;
  // Share of replicas within `distance` of the ODE: for Y, max_n |Y_n - y_n| <=
  // distance (Euclidean per user); for theta, |theta - theta(tau)| <= distance
  // * max(1, |theta(tau)|). Absent when the per-replica values are not stored.
  std::optional<double> share_within;
};

struct CheckpointAgreement {
  std::uint64_t step = 0;
  double tau = 0;
  std::optional<QuantityAgreement> y;  // absent when the file stores no user states
  QuantityAgreement theta;
  // Y's max_standard_errors <= level, and theta's too when check_theta is set
  // or the file stores no user states.
  bool pass = false;
};

struct OdeCheckReport {
  std::string path;
  std::uint64_t replicas = 0;  // replicas in the means (the finished ones)
  double level = 0;
  double distance = 0;
  std::vector<CheckpointAgreement> checkpoints;
  // Over all checkpoints: the largest errors and the smallest share.
  std::optional<QuantityAgreement> y;
  QuantityAgreement theta;
  bool pass = false;
  // Facts a reader needs beside the table: skipped columns, an ODE computed
  // from /job/toml because the file had none, an incomplete file.
  std::vector<std::string> notes;
};

// A result file that cannot be checked: not complete (without `partial`),
// fewer than 2 finished replicas, or missing datasets. The message states why and what to do.
class OdeCheckError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Compares the run in the result file at `path` with the ODE limit. Uses
// /ode when present, else integrates the ODE of the stored job (/job/toml).
// Throws OdeCheckError, h5::H5Error, or OdeError.
OdeCheckReport check_against_ode(const std::string& path, const OdeCheckOptions& options);

// The mean comparison for one quantity: `mean`, `variance` (divisor R - 1)
// and `ode`, each `size` values, over `replicas` replicas. The ODE tolerances
// set the zero-variance rule above. Leaves share_within empty.
QuantityAgreement compare_moments(const double* mean, const double* variance, const double* ode,
                                  std::size_t size, std::uint64_t replicas, double rel_tol,
                                  double abs_tol);

}  // namespace loopmc
