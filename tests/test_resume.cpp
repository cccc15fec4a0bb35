// A run killed with SIGKILL at any point resumes with `--resume` to a file
// whose datasets are byte for byte those of an uninterrupted run.

#include "loopmc/result_file.hpp"
#include "test_resume_support.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <thread>

namespace {

using loopmc::testing::ChildRun;
using loopmc::testing::TemporaryDirectory;

// Small enough that a run takes about a second on two threads, and large
// enough to be killed in the middle. User states are stored per replica and
// summarised, so every kind of dataset is compared.
const std::string kJob = std::string("name = \"resume\"\n") +
                        loopmc::testing::kSmallGeneratedModel + R"([horizon]
tau = 400.0
[checkpoints]
count = 30
[run]
replicas = 12
seed = 7
threads = 2
[output]
file = "result.h5"
user_states = "all"
)";

constexpr int kReplicas = 12;
constexpr int kKilled = 128 + SIGKILL;

void write_job(const TemporaryDirectory& directory) {
  std::ofstream(directory.file("job.toml")) << kJob;
}

// The uninterrupted run that every resumed run must reproduce.
const std::string& reference_file() {
  loopmc::h5::silence_library_errors();
  static TemporaryDirectory directory("resume-reference");
  static const std::string file = [&] {
    write_job(directory);
    ChildRun run(directory.path().string(), {"run", "job.toml"}, "log");
    const int status = run.wait();
    INFO(run.log());
    REQUIRE(status == 0);
    return directory.file("result.h5");
  }();
  return file;
}

int resume(const TemporaryDirectory& directory, const std::string& log_name,
           const std::vector<std::string>& environment = {}) {
  ChildRun run(directory.path().string(), {"run", "job.toml", "--resume"}, log_name, environment);
  const int status = run.wait();
  MESSAGE(run.log());
  return status;
}

void check_same_as_reference(const TemporaryDirectory& directory) {
  const std::string result = directory.file("result.h5");
  CHECK(loopmc::testing::complete_mark(result) == 1);
  CHECK(loopmc::testing::differing_datasets(reference_file(), result, {}).empty());
  CHECK_FALSE(std::filesystem::exists(loopmc::partial_path(result)));
}

// Runs the job with the process killing itself at `point`, then resumes it.
void kill_at_point_and_resume(const std::string& point) {
  TemporaryDirectory directory("resume-point");
  write_job(directory);
  ChildRun run(directory.path().string(), {"run", "job.toml"}, "killed-log",
               {"LOOPMC_TEST_KILL_AT=" + point});
  REQUIRE(run.wait() == kKilled);
  const std::string result = directory.file("result.h5");
  CHECK(loopmc::testing::complete_mark(result) == 0);

  REQUIRE(resume(directory, "resume-log") == 0);
  check_same_as_reference(directory);
}

}  // namespace

TEST_CASE("resume after kill mid-write") {
  reference_file();
  // Replica 4's records are written but not flushed, its finished flag not set.
  kill_at_point_and_resume("records:4");
}

TEST_CASE("resume after kill during finish") {
  reference_file();
  // All replicas are finished; the file is out of single-writer mode, so
  // HDF5's write-access flag is set and a plain open fails.
  kill_at_point_and_resume("finish");
}

TEST_CASE("resume after kill during resume") {
  reference_file();
  TemporaryDirectory directory("resume-twice");
  write_job(directory);
  {
    ChildRun run(directory.path().string(), {"run", "job.toml"}, "killed-log",
                 {"LOOPMC_TEST_KILL_AT=records:11"});
    REQUIRE(run.wait() == kKilled);
  }
  // Replicas run in lockstep batches, so the last one is written after others.
  const std::string result = directory.file("result.h5");
  const int finished_before = loopmc::testing::finished_replicas(result);
  CHECK(finished_before >= 1);

  // The resume dies after copying the finished replicas, before its new file
  // replaces the old one: the old file must be untouched.
  CHECK(resume(directory, "resume-killed-log", {"LOOPMC_TEST_KILL_AT=publish"}) == kKilled);
  CHECK(loopmc::testing::finished_replicas(result) == finished_before);

  REQUIRE(resume(directory, "resume-log") == 0);
  check_same_as_reference(directory);
}

TEST_CASE("resume after kill at timed points") {
  reference_file();
  // Early (setup or first replicas), after a third and after most replicas.
  for (const int finished : {0, kReplicas / 3, 2 * kReplicas / 3}) {
    CAPTURE(finished);
    TemporaryDirectory directory("resume-timed");
    write_job(directory);
    const std::string result = directory.file("result.h5");
    {
      ChildRun run(directory.path().string(), {"run", "job.toml"}, "killed-log");
      if (finished == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
      } else {
        REQUIRE(loopmc::testing::wait_for_finished(result, finished, std::chrono::seconds(20)));
      }
      run.send(SIGKILL);
      CHECK(run.wait() == kKilled);
    }
    REQUIRE(resume(directory, "resume-log") == 0);
    check_same_as_reference(directory);
  }
}

TEST_CASE("resume of complete file does nothing") {
  TemporaryDirectory directory("resume-complete");
  write_job(directory);
  std::filesystem::copy_file(reference_file(), directory.file("result.h5"));
  const auto modified = std::filesystem::last_write_time(directory.file("result.h5"));

  ChildRun run(directory.path().string(), {"run", "job.toml", "--resume"}, "log");
  CHECK(run.wait() == 0);
  CHECK(run.log().find("complete") != std::string::npos);
  CHECK(std::filesystem::last_write_time(directory.file("result.h5")) == modified);
}

TEST_CASE("resume without file starts fresh") {
  TemporaryDirectory directory("resume-fresh");
  write_job(directory);
  ChildRun run(directory.path().string(), {"run", "job.toml", "--resume"}, "log");
  CHECK(run.wait() == 0);
  CHECK(run.log().find("fresh run") != std::string::npos);
  check_same_as_reference(directory);
}

TEST_CASE("resume with changed job is rejected") {
  TemporaryDirectory directory("resume-changed");
  write_job(directory);
  {
    ChildRun run(directory.path().string(), {"run", "job.toml"}, "killed-log",
                 {"LOOPMC_TEST_KILL_AT=records:2"});
    REQUIRE(run.wait() == kKilled);
  }
  ChildRun changed(directory.path().string(),
                   {"run", "job.toml", "--resume", "--set", "model.a=4", "--threads", "1"},
                   "changed-log");
  CHECK(changed.wait() == 2);
  const std::string log = changed.log();
  CHECK(log.find("model.a: the file has 8.0, this job has 4") != std::string::npos);
  // run.threads does not change results, so it is not named as a difference.
  CHECK(log.find("run.threads") == std::string::npos);

  ChildRun reseeded(directory.path().string(), {"run", "job.toml", "--resume", "--seed", "8"},
                    "reseeded-log");
  CHECK(reseeded.wait() == 2);
  CHECK(reseeded.log().find("run.seed") != std::string::npos);

  // Another thread count gives the same bytes, so it may resume. Only the
  // stored job text records the new run.threads.
  ChildRun threads(directory.path().string(), {"run", "job.toml", "--resume", "--threads", "1"},
                   "threads-log");
  CHECK(threads.wait() == 0);
  CHECK(loopmc::testing::differing_datasets(reference_file(), directory.file("result.h5"),
                                            {"/job/toml"})
            .empty());
}

TEST_CASE("resume and force together are rejected") {
  TemporaryDirectory directory("resume-force");
  write_job(directory);
  ChildRun run(directory.path().string(), {"run", "job.toml", "--resume", "--force"}, "log");
  CHECK(run.wait() == 2);
  CHECK(run.log().find("--force and --resume") != std::string::npos);
}
