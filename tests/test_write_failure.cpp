// A disk that fills up during a run ends it with an error naming the file and
// the dataset, and the replicas finished before stay readable.
//
// The test mounts a small tmpfs, which needs root (CAP_SYS_ADMIN); without it
// the test is skipped with a message.

#include "loopmc/h5.hpp"
#include "test_resume_support.hpp"

#include <doctest/doctest.h>

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numeric>
#include <vector>

namespace {

using loopmc::testing::ChildRun;
using loopmc::testing::TemporaryDirectory;

// About 3 MiB of results: small enough for the pre-run disk check to pass on
// an empty 16 MiB file system, large enough to fail once it is filled.
const char* const kJob = R"(name = "full"
[users]
count = 200
dim = 2
[users.generate]
seed = 1
[users.initial_generate]
seed = 2
[products]
count = 4
dim = 2
[products.generate]
seed = 3
[schedule]
kind = "constant"
gamma = 0.01
[horizon]
tau = 300.0
[checkpoints]
count = 30
[run]
replicas = 48
threads = 2
[output]
file = "full.h5"
user_states = "all"
)";

// A tmpfs mounted for the test's lifetime.
class SmallFileSystem {
 public:
  SmallFileSystem(const std::string& path, const std::string& size) : path_(path) {
    const std::string options = "size=" + size;
    mounted_ = mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallFileSystem() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Writes zeros to `path` until the file system is full.
void fill(const std::string& path) {
  std::ofstream filler(path, std::ios::binary);
  const std::vector<char> block(1 << 16, 0);
  while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    filler.flush();
  }
}

}  // namespace

TEST_CASE("full disk mid-run keeps finished replicas") {
  loopmc::h5::silence_library_errors();
  // The job file and the log stay outside the small file system, so that the
  // error message can be written.
  TemporaryDirectory directory("write-failure");
  const std::string disk = directory.file("disk");
  std::filesystem::create_directory(disk);
  SmallFileSystem file_system(disk, "16m");
  if (!file_system.mounted()) {
    MESSAGE("skipped: cannot mount a tmpfs on " << disk << " (" << file_system.error()
            << "); this test needs root");
    return;
  }
  std::ofstream(directory.file("job.toml")) << kJob;
  const std::string result = disk + "/full.h5";

  ChildRun run(directory.path().string(), {"run", "job.toml", "--out", result}, "log");
  REQUIRE(loopmc::testing::wait_for_finished(result, 4, std::chrono::seconds(30)));
  fill(disk + "/filler");
  const int status = run.wait();

  const std::string log = run.log();
  INFO(log);
  CHECK(status == 1);
  CHECK(log.find("HDF5-DIAG") == std::string::npos);
  CHECK(log.find("[error] writing the result file failed") != std::string::npos);
  CHECK(log.find("in " + result) != std::string::npos);
  CHECK(log.find("'/replicas/") != std::string::npos);

  // Free the space; the replicas finished before the failure are readable.
  std::filesystem::remove(disk + "/filler");
  CHECK(loopmc::testing::complete_mark(result) == 0);
  const loopmc::h5::File file = loopmc::h5::File::open(result, loopmc::h5::File::Mode::read);
  const auto finished = loopmc::h5::read_dataset<std::uint8_t>(file, "/replicas/finished");
  CHECK(std::accumulate(finished.begin(), finished.end(), 0) >= 4);
  loopmc::h5::Dims shape;
  const auto theta = loopmc::h5::read_dataset<double>(file, "/replicas/theta", &shape);
  const std::size_t per_replica = theta.size() / shape[0];
  for (std::size_t r = 0; r < finished.size(); ++r) {
    if (finished[r] != 1) continue;
    CAPTURE(r);
    const auto begin = theta.begin() + static_cast<std::ptrdiff_t>(r * per_replica);
    CHECK(std::all_of(begin, begin + static_cast<std::ptrdiff_t>(per_replica),
                      [](double x) { return std::isfinite(x); }));
    CHECK(std::any_of(begin, begin + static_cast<std::ptrdiff_t>(per_replica),
                      [](double x) { return x != 0; }));
  }
}
