// `loopmc check` on a real run: it passes when the run follows the ODE, fails
// with exit status 3 when the ODE reference is wrong, and rejects an
// incomplete file unless --partial is given.

#include "loopmc/h5.hpp"
#include "loopmc/ode_check.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace fs = std::filesystem;
using namespace loopmc;

namespace {

int run_command(const std::string& arguments) {
  const std::string command = std::string(LOOPMC_BINARY) + " " + arguments + " > /dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A small fig3a run with harmonic steps 1/(t + 1000) to tau = 2 (6389 steps),
// made once per test process.
const fs::path& harmonic_run() {
  static const fs::path path = [] {
    const fs::path directory = fs::temp_directory_path() / "loopmc_test_check";
    fs::create_directories(directory);
    const fs::path file = directory / "fig3a-harmonic.h5";
    const int status = run_command(
        "run " + std::string(LOOPMC_SOURCE_DIR) + "/jobs/fig3a.toml --set schedule.kind=harmonic "
        "--set schedule.t0=1000 --set horizon.tau=2 --set checkpoints.count=20 --replicas 64 "
        "--threads 2 --force --out " + file.string());
    REQUIRE(status == 0);
    return file;
  }();
  return path;
}

fs::path copy_of(const fs::path& source, const std::string& name) {
  const fs::path target = source.parent_path() / name;
  fs::copy_file(source, target, fs::copy_options::overwrite_existing);
  return target;
}

}  // namespace

TEST_CASE("check passes a run that follows the ODE") {
  const fs::path file = harmonic_run();
  CHECK(run_command("check " + file.string()) == 0);

  const OdeCheckReport report = check_against_ode(file.string(), OdeCheckOptions{});
  CHECK(report.pass);
  CHECK(report.replicas == 64);
  REQUIRE(report.y.has_value());
  CHECK(report.y->max_standard_errors <= 4.0);
  CHECK(report.y->max_error < 0.01);
  REQUIRE(report.y->share_within.has_value());
  CHECK(*report.y->share_within == 1.0);
  // At t = 0 every replica equals y(0) and theta(0) = 0: zero variance, zero error.
  CHECK(report.checkpoints.front().y->max_error == 0.0);
  CHECK(report.checkpoints.front().y->max_standard_errors == 0.0);
  CHECK(report.checkpoints.front().theta.max_standard_errors == 0.0);
}

TEST_CASE("check fails a wrong ODE reference") {
  const fs::path file = copy_of(harmonic_run(), "tampered.h5");
  {
    const h5::File result = h5::File::open(file.string(), h5::File::Mode::read_write);
    h5::Dims dims;
    std::vector<double> y = h5::read_dataset<double>(result, "/ode/y", &dims);
    for (std::size_t i = y.size() / 2; i < y.size(); ++i) y[i] += 0.05;
    h5::write_dataset(result, "/ode/y", dims, y.data());
  }
  CHECK(run_command("check " + file.string()) == 3);
  const OdeCheckReport report = check_against_ode(file.string(), OdeCheckOptions{});
  CHECK_FALSE(report.pass);
  CHECK(report.checkpoints.front().pass);
  CHECK_FALSE(report.checkpoints.back().pass);
}

TEST_CASE("check rejects an incomplete file unless partial") {
  const fs::path file = copy_of(harmonic_run(), "incomplete.h5");
  {
    const h5::File result = h5::File::open(file.string(), h5::File::Mode::read_write);
    h5::write_attribute(result, "/", "complete", std::int64_t{0});
    // Replica 0 did not finish: --partial must leave it out of the means.
    const std::uint8_t unfinished = 0;
    h5::write_block(result, "/replicas/finished", {0}, {1}, &unfinished);
  }
  CHECK(run_command("check " + file.string()) == 2);
  CHECK(run_command("check --partial " + file.string()) == 0);
  OdeCheckOptions options;
  options.partial = true;
  const OdeCheckReport report = check_against_ode(file.string(), options);
  CHECK(report.replicas == 63);
  CHECK(report.pass);
}

TEST_CASE("zero variance counts only beyond rounding") {
  const std::vector<double> mean{1.0, 2.0};
  const std::vector<double> variance{0.0, 0.0};
  const std::vector<double> exact{1.0, 2.0};
  const QuantityAgreement same = compare_moments(mean.data(), variance.data(), exact.data(), 2, 10,
                                                 1e-8, 1e-10);
  CHECK(same.max_standard_errors == 0.0);
  const std::vector<double> off{1.0, 2.1};
  const QuantityAgreement apart = compare_moments(mean.data(), variance.data(), off.data(), 2, 10,
                                                  1e-8, 1e-10);
  CHECK(std::isinf(apart.max_standard_errors));
  CHECK(apart.max_error == doctest::Approx(0.1));
}
