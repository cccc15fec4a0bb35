// `mpirun -n 2 loopmc run` writes a result file whose datasets equal, byte for
// byte, those of the same job run in one process, also after a rank is killed
// and the run resumed under mpirun. Skipped when the build has no MPI.

#include "loopmc/result_file.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using loopmc::testing::TemporaryDirectory;

// 11 replicas split 5 + 6 between two ranks. User states are stored per
// replica and summarised, and the ODE reference is on, so every kind of
// dataset is compared. One thread per rank: this machine has two cores.
const std::string kJob = std::string("name = \"mpi\"\n") +
                        loopmc::testing::kSmallGeneratedModel + R"([horizon]
tau = 200.0
[checkpoints]
count = 20
[run]
replicas = 11
seed = 7
threads = 1
[output]
user_states = "all"
)";

// Datasets that record the run rather than its results: threads, timings,
// and the job text, which contains the output path.
const std::vector<std::string> kRunRecords = {"/metadata", "/job/toml"};

bool mpi_available() {
  // complete_mark opens killed files, and HDF5 would print each failed open attempt.
  loopmc::h5::silence_library_errors();
#if defined(LOOPMC_HAVE_MPI) && defined(LOOPMC_MPIEXEC)
  return std::filesystem::exists(LOOPMC_MPIEXEC);
#else
  return false;
#endif
}

struct Outcome {
  int exit_status = -1;
  std::string output;
};

// Runs `loopmc ARGUMENTS` under `mpirun -n 2` on this machine only (shared
// memory transport), with `environment` (NAME=VALUE ...) prepended.
Outcome run_under_mpirun(const std::string& arguments, const std::string& environment = "") {
#ifdef LOOPMC_MPIEXEC
  const std::string command = "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " +
                              environment + " " + LOOPMC_MPIEXEC +
                              " -n 2 --oversubscribe --mca btl self,vader " + LOOPMC_BINARY +
                              " " + arguments + " 2>&1";
#else
  (void)arguments;
  (void)environment;
  const std::string command = "false";
#endif
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    outcome.output += buffer.data();
  }
  const int status = pclose(pipe);
  outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

std::string write_job(const TemporaryDirectory& directory) {
  const std::string path = directory.file("job.toml");
  std::ofstream(path) << kJob;
  return path;
}

// The same job in one process, with two threads.
std::string single_process_file(const TemporaryDirectory& directory, const std::string& sets) {
  const std::string file = directory.file("single.h5");
  const auto run = loopmc::testing::run_loopmc("run " + write_job(directory) + " --threads 2 --out " +
                                               file + sets);
  INFO(run.output);
  REQUIRE(run.exit_status == 0);
  return file;
}

void check_no_shards(const std::string& file) {
  CHECK_FALSE(std::filesystem::exists(file + ".rank-1.h5"));
  CHECK_FALSE(std::filesystem::exists(file + ".rank-1.h5.partial"));
  CHECK_FALSE(std::filesystem::exists(loopmc::partial_path(file)));
}

void check_same_as_single(const std::string& single, const std::string& file) {
  CHECK(loopmc::testing::complete_mark(file) == 1);
  const auto differing = loopmc::testing::differing_datasets(single, file, kRunRecords);
  INFO("differing datasets: " << differing.size());
  for (const auto& path : differing) MESSAGE("differs: " << path);
  CHECK(differing.empty());
  check_no_shards(file);
}

// Runs under mpirun with the rank that reaches `point` killing itself, then
// resumes under mpirun and compares with the single-process file.
void kill_and_resume(const std::string& point) {
  TemporaryDirectory directory("mpi-kill");
  const std::string single = single_process_file(directory, "");
  const std::string file = directory.file("result.h5");
  const std::string arguments = "run " + directory.file("job.toml") + " --out " + file;

  const auto killed = run_under_mpirun(arguments, "LOOPMC_TEST_KILL_AT=" + point);
  INFO(killed.output);
  REQUIRE(killed.exit_status != 0);
  CHECK(loopmc::testing::complete_mark(file) == 0);

  const auto resumed = run_under_mpirun(arguments + " --resume");
  INFO(resumed.output);
  REQUIRE(resumed.exit_status == 0);
  check_same_as_single(single, file);
}

}  // namespace

TEST_CASE("mpirun matches one process") {
  if (!mpi_available()) {
    MESSAGE("skipped: this build has no MPI support or mpirun is missing");
    return;
  }
  TemporaryDirectory directory("mpi-same");
  const std::string single = single_process_file(directory, "");
  const std::string file = directory.file("result.h5");
  const auto run = run_under_mpirun("run " + directory.file("job.toml") + " --out " + file);
  INFO(run.output);
  REQUIRE(run.exit_status == 0);
  check_same_as_single(single, file);
}

TEST_CASE("mpirun summary from shard states") {
  if (!mpi_available()) {
    MESSAGE("skipped: this build has no MPI support or mpirun is missing");
    return;
  }
  // T N q = 1200 values fit the limit, R T N q = 13200 do not: the result
  // file stores the mean and variance of the user states but not the states
  // of each replica, so rank 0 merges them from the shard's per-replica states.
  const std::string sets =
      " --set output.user_states=\"auto\" --set output.max_user_state_values=2000";
  TemporaryDirectory directory("mpi-auto");
  const std::string single = single_process_file(directory, sets);
  const auto paths = loopmc::testing::dataset_paths(single);
  REQUIRE(std::find(paths.begin(), paths.end(), "/summary/Y_mean") != paths.end());
  REQUIRE(std::find(paths.begin(), paths.end(), "/replicas/user_states") == paths.end());

  const std::string file = directory.file("result.h5");
  const auto run = run_under_mpirun("run " + directory.file("job.toml") + " --out " + file + sets);
  INFO(run.output);
  REQUIRE(run.exit_status == 0);
  check_same_as_single(single, file);
}

TEST_CASE("mpirun resume after rank 1 killed") {
  if (!mpi_available()) {
    MESSAGE("skipped: this build has no MPI support or mpirun is missing");
    return;
  }
  // Replica 8 belongs to rank 1 (replicas 5 to 10): it dies with the
  // records of replica 8 written to its shard but not marked finished.
  kill_and_resume("records:8");
}

TEST_CASE("mpirun resume after kill in finish") {
  if (!mpi_available()) {
    MESSAGE("skipped: this build has no MPI support or mpirun is missing");
    return;
  }
  // Rank 0 dies after merging the shard and writing the summary, before the
  // complete mark; the shard is still there.
  kill_and_resume("finish");
}

TEST_CASE("mpirun resume of complete file") {
  if (!mpi_available()) {
    MESSAGE("skipped: this build has no MPI support or mpirun is missing");
    return;
  }
  TemporaryDirectory directory("mpi-complete");
  write_job(directory);
  const std::string file = directory.file("result.h5");
  const std::string arguments = "run " + directory.file("job.toml") + " --out " + file;
  REQUIRE(run_under_mpirun(arguments).exit_status == 0);
  const auto resumed = run_under_mpirun(arguments + " --resume");
  INFO(resumed.output);
  CHECK(resumed.exit_status == 0);
  CHECK(resumed.output.find("already complete") != std::string::npos);
  check_no_shards(file);
}
