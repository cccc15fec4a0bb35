// A run's datasets do not depend on the thread count. /job/toml differs by
// design (it records run.threads and output.file) and /metadata contains timings.

#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using loopmc::testing::TemporaryDirectory;
using loopmc::testing::differing_datasets;
using loopmc::testing::run_loopmc;

TEST_CASE("one and two threads give identical datasets") {
  const TemporaryDirectory directory("determinism");
  const std::string job = std::string(LOOPMC_SOURCE_DIR) + "/jobs/fig3a.toml";
  const std::string common = " --replicas 12 --set horizon.tau=20 --set ode.enabled=false ";

  const auto one = run_loopmc("run " + job + common + "--threads 1 --out " + directory.file("one.h5"));
  REQUIRE_MESSAGE(one.exit_status == 0, one.output);
  const auto two = run_loopmc("run " + job + common + "--threads 2 --out " + directory.file("two.h5"));
  REQUIRE_MESSAGE(two.exit_status == 0, two.output);

  const auto differing = differing_datasets(directory.file("one.h5"), directory.file("two.h5"),
                                            {"/metadata", "/job"});
  CHECK_MESSAGE(differing.empty(), "datasets differ: " << differing.size());
  for (const auto& path : differing) MESSAGE("differs: " << path);

  // The comparison saw the datasets the run must write.
  const auto paths = loopmc::testing::dataset_paths(directory.file("one.h5"));
  for (const char* required : {"/checkpoints/t", "/checkpoints/tau", "/replicas/preference_counts",
                               "/replicas/theta", "/replicas/user_states", "/summary/Y_mean",
                               "/summary/theta_var", "/inputs/V", "/job/toml"}) {
    CHECK_MESSAGE(std::find(paths.begin(), paths.end(), std::string(required)) != paths.end(), required);
  }
}

TEST_CASE("fig4a-sized job is thread-count independent") {
  // d = 25 and K = 10 exercise the vectorised score and softmax code paths.
  const TemporaryDirectory directory("determinism-large");
  const std::string job = std::string(LOOPMC_SOURCE_DIR) + "/jobs/fig4a.toml";
  const std::string common = " --replicas 6 --set horizon.tau=5 --set ode.enabled=false ";

  const auto one = run_loopmc("run " + job + common + "--threads 1 --out " + directory.file("one.h5"));
  REQUIRE_MESSAGE(one.exit_status == 0, one.output);
  const auto two = run_loopmc("run " + job + common + "--threads 2 --out " + directory.file("two.h5"));
  REQUIRE_MESSAGE(two.exit_status == 0, two.output);
  CHECK(differing_datasets(directory.file("one.h5"), directory.file("two.h5"), {"/metadata", "/job"}).empty());
}
