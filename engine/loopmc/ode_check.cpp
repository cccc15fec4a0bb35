#include "loopmc/ode_check.hpp"

#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"
#include "loopmc/ode.hpp"
#include "loopmc/ode_output.hpp"

#include <Eigen/Dense>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace loopmc {

namespace {

using h5::Dims;

// The ODE at the checkpoints, [T, N q] and [T, d] row-major.
struct OdeReference {
  std::vector<double> y, theta;
  double rel_tol = 1e-8;
  double abs_tol = 1e-10;
};

// Mean and variance (divisor R - 1) over replicas, [T, size] row-major.
struct Moments {
  std::vector<double> mean, variance;
};

// Sizes of the result file's arrays.
struct Shape {
  std::size_t T = 0, users = 0, q = 0, d = 0, R = 0;
  std::size_t states() const { return users * q; }
};

OdeReference integrate_stored_job(const h5::File& file, const std::vector<double>& tau) {
  const Job job = parse_job(h5::read_string_dataset(file, "/job/toml"), file.path() + ":/job/toml", {});
  const OdeSystem system(job.model);
  OdeReference reference{{}, {}, job.ode.rel_tol, job.ode.abs_tol};
  integrate_ode(system, system.initial_state(), tau, ode_integration(job),
                [&](std::size_t, double, const std::vector<double>& x) {
                  const auto Y = system.y(x.data());
                  reference.y.insert(reference.y.end(), Y.data(), Y.data() + Y.size());
                  const Eigen::VectorXd theta = system.theta(x.data());
                  reference.theta.insert(reference.theta.end(), theta.data(),
                                         theta.data() + theta.size());
                });
  return reference;
}

OdeReference read_ode_reference(const h5::File& file, const std::vector<double>& tau,
                                std::vector<std::string>& notes) {
  if (!h5::exists(file, "/ode/y")) {
    notes.push_back("the file has no /ode group (ode.enabled = false, or the integration failed "
                    "during the run); the ODE was integrated here from /job/toml");
    return integrate_stored_job(file, tau);
  }
  const std::vector<double> stored_tau = h5::read_dataset<double>(file, "/ode/tau");
  if (stored_tau.size() != tau.size()) {
    throw OdeCheckError(fmt::format(
        "{}: /ode/tau has {} entries but /checkpoints/tau has {}; the file is inconsistent. "
        "Rerun the job.", file.path(), stored_tau.size(), tau.size()));
  }
  OdeReference reference;
  reference.y = h5::read_dataset<double>(file, "/ode/y");
  reference.theta = h5::read_dataset<double>(file, "/ode/theta");
  reference.rel_tol = h5::read_number_attribute(file, "/ode", "rel_tol").value_or(1e-8);
  reference.abs_tol = h5::read_number_attribute(file, "/ode", "abs_tol").value_or(1e-10);
  return reference;
}

// Welford's update over replicas, one [T, size] block per replica.
class MomentAccumulator {
 public:
  explicit MomentAccumulator(std::size_t values) : mean_(values, 0.0), squares_(values, 0.0) {}

  void add(const std::vector<double>& values) {
    ++count_;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double delta = values[i] - mean_[i];
      mean_[i] += delta / static_cast<double>(count_);
      squares_[i] += delta * (values[i] - mean_[i]);
    }
  }

  Moments moments() const {
    Moments result{mean_, squares_};
    for (double& value : result.variance) value /= static_cast<double>(count_ - 1);
    return result;
  }

 private:
  std::vector<double> mean_, squares_;
  std::size_t count_ = 0;
};

// Counts, per checkpoint, the replicas that lie within the stated distance of the ODE.
class ShareCounter {
 public:
  ShareCounter(std::size_t checkpoints, std::size_t block, std::size_t group)
      : counts_(checkpoints, 0), block_(block), group_(group) {}

  // `relative`: the distance scales with max(1, |ode|), else it is absolute per group.
  void add(const std::vector<double>& values, const std::vector<double>& ode, double distance,
           bool relative) {
    ++replicas_;
    for (std::size_t t = 0; t < counts_.size(); ++t) {
      const Eigen::Map<const Eigen::MatrixXd> own(values.data() + t * block_, group_, block_ / group_);
      const Eigen::Map<const Eigen::MatrixXd> limit(ode.data() + t * block_, group_, block_ / group_);
      const double gap = (own - limit).colwise().norm().maxCoeff();
      const double radius = relative ? distance * std::max(1.0, limit.norm()) : distance;
      if (gap <= radius) ++counts_[t];
    }
  }

  double share(std::size_t t) const { return static_cast<double>(counts_[t]) / replicas_; }

 private:
  std::vector<std::size_t> counts_;
  std::size_t block_, group_;
  std::size_t replicas_ = 0;
};

std::vector<std::uint8_t> finished_replicas(const h5::File& file, const Shape& shape,
                                            bool use_all) {
  if (use_all) return std::vector<std::uint8_t>(shape.R, 1);
  return h5::read_dataset<std::uint8_t>(file, "/replicas/finished");
}

std::vector<double> read_replica(const h5::File& file, const std::string& path, std::size_t r,
                                 const Shape& shape, std::size_t values) {
  Dims offset{r, 0, 0};
  Dims count{1, shape.T, values};
  if (path == "/replicas/user_states") {
    offset.push_back(0);
    count = {1, shape.T, shape.users, shape.q};
  }
  return h5::read_block<double>(file, path, offset, count);
}

}  // namespace

QuantityAgreement compare_moments(const double* mean, const double* variance, const double* ode,
                                  std::size_t size, std::uint64_t replicas, double rel_tol,
                                  double abs_tol) {
  QuantityAgreement agreement;
  for (std::size_t i = 0; i < size; ++i) {
    const double error = std::abs(mean[i] - ode[i]);
    agreement.max_error = std::max(agreement.max_error, error);
    double standard_errors = 0;
    if (variance[i] > 0) {
      standard_errors = error / std::sqrt(variance[i] / static_cast<double>(replicas));
    } else if (error > 10 * (abs_tol + rel_tol * std::abs(ode[i]))) {
      standard_errors = std::numeric_limits<double>::infinity();
    }
    agreement.max_standard_errors = std::max(agreement.max_standard_errors, standard_errors);
  }
  return agreement;
}

namespace {

Shape read_shape(const h5::File& file) {
  Shape shape;
  const Dims theta = h5::dataset_shape(file, "/replicas/theta");  // [R, T, d]
  const Dims states = h5::dataset_shape(file, "/inputs/Y0");      // [N, q]
  shape.R = theta[0];
  shape.T = theta[1];
  shape.d = theta[2];
  shape.users = states[0];
  shape.q = states[1];
  return shape;
}

// Returns whether the file is complete; throws unless it is or `partial` is set.
bool require_complete(const h5::File& file, const OdeCheckOptions& options,
                      std::vector<std::string>& notes) {
  const auto format = h5::read_string_attribute(file, "/", "format");
  if (format != "loopmc-result-1" || !h5::exists(file, "/replicas/theta")) {
    throw OdeCheckError(fmt::format(
        "{} is not a loopmc result file with replicas (its root attribute 'format' is '{}', "
        "expected 'loopmc-result-1'). Give a file written by `loopmc run`.",
        file.path(), format.value_or("missing")));
  }
  const bool complete = h5::read_number_attribute(file, "/", "complete").value_or(0) == 1;
  if (complete) return true;
  if (!options.partial) {
    throw OdeCheckError(fmt::format(
        "{} is not complete (root attribute complete = 0): its run is still going, was stopped "
        "or died. Pass --partial to check the replicas that finished.", file.path()));
  }
  notes.push_back("the file is not complete; only its finished replicas are compared");
  return false;
}

// Per-replica pass over the finished replicas: the moments when the file has
// no summary, and the shares within the stated distance.
struct ReplicaPass {
  std::optional<Moments> theta, y;
  std::vector<double> theta_share, y_share;
  std::size_t replicas = 0;
};

ReplicaPass scan_replicas(const h5::File& file, const Shape& shape, const OdeReference& ode,
                          const OdeCheckOptions& options, bool need_moments, bool use_all) {
  const bool has_states = h5::exists(file, "/replicas/user_states");
  const std::vector<std::uint8_t> finished = finished_replicas(file, shape, use_all);
  MomentAccumulator theta_moments(shape.T * shape.d);
  MomentAccumulator y_moments(has_states ? shape.T * shape.states() : 0);
  ShareCounter theta_share(shape.T, shape.d, shape.d);
  ShareCounter y_share(shape.T, shape.states(), shape.q);

  ReplicaPass pass;
  for (std::size_t r = 0; r < shape.R; ++r) {
    if (finished[r] == 0) continue;
    ++pass.replicas;
    const std::vector<double> theta = read_replica(file, "/replicas/theta", r, shape, shape.d);
    theta_share.add(theta, ode.theta, options.distance, /*relative=*/true);
    if (need_moments) theta_moments.add(theta);
    if (!has_states) continue;
    const std::vector<double> states = read_replica(file, "/replicas/user_states", r, shape, 0);
    y_share.add(states, ode.y, options.distance, /*relative=*/false);
    if (need_moments) y_moments.add(states);
  }
  if (pass.replicas < 2) {
    throw OdeCheckError(fmt::format(
        "{} has {} finished replica(s); a standard error needs at least 2. Run more replicas.",
        file.path(), pass.replicas));
  }
  for (std::size_t t = 0; t < shape.T; ++t) {
    pass.theta_share.push_back(theta_share.share(t));
    if (has_states) pass.y_share.push_back(y_share.share(t));
  }
  if (need_moments) {
    pass.theta = theta_moments.moments();
    if (has_states) pass.y = y_moments.moments();
  }
  return pass;
}

void read_summary_moments(const h5::File& file, ReplicaPass& pass) {
  pass.theta = Moments{h5::read_dataset<double>(file, "/summary/theta_mean"),
                       h5::read_dataset<double>(file, "/summary/theta_var")};
  if (h5::exists(file, "/summary/Y_mean")) {
    pass.y = Moments{h5::read_dataset<double>(file, "/summary/Y_mean"),
                     h5::read_dataset<double>(file, "/summary/Y_var")};
  }
}

void merge_overall(std::optional<QuantityAgreement>& overall, const QuantityAgreement& at) {
  if (!overall) {
    overall = at;
    return;
  }
  overall->max_error = std::max(overall->max_error, at.max_error);
  overall->max_standard_errors = std::max(overall->max_standard_errors, at.max_standard_errors);
  if (overall->share_within && at.share_within) {
    overall->share_within = std::min(*overall->share_within, *at.share_within);
  }
}

CheckpointAgreement compare_checkpoint(std::size_t t, const Shape& shape, const ReplicaPass& pass,
                                       const OdeReference& ode, const OdeCheckOptions& options) {
  CheckpointAgreement at;
  const std::size_t d = shape.d;
  at.theta = compare_moments(pass.theta->mean.data() + t * d, pass.theta->variance.data() + t * d,
                             ode.theta.data() + t * d, d, pass.replicas, ode.rel_tol, ode.abs_tol);
  at.theta.share_within = pass.theta_share[t];
  const bool theta_pass = at.theta.max_standard_errors <= options.level;
  if (!pass.y) {
    at.pass = theta_pass;
    return at;
  }
  const std::size_t size = shape.states();
  at.y = compare_moments(pass.y->mean.data() + t * size, pass.y->variance.data() + t * size,
                         ode.y.data() + t * size, size, pass.replicas, ode.rel_tol, ode.abs_tol);
  if (!pass.y_share.empty()) at.y->share_within = pass.y_share[t];
  at.pass = at.y->max_standard_errors <= options.level && (theta_pass || !options.check_theta);
  return at;
}

}  // namespace

OdeCheckReport check_against_ode(const std::string& path, const OdeCheckOptions& options) {
  const h5::File file = h5::File::open(path, h5::File::Mode::read);
  OdeCheckReport report;
  report.path = path;
  report.level = options.level;
  report.distance = options.distance;
  const bool complete = require_complete(file, options, report.notes);

  const Shape shape = read_shape(file);
  const std::vector<std::uint64_t> steps = h5::read_dataset<std::uint64_t>(file, "/checkpoints/t");
  const std::vector<double> tau = h5::read_dataset<double>(file, "/checkpoints/tau");
  const OdeReference ode = read_ode_reference(file, tau, report.notes);

  // A complete file's summary already merges every replica.
  ReplicaPass pass = scan_replicas(file, shape, ode, options, /*need_moments=*/!complete,
                                   /*use_all=*/complete);
  if (complete) read_summary_moments(file, pass);
  if (!pass.y) {
    report.notes.push_back("the file stores no user states (output.user_states), so the verdict "
                           "rests on theta");
  } else if (!options.check_theta) {
    report.notes.push_back("theta is shown but left out of the verdict: its mean carries a "
                           "small-sample bias of order 1/t that the ODE does not model "
                           "(--check-theta includes it)");
  }
  if (pass.y && pass.y_share.empty()) {
    report.notes.push_back("the file stores no per-replica user states (/replicas/user_states), "
                           "so the share of replicas near y(tau) is not shown");
  }

  report.replicas = pass.replicas;
  report.pass = true;
  std::optional<QuantityAgreement> overall_theta;
  for (std::size_t t = 0; t < shape.T; ++t) {
    CheckpointAgreement at = compare_checkpoint(t, shape, pass, ode, options);
    at.step = steps[t];
    at.tau = tau[t];
    merge_overall(overall_theta, at.theta);
    if (at.y) merge_overall(report.y, *at.y);
    report.pass = report.pass && at.pass;
    report.checkpoints.push_back(at);
  }
  report.theta = overall_theta.value_or(QuantityAgreement{});
  return report;
}

}  // namespace loopmc
