// `loopmc summary`: its JSON against the datasets of the result file, the
// table, and the handling of incomplete files.

#include "loopmc/h5.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

namespace {

using loopmc::testing::run_loopmc;
using loopmc::testing::TemporaryDirectory;
using Json = nlohmann::json;

constexpr std::size_t kReplicas = 4;

// Runs loopmc with `arguments` and returns its stdout alone; logs go to stderr.
std::string loopmc_stdout(const std::string& arguments, int& exit_status) {
  const std::string command = std::string(LOOPMC_BINARY) + " " + arguments + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    output += buffer.data();
  }
  const int status = pclose(pipe);
  exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

Json summary_json(const std::string& arguments) {
  int exit_status = -1;
  const std::string output = loopmc_stdout("summary --json " + arguments, exit_status);
  REQUIRE(exit_status == 0);
  return Json::parse(output);
}

// The built-in default job (N = K = p = 3, q = 2, a = 8) to tau = 50, 4 replicas.
struct RunFixture {
  TemporaryDirectory dir{"summary"};
  std::string result = dir.file("default.h5");
  RunFixture() {
    const auto run = run_loopmc("run --replicas 4 --set horizon.tau=50 --out " + result);
    REQUIRE_MESSAGE(run.exit_status == 0, run.output);
  }
};

// Values of the [R, T] dataset `name` at the last checkpoint.
std::vector<double> last_column(const loopmc::h5::File& file, const std::string& name) {
  loopmc::h5::Dims dims;
  const auto values = loopmc::h5::read_dataset<double>(file, "/replicas/" + name, &dims);
  std::vector<double> column;
  for (std::size_t r = 0; r < dims[0]; ++r) column.push_back(values[r * dims[1] + dims[1] - 1]);
  return column;
}

void check_spread(const Json& spread, const std::vector<double>& values) {
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  double squares = 0;
  for (double value : values) squares += (value - mean) * (value - mean);
  CHECK(spread["mean"].get<double>() == doctest::Approx(mean).epsilon(1e-12));
  CHECK(spread["std_dev"].get<double>() ==
        doctest::Approx(std::sqrt(squares / (values.size() - 1))).epsilon(1e-12));
  CHECK(spread["min"].get<double>() == *std::min_element(values.begin(), values.end()));
  CHECK(spread["max"].get<double>() == *std::max_element(values.begin(), values.end()));
}

void mark_incomplete(const std::string& path, std::size_t unfinished_replica) {
  const auto file = loopmc::h5::File::open(path, loopmc::h5::File::Mode::read_write);
  loopmc::h5::write_attribute(file, "/", "complete", std::int64_t{0});
  const std::uint8_t zero = 0;
  loopmc::h5::write_block(file, "/replicas/finished", {unfinished_replica}, {1}, &zero);
}

}  // namespace

TEST_CASE_FIXTURE(RunFixture, "summary JSON matches the job and run") {
  const Json json = summary_json(result);
  CHECK(json["complete"] == true);
  CHECK(json["job"]["name"] == "default");
  CHECK(json["job"]["N"] == 3);
  CHECK(json["job"]["K"] == 3);
  CHECK(json["job"]["p"] == 3);
  CHECK(json["job"]["q"] == 2);
  CHECK(json["job"]["a"] == 8.0);
  CHECK(json["job"]["schedule"] == "constant");
  CHECK(json["run"]["replicas"] == kReplicas);
  CHECK(json["run"]["finished_replicas"] == kReplicas);

  const auto file = loopmc::h5::File::open(result, loopmc::h5::File::Mode::read);
  const auto steps = loopmc::h5::read_dataset<std::uint64_t>(file, "/checkpoints/t");
  const auto tau = loopmc::h5::read_dataset<double>(file, "/checkpoints/tau");
  CHECK(json["run"]["checkpoints"] == steps.size());
  CHECK(json["run"]["steps"] == steps.back());
  CHECK(json["run"]["tau"].get<double>() == tau.back());
}

TEST_CASE_FIXTURE(RunFixture, "summary JSON matches the last checkpoint") {
  const Json json = summary_json(result);
  const auto file = loopmc::h5::File::open(result, loopmc::h5::File::Mode::read);

  loopmc::h5::Dims dims;  // [R, T, K]
  const auto counts = loopmc::h5::read_dataset<std::int32_t>(file, "/replicas/preference_counts", &dims);
  REQUIRE(json["preference_counts"].size() == dims[2]);
  double total = 0;
  for (std::size_t k = 0; k < dims[2]; ++k) {
    std::vector<double> values;
    for (std::size_t r = 0; r < dims[0]; ++r) {
      values.push_back(counts[(r * dims[1] + dims[1] - 1) * dims[2] + k]);
    }
    check_spread(json["preference_counts"][k], values);
    total += json["preference_counts"][k]["mean"].get<double>();
  }
  CHECK(total == doctest::Approx(3.0));  // every one of the N = 3 users prefers one product

  check_spread(json["dispersion"], last_column(file, "dispersion"));
  check_spread(json["residual"], last_column(file, "residual"));
  check_spread(json["loss"], last_column(file, "loss"));
}

TEST_CASE_FIXTURE(RunFixture, "summary ODE agreement matches /ode") {
  const Json json = summary_json(result);
  const auto file = loopmc::h5::File::open(result, loopmc::h5::File::Mode::read);
  loopmc::h5::Dims dims;  // [T, N, q]
  const auto mean = loopmc::h5::read_dataset<double>(file, "/summary/Y_mean", &dims);
  const auto variance = loopmc::h5::read_dataset<double>(file, "/summary/Y_var");
  const auto ode = loopmc::h5::read_dataset<double>(file, "/ode/y");
  const std::size_t size = dims[1] * dims[2];
  const std::size_t last = (dims[0] - 1) * size;
  double max_error = 0, max_standard_errors = 0;
  for (std::size_t i = last; i < last + size; ++i) {
    const double error = std::abs(mean[i] - ode[i]);
    max_error = std::max(max_error, error);
    max_standard_errors = std::max(max_standard_errors, error / std::sqrt(variance[i] / kReplicas));
  }

  const Json& y = json["ode_agreement"]["y"];
  CHECK(y["max_error"].get<double>() == doctest::Approx(max_error).epsilon(1e-12));
  CHECK(y["max_standard_errors"].get<double>() ==
        doctest::Approx(max_standard_errors).epsilon(1e-12));
  CHECK(json["ode_agreement"]["replicas"] == kReplicas);

  const auto ode_counts = loopmc::h5::read_dataset<std::int32_t>(file, "/ode/preference_counts");
  const std::vector<std::int32_t> last_counts(ode_counts.end() - 3, ode_counts.end());
  CHECK(json["ode_preference_counts"].get<std::vector<std::int32_t>>() == last_counts);
}

TEST_CASE_FIXTURE(RunFixture, "summary consensus follows the tolerance") {
  const auto dispersion = last_column(
      loopmc::h5::File::open(result, loopmc::h5::File::Mode::read), "dispersion");
  const double largest = *std::max_element(dispersion.begin(), dispersion.end());
  const double smallest = *std::min_element(dispersion.begin(), dispersion.end());

  const Json above = summary_json(result + " --consensus-tolerance " + std::to_string(largest * 2));
  CHECK(above["consensus"]["replicas"] == kReplicas);
  const Json below = summary_json(result + " --consensus-tolerance " + std::to_string(smallest / 2));
  CHECK(below["consensus"]["replicas"] == 0);
  CHECK(below["consensus"]["tolerance"].get<double>() == doctest::Approx(smallest / 2));
}

TEST_CASE_FIXTURE(RunFixture, "summary table names the job") {
  int exit_status = -1;
  const std::string table = loopmc_stdout("summary " + result, exit_status);
  CHECK(exit_status == 0);
  CHECK(table.find("default (built-in default)") != std::string::npos);
  CHECK(table.find("N=3 K=3 p=3 q=2 a=8, constant schedule gamma=0.01") != std::string::npos);
  CHECK(table.find("4 of 4 replicas finished") != std::string::npos);
  CHECK(table.find("have dispersion < 0.001") != std::string::npos);
  CHECK(table.find("ODE agreement at tau=50") != std::string::npos);
}

TEST_CASE_FIXTURE(RunFixture, "summary rejects an incomplete file") {
  mark_incomplete(result, 1);
  const auto refused = run_loopmc("summary " + result);
  CHECK(refused.exit_status == 2);
  CHECK(refused.output.find("incomplete") != std::string::npos);
  CHECK(refused.output.find("--partial") != std::string::npos);

  const Json json = summary_json("--partial " + result);
  CHECK(json["complete"] == false);
  CHECK(json["run"]["finished_replicas"] == kReplicas - 1);
  // Replica 1 no longer counts: the spread is over replicas 0, 2 and 3.
  auto dispersion = last_column(loopmc::h5::File::open(result, loopmc::h5::File::Mode::read),
                                "dispersion");
  dispersion.erase(dispersion.begin() + 1);
  check_spread(json["dispersion"], dispersion);
}

TEST_CASE("summary of a missing file fails") {
  const auto missing = run_loopmc("summary /nonexistent/result.h5");
  CHECK(missing.exit_status == 2);
  CHECK(missing.output.find("result file not found: /nonexistent/result.h5") != std::string::npos);
}
