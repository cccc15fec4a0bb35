// `loopmc plot`: the figure files it writes, and its messages when the file,
// the Python interpreter or the plot package is unusable. Needs Debian's
// python3-matplotlib and python3-h5py (scripts/setup.sh installs them).

#include "loopmc/h5.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

using loopmc::testing::run_loopmc;
using loopmc::testing::TemporaryDirectory;

struct PngSize {
  bool valid = false;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// Reads the PNG signature and the IHDR chunk, which the PNG format puts first.
PngSize read_png_size(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::array<unsigned char, 24> header{};
  file.read(reinterpret_cast<char*>(header.data()), header.size());
  const std::array<unsigned char, 8> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  PngSize size;
  if (!file || !std::equal(signature.begin(), signature.end(), header.begin())) return size;
  if (std::string(header.begin() + 12, header.begin() + 16) != "IHDR") return size;
  auto big_endian = [&](std::size_t at) {
    return std::uint32_t{header[at]} << 24 | std::uint32_t{header[at + 1]} << 16 |
           std::uint32_t{header[at + 2]} << 8 | std::uint32_t{header[at + 3]};
  };
  size.valid = true;
  size.width = big_endian(16);
  size.height = big_endian(20);
  return size;
}

// The built-in default job (K = 3, so the simplex plot applies) to tau = 50.
struct PlotFixture {
  TemporaryDirectory dir{"plot"};
  std::string result = dir.file("default.h5");
  std::string figures = dir.file("figures");
  PlotFixture() {
    const auto run = run_loopmc("run --replicas 4 --set horizon.tau=50 --out " + result);
    REQUIRE_MESSAGE(run.exit_status == 0, run.output);
  }
};

// Sets an environment variable, which the loopmc child processes inherit,
// for the lifetime of the object.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const std::string& value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedVariable() { unsetenv(name_); }
  ScopedVariable(const ScopedVariable&) = delete;
  ScopedVariable& operator=(const ScopedVariable&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE_FIXTURE(PlotFixture, "plot writes four PNG figures") {
  const auto plot = run_loopmc("plot " + result + " --out " + figures);
  REQUIRE_MESSAGE(plot.exit_status == 0, plot.output);
  for (const char* name : {"user_states", "simplex", "preference_counts", "ode_distance"}) {
    CAPTURE(name);
    const std::filesystem::path path =
        std::filesystem::path(figures) / (std::string("default_") + name + ".png");
    CHECK(plot.output.find(path.string()) != std::string::npos);
    const PngSize size = read_png_size(path);
    REQUIRE(size.valid);
    // 3.5 in at 200 dpi is 700 pixels; tight bounding boxes trim or widen it a little.
    CHECK(size.width >= 550);
    CHECK(size.width <= 900);
    CHECK(size.height >= 350);
    CHECK(size.height <= 1200);
  }
}

TEST_CASE_FIXTURE(PlotFixture, "plot writes SVG on request") {
  const auto plot = run_loopmc("plot " + result + " --out " + figures + " --format svg");
  REQUIRE_MESSAGE(plot.exit_status == 0, plot.output);
  std::ifstream svg(std::filesystem::path(figures) / "default_simplex.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  CHECK(text.find("<svg") != std::string::npos);
  CHECK(text.find("</svg>") != std::string::npos);
}

TEST_CASE_FIXTURE(PlotFixture, "plot rejects an incomplete file") {
  {
    const auto file = loopmc::h5::File::open(result, loopmc::h5::File::Mode::read_write);
    loopmc::h5::write_attribute(file, "/", "complete", std::int64_t{0});
  }
  const auto refused = run_loopmc("plot " + result + " --out " + figures);
  CHECK(refused.exit_status == 2);
  CHECK(refused.output.find("--partial") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(figures) / "default_simplex.png"));

  const auto accepted = run_loopmc("plot --partial " + result + " --out " + figures);
  CHECK_MESSAGE(accepted.exit_status == 0, accepted.output);
  CHECK(read_png_size(std::filesystem::path(figures) / "default_simplex.png").valid);
}

TEST_CASE_FIXTURE(PlotFixture, "plot names the missing Python modules") {
  // A stand-in interpreter that reports h5py missing, as a Python without it does.
  const std::string python = dir.file("python-without-h5py");
  {
    std::ofstream script(python);
    script << "#!/bin/sh\necho h5py\nexit 1\n";
  }
  std::filesystem::permissions(python, std::filesystem::perms::owner_all);
  const ScopedVariable variable("LOOPMC_PYTHON", python);
  const auto plot = run_loopmc("plot " + result + " --out " + figures);
  CHECK(plot.exit_status == 1);
  CHECK(plot.output.find(python + " lacks h5py") != std::string::npos);
  CHECK(plot.output.find("apt-get install python3-matplotlib python3-h5py") != std::string::npos);
}

TEST_CASE_FIXTURE(PlotFixture, "plot rejects a folder without the package") {
  const ScopedVariable variable("LOOPMC_PLOT_DIR", dir.path().string());
  const auto plot = run_loopmc("plot " + result + " --out " + figures);
  CHECK(plot.exit_status == 1);
  CHECK(plot.output.find("has no loopmc_plot/__main__.py") != std::string::npos);
}
