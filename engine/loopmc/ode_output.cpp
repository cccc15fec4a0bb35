#include "loopmc/ode_output.hpp"

#include "loopmc/version.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace loopmc {

namespace {

using h5::Dims;

hsize_t as_size(long value) { return static_cast<hsize_t>(value); }

// One observed point of the ODE: user states, theta and preference counts.
struct OdePoint {
  Eigen::MatrixXd Y;  // q x N
  Eigen::VectorXd theta;
  Eigen::VectorXi counts;  // K
};

OdePoint observe_point(const OdeSystem& system, const std::vector<double>& x) {
  const Model& m = system.model();
  OdePoint point{system.y(x.data()), system.theta(x.data()), Eigen::VectorXi::Zero(m.products)};
  for (int n = 0; n < m.users; ++n) ++point.counts[preferred_product(m.W, point.Y.col(n))];
  return point;
}

// Rows of /ode (or /ode/grid) kept in memory, T x (N q), T x d and T x K.
struct OdeRows {
  std::vector<double> y, theta;
  std::vector<std::int32_t> counts;

  void append(const OdePoint& point) {
    y.insert(y.end(), point.Y.data(), point.Y.data() + point.Y.size());
    theta.insert(theta.end(), point.theta.data(), point.theta.data() + point.theta.size());
    counts.insert(counts.end(), point.counts.data(), point.counts.data() + point.counts.size());
  }
};

void write_rows(const h5::File& file, const std::string& group, const Model& m,
                const std::vector<double>& tau, const OdeRows& rows) {
  const hsize_t T = tau.size();
  h5::write_dataset(file, group + "/tau", {T}, tau.data());
  h5::write_dataset(file, group + "/y", {T, as_size(m.users), as_size(m.product_dim)},
                    rows.y.data());
  h5::write_dataset(file, group + "/theta", {T, as_size(m.dim())}, rows.theta.data());
  h5::write_dataset(file, group + "/preference_counts", {T, as_size(m.products)},
                    rows.counts.data());
}

void write_ode_attributes(const h5::File& file, const Job& job) {
  h5::write_attribute(file, "/ode", "rel_tol", job.ode.rel_tol);
  h5::write_attribute(file, "/ode", "abs_tol", job.ode.abs_tol);
  h5::write_attribute(file, "/ode", "method", std::string(ode_method_name()));
}

std::vector<double> checkpoint_times(const Job& job, std::size_t count) {
  std::vector<double> tau(count);
  for (std::size_t i = 0; i < count; ++i) tau[i] = job.model.schedule.tau(job.run.checkpoints[i]);
  return tau;
}

// Integrates through the union of two increasing time lists, sending each
// point to the rows of the list(s) it came from.
void integrate_two_lists(const Job& job, const std::vector<double>& first,
                         const std::vector<double>& second, OdeRows& first_rows,
                         OdeRows& second_rows) {
  std::vector<double> times = first;
  times.insert(times.end(), second.begin(), second.end());
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());

  const OdeSystem system(job.model);
  std::size_t next_first = 0;
  std::size_t next_second = 0;
  integrate_ode(system, system.initial_state(), times, ode_integration(job),
                [&](std::size_t, double tau, const std::vector<double>& x) {
                  const OdePoint point = observe_point(system, x);
                  while (next_first < first.size() && first[next_first] == tau) {
                    first_rows.append(point);
                    ++next_first;
                  }
                  while (next_second < second.size() && second[next_second] == tau) {
                    second_rows.append(point);
                    ++next_second;
                  }
                });
}

}  // namespace

double ode_horizon(const Job& job, std::optional<double> tau_end) {
  if (tau_end) return *tau_end;
  if (job.run.tau_end) return *job.run.tau_end;
  return job.model.schedule.tau(job.run.steps);
}

OdeIntegration ode_integration(const Job& job) {
  OdeIntegration settings;
  settings.rel_tol = job.ode.rel_tol;
  settings.abs_tol = job.ode.abs_tol;
  return settings;
}

void write_ode_reference(const h5::File& file, const Job& job) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double> tau = checkpoint_times(job, job.run.checkpoints.size());
  OdeRows rows;
  OdeRows unused;
  integrate_two_lists(job, tau, {}, rows, unused);
  write_rows(file, "/ode", job.model, tau, rows);
  write_ode_attributes(file, job);
  spdlog::info("ODE reference: {} checkpoints to tau = {:.6g} in {:.3f} s", tau.size(),
               tau.empty() ? 0.0 : tau.back(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void write_ode_reference_or_log(const h5::File& file, const Job& job) {
  try {
    write_ode_reference(file, job);
  } catch (const OdeError& error) {
    spdlog::error("the ODE reference is left out of {}: {}", file.path(), error.what());
  }
}

void write_ode_file(const Job& job, double tau_end, const std::string& path) {
  // Checkpoints past the horizon are left out, so /ode/tau may be shorter than the job's list.
  std::size_t count = 0;
  while (count < job.run.checkpoints.size() &&
         job.model.schedule.tau(job.run.checkpoints[count]) <= tau_end * (1 + 1e-12)) {
    ++count;
  }
  const std::vector<double> checkpoint_tau = checkpoint_times(job, count);
  const int G = job.ode.grid_points;
  std::vector<double> grid_tau(static_cast<std::size_t>(G));
  for (int g = 0; g < G; ++g) grid_tau[static_cast<std::size_t>(g)] = tau_end * g / (G - 1);

  // NOTE: the grid is kept in memory until written: G N q doubles (160 MB for
  // G = 400, N = 10^4, q = 5). Lower ode.grid_points for larger populations.
  OdeRows checkpoint_rows;
  OdeRows grid_rows;
  integrate_two_lists(job, checkpoint_tau, grid_tau, checkpoint_rows, grid_rows);

  h5::File file = h5::File::create(path, /*swmr_format=*/false);
  h5::write_attribute(file, "/", "complete", std::int64_t{0});
  h5::write_attribute(file, "/", "format", std::string("loopmc-ode-1"));
  h5::write_attribute(file, "/", "loopmc_version", std::string(version()));
  h5::write_attribute(file, "/", "git_revision", std::string(git_revision()));
  write_job_and_inputs(file, job);
  const std::vector<std::uint64_t> steps(job.run.checkpoints.begin(),
                                         job.run.checkpoints.begin() + static_cast<long>(count));
  h5::write_dataset(file, "/checkpoints/t", {count}, steps.data());
  h5::write_dataset(file, "/checkpoints/tau", {count}, checkpoint_tau.data());
  write_rows(file, "/ode", job.model, checkpoint_tau, checkpoint_rows);
  write_rows(file, "/ode/grid", job.model, grid_tau, grid_rows);
  write_ode_attributes(file, job);
  h5::write_attribute(file, "/ode", "tau_end", tau_end);

  file.flush();
  h5::write_attribute(file, "/", "complete", std::int64_t{1});
  file.close();
}

}  // namespace loopmc
