// Every invalid job or option ends `loopmc run` with exit status 2 and a
// message that names the offending key, before any replica runs.

#include "support.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using loopmc::testing::TemporaryDirectory;

// A valid job: three users and three products, as in the built-in default
// job, on a horizon of 1000 steps.
const char* const kValidJob = R"(name = "valid"
[model]
a = 8.0
zeta = 0.001
sigma = 0.1
rho = 1.0
[users]
attributes = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
initial_states = [[2, 0], [0, 2], [2, 2]]
arrival = "uniform"
[products]
angles_deg = [1, 45, 89]
[schedule]
kind = "constant"
gamma = 0.01
[horizon]
steps = 1000
[checkpoints]
count = 10
[run]
replicas = 2
threads = 1
)";

struct BadInput {
  const char* rule;
  std::string arguments;  // after `loopmc run JOB --out FILE`
  std::string key;        // must appear in the message
};

const std::vector<BadInput>& bad_inputs() {
  static const std::vector<BadInput> cases = {
      {"misspelt key", "--set model.zetta=0.1", "Did you mean 'model.zeta'"},
      {"unknown table", "--set solver.kind=rk4", "solver.kind"},
      {"string for number", "--set 'model.a=\"eight\"'", "model.a"},
      {"boolean for integer", "--set run.replicas=true", "run.replicas"},
      {"value for table", "--set users.generate=5", "users.generate"},
      {"state of wrong dimension", "--set 'users.initial_states=[[2, 0, 1], [0, 2, 1], [2, 2, 1]]'",
       "users.initial_states"},
      {"ragged attributes", "--set 'users.attributes=[[1, 2, 3], [2, 3], [3, 1, 2]]'",
       "users.attributes"},
      {"count against rows", "--set users.count=4", "users.attributes"},
      {"empty attributes", "--set 'users.attributes=[[], [], []]'", "users.attributes"},
      {"v_n not spanning", "--set 'users.attributes=[[1, 2, 3], [2, 4, 6], [3, 6, 9]]'",
       "users.attributes"},
      {"fewer users than p", "--set 'users.attributes=[[1, 2, 3], [2, 3, 1]]' "
       "--set 'users.initial_states=[[2, 0], [0, 2]]'", "users.attributes"},
      {"w_k not spanning", "--set 'products.angles_deg=[45, 45, 225]'", "products.attributes"},
      {"overflowing attributes", "--set 'users.attributes=[[1e200, 2, 3], [2, 3, 1], [3, 1, 2]]'",
       "users.attributes"},
      {"negative lambda", "--set 'users.arrival=[-0.1, 0.6, 0.5]'", "users.arrival"},
      {"lambda not summing to 1", "--set 'users.arrival=[0.3, 0.3, 0.3]'", "users.arrival"},
      {"lambda of wrong length", "--set 'users.arrival=[0.5, 0.5]'", "users.arrival"},
      {"negative a", "--set model.a=-1", "model.a"},
      {"zero zeta", "--set model.zeta=0", "model.zeta"},
      {"negative zeta", "--set model.zeta=-0.001", "model.zeta"},
      {"negative sigma", "--set model.sigma=-0.1", "model.sigma"},
      {"zero rho", "--set model.rho=0", "model.rho"},
      {"t0 below 1", "--set schedule.kind=harmonic --set schedule.t0=0.5", "schedule.t0"},
      {"gamma of 1", "--set schedule.gamma=1", "schedule.gamma"},
      {"zero gamma", "--set schedule.gamma=0", "schedule.gamma"},
      {"rho gamma above 1", "--set model.rho=200", "model.rho"},
      {"unknown schedule", "--set schedule.kind=linear", "schedule.kind"},
      {"nan a", "--set model.a=nan", "model.a"},
      {"infinite zeta", "--set model.zeta=inf", "model.zeta"},
      {"nan attribute", "--set 'users.attributes=[[nan, 2, 3], [2, 3, 1], [3, 1, 2]]'",
       "users.attributes"},
      {"infinite lambda", "--set 'users.arrival=[inf, 0, 0]'", "users.arrival"},
      {"nan angle", "--set 'products.angles_deg=[1, nan, 89]'", "products.angles_deg"},
      {"infinite tau", "--set horizon.tau=inf", "horizon.tau"},
      {"nan generate bound", "--set users.count=3 --set users.dim=3 --set users.generate.high=nan",
       "users.generate.high"},
      {"zero replicas", "--set run.replicas=0", "run.replicas"},
      {"zero steps", "--set horizon.steps=0", "horizon.steps"},
      {"overflowing steps", "--set horizon.steps=9223372036854775807", "horizon.steps"},
      {"steps as huge float", "--set horizon.steps=1e30", "horizon.steps"},
      {"unreachable harmonic tau", "--set schedule.kind=harmonic --set horizon.tau=1000",
       "horizon.tau"},
      {"overflowing replica-steps", "--set run.replicas=2147483648 --set horizon.steps=4611686018427387904",
       "run.replicas"},
      {"one checkpoint", "--set checkpoints.count=1", "checkpoints.count"},
      {"zero generated users", "--set users.count=0 --set users.dim=3 --set users.generate.seed=1 "
       "--set users.initial_generate.seed=1", "users.count"},
      {"learner dimension too large", "--set users.count=200 --set users.dim=100 "
       "--set users.generate.seed=1 --set users.initial_generate.seed=1 --set products.count=200 "
       "--set products.dim=100 --set products.generate.seed=1", "users.dim"},
      {"negative threads", "--set run.threads=-1", "run.threads"},
      {"negative seed", "--set run.seed=-1", "run.seed"},
      {"unknown user state mode", "--set output.user_states=some", "output.user_states"},
      {"memory above the machine's",
       "--set users.count=1000000 --set users.dim=2 --set users.generate.seed=1 "
       "--set users.initial_generate.seed=1 --set output.user_states=all "
       "--set checkpoints.count=100000 --set horizon.steps=10000000 --set checkpoints.spacing=tau",
       "users.count"},
      {"override without value", "--set model.a", "--set 'model.a'"},
      {"force with resume", "--force --resume", "--force and --resume"},
  };
  return cases;
}

}  // namespace

TEST_CASE("bad inputs exit with status 2 naming the key") {
  TemporaryDirectory directory("bad-input");
  const std::string job = directory.file("job.toml");
  std::ofstream(job) << kValidJob;
  const std::string out = directory.file("result.h5");

  const auto valid = loopmc::testing::run_loopmc("run " + job + " --out " + out);
  REQUIRE_MESSAGE(valid.exit_status == 0, valid.output);
  std::filesystem::remove(out);

  for (const auto& input : bad_inputs()) {
    const std::string rule = input.rule;
    CAPTURE(rule);
    const auto result =
        loopmc::testing::run_loopmc("run " + job + " --out " + out + " " + input.arguments);
    CAPTURE(result.output);
    CHECK(result.exit_status == 2);
    CHECK(result.output.find(input.key) != std::string::npos);
    // Rejected before the run: no replica ran and no file was written.
    CHECK(result.output.find("finished:") == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
  }
}

TEST_CASE("empty output file is rejected") {
  TemporaryDirectory directory("bad-output-name");
  const std::string job = directory.file("job.toml");
  std::ofstream(job) << kValidJob << "[output]\nfile = \"\"\n";
  const auto result = loopmc::testing::run_loopmc("run " + job);
  CAPTURE(result.output);
  CHECK(result.exit_status == 2);
  CHECK(result.output.find("output.file") != std::string::npos);
}

TEST_CASE("malformed TOML names file and line") {
  TemporaryDirectory directory("bad-toml");
  const std::string job = directory.file("broken.toml");
  std::ofstream(job) << "[model]\na = 8.0\nzeta = [0.1,\n";
  const auto result = loopmc::testing::run_loopmc("run " + job + " --out " +
                                                  directory.file("result.h5"));
  CAPTURE(result.output);
  CHECK(result.exit_status == 2);
  CHECK(result.output.find("broken.toml:") != std::string::npos);
  CHECK(result.output.find("malformed TOML") != std::string::npos);
}

TEST_CASE("table header starting with a dot") {
  // The fuzzer found this input: toml++ 3.3.0 checks it with an assertion
  // before it reports the error, so only builds with NDEBUG reach the error.
  TemporaryDirectory directory("bad-header");
  const std::string job = directory.file("header.toml");
  std::ofstream(job) << "[model]\na = 8.0\n[.1\n";
  const auto result = loopmc::testing::run_loopmc("run " + job + " --out " +
                                                  directory.file("result.h5"));
  CAPTURE(result.output);
  CHECK(result.exit_status == 2);
  CHECK(result.output.find("header.toml:3:2") != std::string::npos);
  CHECK(result.output.find("malformed TOML") != std::string::npos);
}

TEST_CASE("missing job file is reported") {
  const auto result = loopmc::testing::run_loopmc("run /nonexistent/job.toml");
  CHECK(result.exit_status == 2);
  CHECK(result.output.find("/nonexistent/job.toml") != std::string::npos);
}

TEST_CASE("output path problems exit with status 2") {
  TemporaryDirectory directory("bad-output");
  const std::string job = directory.file("job.toml");
  std::ofstream(job) << kValidJob;

  const auto missing = loopmc::testing::run_loopmc("run " + job + " --out /nonexistent/x.h5");
  CHECK(missing.exit_status == 2);
  CHECK(missing.output.find("output.file") != std::string::npos);

  const auto directory_out = loopmc::testing::run_loopmc("run " + job + " --out " +
                                                         directory.path().string());
  CHECK(directory_out.exit_status == 2);
  CHECK(directory_out.output.find("output.file") != std::string::npos);

  const std::string existing = directory.file("existing.h5");
  std::ofstream(existing) << "not a result";
  const auto exists = loopmc::testing::run_loopmc("run " + job + " --out " + existing);
  CHECK(exists.exit_status == 2);
  CHECK(exists.output.find("--resume") != std::string::npos);

  // A file that is not a result file is never taken over by --resume.
  const auto foreign = loopmc::testing::run_loopmc("run " + job + " --out " + existing +
                                                   " --resume");
  CHECK(foreign.exit_status == 2);
  CHECK(foreign.output.find(existing) != std::string::npos);
}
