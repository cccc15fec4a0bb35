// A replica that overflows stops the run with an error naming the replica,
// the step and the value; nothing non-finite reaches the result file.

#include "loopmc/h5.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <regex>

TEST_CASE("overflowing state stops run with fault") {
  loopmc::h5::silence_library_errors();
  loopmc::testing::TemporaryDirectory directory("numerical-fault");
  const std::string out = directory.file("fault.h5");
  // Validation accepts any finite initial state; rewards of 1e300 make the
  // learner's theta and loss overflow within the first steps.
  const auto result = loopmc::testing::run_loopmc(
      "run --out " + out + " --threads 2 --set 'users.initial_states=[[1e300, 0], [0, 2], [2, 2]]'");
  CAPTURE(result.output);
  CHECK(result.exit_status == 1);
  CHECK(result.output.find("numerical fault") != std::string::npos);
  CHECK(std::regex_search(result.output, std::regex(R"(replica \d+ step \d+: .* became -?(inf|nan))")));

  // The file is left incomplete, and every value in it is finite.
  CHECK(loopmc::testing::complete_mark(out) == 0);
  const loopmc::h5::File file = loopmc::h5::File::open(out, loopmc::h5::File::Mode::read);
  for (const char* path : {"/replicas/theta", "/replicas/loss", "/replicas/residual",
                           "/replicas/user_states"}) {
    CAPTURE(path);
    const auto values = loopmc::h5::read_dataset<double>(file, path);
    CHECK(std::all_of(values.begin(), values.end(), [](double x) { return std::isfinite(x); }));
  }
}
