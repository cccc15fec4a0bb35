#include "support.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace loopmc::testing {

const char* const kSmallGeneratedModel = R"([model]
a = 8.0
zeta = 0.001
sigma = 0.1
[users]
count = 30
dim = 3
[users.generate]
seed = 3
[users.initial_generate]
seed = 4
[products]
count = 5
dim = 2
[products.generate]
seed = 5
unit_length = true
[schedule]
kind = "constant"
gamma = 0.01
)";

TemporaryDirectory::TemporaryDirectory(const std::string& label) {
  std::random_device device;
  path_ = std::filesystem::temp_directory_path() /
          ("loopmc-" + label + "-" + std::to_string(device()));
  std::filesystem::create_directories(path_);
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

CommandResult run_loopmc(const std::string& arguments) {
  const std::string command = std::string(LOOPMC_BINARY) + " " + arguments + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start: " + command);
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    result.output += buffer.data();
  }
  const int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

namespace {
herr_t collect_dataset(hid_t, const char* name, const H5O_info_t* info, void* client) {
  if (info->type == H5O_TYPE_DATASET) {
    static_cast<std::vector<std::string>*>(client)->push_back(std::string("/") + name);
  }
  return 0;
}
}  // namespace

std::vector<std::string> dataset_paths(const std::string& file) {
  const h5::File handle = h5::File::open(file, h5::File::Mode::read);
  std::vector<std::string> paths;
  h5::check(H5Ovisit2(handle.id(), H5_INDEX_NAME, H5_ITER_NATIVE, collect_dataset, &paths,
                     H5O_INFO_BASIC),
            "list the datasets of " + file);
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::vector<unsigned char> dataset_bytes(const std::string& file, const std::string& path) {
  const h5::File handle = h5::File::open(file, h5::File::Mode::read);
  h5::Handle dataset(h5::check_id(H5Dopen2(handle.id(), path.c_str(), H5P_DEFAULT),
                                  "open " + path));
  h5::Handle type(h5::check_id(H5Dget_type(dataset.id()), "get the type of " + path));
  h5::Handle space(h5::check_id(H5Dget_space(dataset.id()), "get the space of " + path));
  const auto points = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.id()));
  std::vector<unsigned char> bytes(points * H5Tget_size(type.id()));
  h5::check(H5Dread(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
            "read " + path);
  return bytes;
}

std::vector<std::string> differing_datasets(const std::string& left, const std::string& right,
                                            const std::vector<std::string>& ignored_prefixes) {
  auto ignored = [&](const std::string& path) {
    return std::any_of(ignored_prefixes.begin(), ignored_prefixes.end(),
                       [&](const std::string& prefix) { return path.rfind(prefix, 0) == 0; });
  };
  const auto left_paths = dataset_paths(left);
  const auto right_paths = dataset_paths(right);
  std::vector<std::string> differing;
  for (const auto& path : left_paths) {
    if (ignored(path)) continue;
    if (std::find(right_paths.begin(), right_paths.end(), path) == right_paths.end() ||
        dataset_bytes(left, path) != dataset_bytes(right, path)) {
      differing.push_back(path);
    }
  }
  for (const auto& path : right_paths) {
    if (!ignored(path) && std::find(left_paths.begin(), left_paths.end(), path) == left_paths.end()) {
      differing.push_back(path);
    }
  }
  return differing;
}

int complete_mark(const std::string& file) {
  const h5::File handle = h5::File::open(file, h5::File::Mode::read);
  const auto value = h5::read_number_attribute(handle, "/", "complete");
  return value ? static_cast<int>(*value) : -1;
}

}  // namespace loopmc::testing
