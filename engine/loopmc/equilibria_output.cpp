#include "loopmc/equilibria_output.hpp"

#include "loopmc/h5.hpp"
#include "loopmc/ode_output.hpp"
#include "loopmc/version.hpp"

#include <cstdint>
#include <vector>

namespace loopmc {

namespace {

// The equilibria stacked along a first axis of length E.
struct StackedEquilibria {
  std::vector<double> y, theta, residual, dispersion, max_real, error, eigen_real, eigen_imag;
  std::vector<std::int32_t> counts, starts, stability;
  hsize_t eigenvalue_count = 0;
};

StackedEquilibria stack(const EquilibriumReport& report) {
  StackedEquilibria stacked;
  for (const Equilibrium& e : report.equilibria) {
    stacked.y.insert(stacked.y.end(), e.Y.data(), e.Y.data() + e.Y.size());
    stacked.theta.insert(stacked.theta.end(), e.theta.data(), e.theta.data() + e.theta.size());
    stacked.counts.insert(stacked.counts.end(), e.counts.data(), e.counts.data() + e.counts.size());
    stacked.residual.push_back(e.residual);
    stacked.dispersion.push_back(e.dispersion);
    stacked.max_real.push_back(e.max_real_eigenvalue);
    stacked.error.push_back(e.fixed_point_error);
    stacked.starts.push_back(e.starts);
    stacked.stability.push_back(static_cast<std::int32_t>(e.stability));
    stacked.eigenvalue_count = static_cast<hsize_t>(e.eigenvalues.size());
  }
  // Eigenvalues are stored only when every equilibrium was classified.
  for (const Equilibrium& e : report.equilibria) {
    if (static_cast<hsize_t>(e.eigenvalues.size()) != stacked.eigenvalue_count) {
      stacked.eigenvalue_count = 0;
    }
  }
  if (stacked.eigenvalue_count == 0) return stacked;
  for (const Equilibrium& e : report.equilibria) {
    for (Eigen::Index i = 0; i < e.eigenvalues.size(); ++i) {
      stacked.eigen_real.push_back(e.eigenvalues[i].real());
      stacked.eigen_imag.push_back(e.eigenvalues[i].imag());
    }
  }
  return stacked;
}

void write_search_attributes(const h5::File& file, const EquilibriumSearch& search,
                             const EquilibriumReport& report) {
  const std::string group = "/equilibria";
  h5::write_attribute(file, group, "a", report.a);
  h5::write_attribute(file, group, "consensus_bound", report.consensus_bound);
  h5::write_attribute(file, group, "users_on_hyperplane",
                      std::int64_t{report.users_on_hyperplane ? 1 : 0});
  h5::write_attribute(file, group, "starts", std::int64_t{report.starts});
  h5::write_attribute(file, group, "failed_starts", std::int64_t{report.failed_starts});
  h5::write_attribute(file, group, "settle_tau", report.settle_tau);
  h5::write_attribute(file, group, "seed", static_cast<std::int64_t>(search.seed));
  h5::write_attribute(file, group, "newton_tol", search.newton_tol);
  h5::write_attribute(file, group, "stability_tol", search.stability_tol);
  h5::write_attribute(file, group, "stability_codes",
                      std::string("0 stable, 1 unstable, 2 marginal, 3 unclassified"));
  h5::write_attribute(file, group, "jacobian",
                      std::string("central differences of the full ODE right-hand side"));
}

}  // namespace

void write_equilibria_file(const Job& job, const EquilibriumSearch& search,
                           const EquilibriumReport& report, const std::string& path) {
  const Model& m = job.model;
  const StackedEquilibria stacked = stack(report);
  const hsize_t E = report.equilibria.size();
  const auto N = static_cast<hsize_t>(m.users);
  const auto q = static_cast<hsize_t>(m.product_dim);

  h5::File file = h5::File::create(path, /*swmr_format=*/false);
  h5::write_attribute(file, "/", "complete", std::int64_t{0});
  h5::write_attribute(file, "/", "format", std::string("loopmc-equilibria-1"));
  h5::write_attribute(file, "/", "loopmc_version", std::string(version()));
  h5::write_attribute(file, "/", "git_revision", std::string(git_revision()));
  write_job_and_inputs(file, job);

  h5::create_groups_for(file, "/equilibria/y");
  if (E > 0) {
    h5::write_dataset(file, "/equilibria/y", {E, N, q}, stacked.y.data());
    h5::write_dataset(file, "/equilibria/theta", {E, static_cast<hsize_t>(m.dim())},
                      stacked.theta.data());
    h5::write_dataset(file, "/equilibria/preference_counts", {E, static_cast<hsize_t>(m.products)},
                      stacked.counts.data());
    h5::write_dataset(file, "/equilibria/residual", {E}, stacked.residual.data());
    h5::write_dataset(file, "/equilibria/dispersion", {E}, stacked.dispersion.data());
    h5::write_dataset(file, "/equilibria/max_real_eigenvalue", {E}, stacked.max_real.data());
    h5::write_dataset(file, "/equilibria/fixed_point_error", {E}, stacked.error.data());
    h5::write_dataset(file, "/equilibria/starts", {E}, stacked.starts.data());
    h5::write_dataset(file, "/equilibria/stability", {E}, stacked.stability.data());
  }
  if (E > 0 && stacked.eigenvalue_count > 0) {
    h5::write_dataset(file, "/equilibria/eigenvalues_real", {E, stacked.eigenvalue_count},
                      stacked.eigen_real.data());
    h5::write_dataset(file, "/equilibria/eigenvalues_imag", {E, stacked.eigenvalue_count},
                      stacked.eigen_imag.data());
  }
  write_search_attributes(file, search, report);

  file.flush();
  h5::write_attribute(file, "/", "complete", std::int64_t{1});
  file.close();
}

}  // namespace loopmc
