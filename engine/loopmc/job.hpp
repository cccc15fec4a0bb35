#pragma once
// A job: the model, the run settings and the output settings, read from a TOML
// file (or the built-in default) and validated in one pass before any work.

#include "loopmc/model.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace loopmc {

enum class CheckpointSpacing { log_steps, even_tau };
enum class UserStateOutput { automatic, all, none };

struct RunSettings {
  std::uint64_t replicas = 16;
  std::uint64_t seed = 1;
  int threads = 0;  // 0: OpenMP's default
  std::uint64_t steps = 0;
  std::optional<double> tau_end;  // set when the horizon was given as an ODE time
  CheckpointSpacing spacing = CheckpointSpacing::log_steps;
  std::vector<std::uint64_t> checkpoints;  // steps, increasing, first 0, last `steps`
};

struct OutputSettings {
  std::string file = "loopmc.h5";
  UserStateOutput user_states = UserStateOutput::automatic;
  // With user_states = "auto", per-replica states are stored when R*T*N*q is at
  // most this many values, and their mean and variance when T*N*q is.
  std::uint64_t max_user_state_values = 50'000'000;
};

struct OdeSettings {
  bool enabled = true;       // integrate the ODE limit beside every run
  double rel_tol = 1e-8;     // relative error tolerance of the adaptive integrator
  double abs_tol = 1e-10;    // absolute error tolerance
  int grid_points = 400;     // points of the dense tau grid written by `loopmc ode`
};

struct Job {
  std::string name;           // from the file name or the `name` key
  std::string source;         // path of the job file, or "built-in default"
  Model model;
  RunSettings run;
  OutputSettings output;
  OdeSettings ode;
  std::string resolved_toml;  // the job with every default and override filled in
};

// A job that breaks one or more rules. Each problem names the key, the value,
// the rule and the fix; what() joins them, one per line.
class JobError : public std::runtime_error {
 public:
  explicit JobError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Loads a job from `path` (the built-in default when empty) and applies the
// `key=value` overrides in order. Throws JobError.
Job load_job(const std::string& path, const std::vector<std::string>& overrides);

// Same, from TOML text; `source` names it in messages.
Job parse_job(const std::string& toml_text, const std::string& source,
              const std::vector<std::string>& overrides);

// The built-in default job: the base setting of the source paper's Figure 3a
// (N = K = p = 3, q = 2, a = 8), sized to finish within seconds.
const std::string& default_job_toml();

// Checkpoint steps for a horizon, as the spacing rule defines them.
std::vector<std::uint64_t> checkpoint_steps(const Schedule& schedule, std::uint64_t steps,
                                            int count, CheckpointSpacing spacing);

}  // namespace loopmc
