// SIGTERM and SIGINT stop a run with exit status 128 + signal, leave the file
// marked incomplete with its finished replicas, and `--resume` completes it to
// the bytes of an uninterrupted run.

#include "loopmc/h5.hpp"
#include "test_resume_support.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

namespace {

using loopmc::testing::ChildRun;
using loopmc::testing::TemporaryDirectory;

const char* const kJob = R"(name = "signal"
[model]
a = 8.0
zeta = 0.001
sigma = 0.1
[users]
attributes = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
initial_states = [[2, 0], [0, 2], [2, 2]]
[products]
angles_deg = [1, 45, 89]
[schedule]
kind = "constant"
gamma = 0.01
[horizon]
tau = 1200.0
[checkpoints]
count = 20
[run]
replicas = 48
seed = 3
threads = 2
[output]
file = "result.h5"
)";

void write_job(const TemporaryDirectory& directory) {
  std::ofstream(directory.file("job.toml")) << kJob;
}

void stop_and_resume(int signal_number) {
  loopmc::h5::silence_library_errors();
  TemporaryDirectory reference("signal-reference");
  write_job(reference);
  ChildRun uninterrupted(reference.path().string(), {"run", "job.toml"}, "log");
  REQUIRE(uninterrupted.wait() == 0);

  TemporaryDirectory directory("signal-stopped");
  write_job(directory);
  const std::string result = directory.file("result.h5");
  ChildRun run(directory.path().string(), {"run", "job.toml"}, "stopped-log");
  REQUIRE(loopmc::testing::wait_for_finished(result, 1, std::chrono::seconds(20)));
  run.send(signal_number);
  CHECK(run.wait() == 128 + signal_number);
  const std::string log = run.log();
  INFO(log);
  CHECK(log.find("--resume") != std::string::npos);

  // The file was closed cleanly, so a plain read-only open works. Its
  // complete mark is 0 and it contains the replicas finished before the signal.
  CHECK(loopmc::testing::complete_mark(result) == 0);
  const int finished = loopmc::testing::finished_replicas(result);
  CHECK(finished >= 1);
  CHECK(finished < 48);

  ChildRun resumed(directory.path().string(), {"run", "job.toml", "--resume"}, "resume-log");
  CHECK(resumed.wait() == 0);
  CHECK(resumed.log().find("keeping " + std::to_string(finished)) != std::string::npos);
  CHECK(loopmc::testing::complete_mark(result) == 1);
  CHECK(loopmc::testing::differing_datasets(reference.file("result.h5"), result, {}).empty());
}

}  // namespace

TEST_CASE("SIGTERM stops run resumably") { stop_and_resume(SIGTERM); }

TEST_CASE("SIGINT stops run resumably") { stop_and_resume(SIGINT); }
