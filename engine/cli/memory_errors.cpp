// Messages for commands whose work grows with the population: the ODE,
// its check and the equilibrium search hold N q state entries (and more).

#include "cli/commands.hpp"

#include <spdlog/spdlog.h>

namespace loopmc::cli {

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
