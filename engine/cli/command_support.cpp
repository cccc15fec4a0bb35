// Steps that several sub-commands share: loading the job, choosing and
// guarding the output file, and reporting a job too large for memory.

#include "cli/commands.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace loopmc::cli {

std::optional<loopmc::Job> load_job_or_log(const std::string& path,
                                           const std::vector<std::string>& overrides) {
  try {
    return loopmc::load_job(path, overrides);
  } catch (const loopmc::JobError& error) {
    spdlog::error("{}", error.what());
    return std::nullopt;
  }
}

std::string output_path_beside(const std::optional<std::string>& out, const loopmc::Job& job,
                               const std::string& suffix) {
  if (out) return *out;
  const std::filesystem::path path(job.output.file);
  return (path.parent_path() / (path.stem().string() + suffix + ".h5")).string();
}

bool output_exists_without_force(const std::string& path, bool force) {
  if (force || !std::filesystem::exists(path)) return false;
  spdlog::error("output file {} already exists. Pass --force to replace it, or choose another "
                "file with --out.", path);
  return true;
}

int report_out_of_memory(const std::string& command, const loopmc::Model& model) {
  const double states = static_cast<double>(model.users) * model.product_dim;
  spdlog::error(
      "{} ran out of memory: the job has N = {} users, K = {} products and q = {}, so the ODE "
      "state alone has N q = {:.3g} entries, and the dense grid, the integrator's stages and "
      "the equilibrium search keep many copies of it. Lower ode.grid_points, or use a smaller "
      "population for the ODE; `loopmc run` with ode.enabled = false needs none of this.",
      command, model.users, model.products, model.product_dim, states);
  return kInvalidInput;
}

}  // namespace loopmc::cli
