// Equilibria of the ODE: consensus in the jobs/fig3b.toml setting (a = 4), a
// single equilibrium per user when N = p and a lies below 2 / ||W||_2^2.

#include "loopmc/equilibria.hpp"
#include "loopmc/h5.hpp"
#include "loopmc/job.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

using namespace loopmc;

namespace {

Job figure_job(const std::string& name, const std::vector<std::string>& overrides = {}) {
  const std::string path = std::string(LOOPMC_SOURCE_DIR) + "/jobs/" + name + ".toml";
  std::ifstream file(path);
  REQUIRE_MESSAGE(file.good(), "cannot open " << path);
  std::stringstream text;
  text << file.rdbuf();
  return parse_job(text.str(), path, overrides);
}

}  // namespace

TEST_CASE("figure 3b has a stable consensus equilibrium") {
  const Job job = figure_job("fig3b");
  EquilibriumSearch search;
  search.starts = 16;
  const EquilibriumReport report = find_equilibria(job.model, search);
  CHECK(report.users_on_hyperplane);
  CHECK(report.failed_starts == 0);
  REQUIRE_FALSE(report.equilibria.empty());
  const Equilibrium& consensus = report.equilibria.front();
  CHECK(consensus.stability == Stability::stable);
  CHECK(consensus.max_real_eigenvalue < -1e-3);
  CHECK(consensus.dispersion < 1e-8);
  CHECK(consensus.residual < 1e-8);
  CHECK(consensus.counts.maxCoeff() == job.model.users);
}

TEST_CASE("N = p below the bound has one equilibrium") {
  // Figure 2's setting: N = p = 2, a = 0.5 < 2 / ||W||_2^2 = 0.98.
  const Job job = figure_job("fig2");
  EquilibriumSearch search;
  search.starts = 16;
  const EquilibriumReport report = find_equilibria(job.model, search);
  CHECK(job.model.a < report.consensus_bound);
  CHECK(report.consensus_bound == doctest::Approx(0.98285).epsilon(1e-4));
  REQUIRE(report.equilibria.size() == 1);
  CHECK(report.equilibria.front().starts == 16 - report.failed_starts);
  CHECK(report.equilibria.front().stability == Stability::stable);
  // Lemma: with N = p every equilibrium tracks the population exactly.
  CHECK(report.equilibria.front().residual < 1e-8);
}

TEST_CASE("figure 3a has several equilibria") {
  const Job job = figure_job("fig3a");
  EquilibriumSearch search;
  search.starts = 16;
  const EquilibriumReport report = find_equilibria(job.model, search);
  CHECK(report.equilibria.size() > 1);
  int stable = 0;
  int unstable = 0;
  for (const Equilibrium& e : report.equilibria) {
    stable += e.stability == Stability::stable;
    unstable += e.stability == Stability::unstable;
  }
  CHECK(stable >= 2);
  CHECK(unstable >= 1);
}

TEST_CASE("hyperplane test of user attributes") {
  Eigen::MatrixXd on_plane(3, 4);
  on_plane << 1, 2, 0.5, 3,
              2, 1, 4, 0,
              1, 1, 1, 1;
  CHECK(lie_on_affine_hyperplane(on_plane));
  Eigen::MatrixXd general = on_plane;
  general(2, 3) = 2;
  CHECK_FALSE(lie_on_affine_hyperplane(general));
}

TEST_CASE("equilibria command writes a complete file") {
  const auto directory = std::filesystem::temp_directory_path() / "loopmc_test_equilibria";
  std::filesystem::create_directories(directory);
  const auto path = (directory / "fig3b-equilibria.h5").string();
  const std::string command = std::string(LOOPMC_BINARY) + " equilibria " + LOOPMC_SOURCE_DIR +
                              "/jobs/fig3b.toml --starts 4 --force --out " + path +
                              " > /dev/null 2>&1";
  const int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const h5::File file = h5::File::open(path, h5::File::Mode::read);
  CHECK(h5::read_number_attribute(file, "/", "complete") == 1.0);
  h5::Dims dims;
  h5::read_dataset<double>(file, "/equilibria/y", &dims);
  CHECK(dims == h5::Dims{1, 3, 2});
  CHECK(h5::read_dataset<std::int32_t>(file, "/equilibria/stability") == std::vector<std::int32_t>{0});
}
