#include "loopmc/job.hpp"

#include "loopmc/job_inputs.hpp"
#include "loopmc/job_reader.hpp"

#include <spdlog/fmt/fmt.h>
#include <toml++/toml.h>

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <tuple>

namespace loopmc {

namespace {

// The maximum number of steps of a horizon. Beyond it the step counter and the
// ODE time sum lose meaning long before any run could finish.
constexpr std::uint64_t kMaxSteps = std::uint64_t{1} << 62;

// Largest attribute dimension p or q, and largest d = p q: the learner keeps a
// d x d Cholesky factor per thread and each step costs O(d^2), so beyond this a
// step takes tens of milliseconds; the span check costs O(p^3) at load time.
constexpr std::int64_t kMaxAttributeDim = 1024;
constexpr std::int64_t kMaxLearnerDim = 4096;

// Maximum number of values in V, W and Y_0 together (1 GiB of doubles). They
// are built while the job loads, before the run's memory check.
constexpr double kMaxInputValues = double(1 << 27);

// Keys that name tables: a value there (e.g. `users.generate = 5`) would
// otherwise hide the table's keys.
const std::vector<std::string>& table_keys() {
  static const std::vector<std::string> keys = {
      "model", "users", "users.generate", "users.initial_generate", "products",
      "products.generate", "schedule", "horizon", "checkpoints", "run", "output", "ode"};
  return keys;
}

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> keys = {
      "name", "description",
      "model", "model.a", "model.zeta", "model.sigma", "model.rho",
      "users", "users.count", "users.dim", "users.attributes", "users.arrival",
      "users.initial_states",
      "users.generate", "users.generate.low", "users.generate.high",
      "users.generate.unit_length", "users.generate.last_coordinate", "users.generate.seed",
      "users.initial_generate", "users.initial_generate.low", "users.initial_generate.high",
      "users.initial_generate.seed",
      "products", "products.count", "products.dim", "products.attributes",
      "products.angles_deg",
      "products.generate", "products.generate.low", "products.generate.high",
      "products.generate.unit_length", "products.generate.seed",
      "schedule", "schedule.kind", "schedule.t0", "schedule.gamma",
      "horizon", "horizon.steps", "horizon.tau",
      "checkpoints", "checkpoints.count", "checkpoints.spacing",
      "run", "run.replicas", "run.seed", "run.threads",
      "output", "output.file", "output.user_states", "output.max_user_state_values",
      "ode", "ode.enabled", "ode.rel_tol", "ode.abs_tol", "ode.grid_points"};
  return keys;
}

// Records a problem unless 1 <= value <= max; `what` names the unit.
bool check_size(JobReader& reader, const std::string& key, std::int64_t value, std::int64_t max,
                const std::string& what) {
  if (value >= 1 && value <= max) return true;
  reader.fail(key, fmt::format("is {}, but it must lie in [1, {}] ({}).", value, max, what));
  return false;
}

// Reads one entity block ("users" or "products"): explicit attributes,
// generated ones, or (products only) angles. Returns dim x count.
std::optional<Eigen::MatrixXd> read_attributes(JobReader& reader, const std::string& table,
                                               const std::string& entity) {
  const auto count = reader.integer(table + ".count");
  const auto dim = reader.integer(table + ".dim");
  const bool count_valid = !count || check_size(reader, table + ".count", *count,
                                                std::numeric_limits<int>::max(), entity + "s");
  const bool dim_valid = !dim || check_size(reader, table + ".dim", *dim, kMaxAttributeDim,
                                            "attribute coordinates");
  if (!count_valid || !dim_valid) return std::nullopt;
  const int rows = count ? static_cast<int>(*count) : -1;
  const int columns = dim ? static_cast<int>(*dim) : -1;

  const bool explicit_values = reader.has(table + ".attributes");
  const bool angles = reader.has(table + ".angles_deg");
  const bool generated = reader.has(table + ".generate");
  if (explicit_values + angles + generated != 1) {
    reader.fail(table, fmt::format(
        "give the {} attributes exactly one way: {}.attributes{}, or a [{}.generate] table.",
        entity, table, table == "products" ? ", products.angles_deg" : "", table));
    return std::nullopt;
  }

  if (explicit_values) return reader.matrix(table + ".attributes", rows, columns, entity);

  if (angles) {
    const auto degrees = reader.numbers(table + ".angles_deg");
    if (!degrees) return std::nullopt;
    if (columns >= 0 && columns != 2) {
      reader.fail(table + ".dim", fmt::format(
          "is {}, but angles_deg defines attributes of dimension 2. Remove products.dim or set "
          "it to 2.", columns));
      return std::nullopt;
    }
    if (rows >= 0 && rows != static_cast<int>(degrees->size())) {
      reader.fail(table + ".angles_deg", fmt::format(
          "has {} angles, but products.count is {}. Give one angle per product.",
          degrees->size(), rows));
      return std::nullopt;
    }
    return attributes_from_angles(*degrees);
  }

  GeneratedInputs spec;
  const std::string prefix = table + ".generate.";
  if (!count || !dim) {
    reader.fail(table, fmt::format("generated attributes need {0}.count and {0}.dim.", table));
    return std::nullopt;
  }
  spec.count = rows;
  spec.dim = columns;
  spec.low = reader.number(prefix + "low").value_or(0.0);
  spec.high = reader.number(prefix + "high").value_or(1.0);
  spec.unit_length = reader.boolean(prefix + "unit_length").value_or(false);
  spec.last_coordinate = reader.number(prefix + "last_coordinate");
  spec.seed = static_cast<std::uint64_t>(reader.integer(prefix + "seed").value_or(1));
  if (!(spec.low < spec.high)) {
    reader.fail(prefix + "low", fmt::format("low = {} is not below high = {}. Give low < high.",
                                            spec.low, spec.high));
    return std::nullopt;
  }
  if (static_cast<double>(rows) * columns > kMaxInputValues) {
    reader.fail(table + ".count", fmt::format(
        "{} {}s x {} coordinates = {:.3g} generated values, more than the limit of {:.3g} "
        "(1 GiB). Use fewer {}s or coordinates.", rows, entity, columns,
        static_cast<double>(rows) * columns, kMaxInputValues, entity));
    return std::nullopt;
  }
  return generate_inputs(spec, table == "users" ? InputMatrix::user_attributes
                                                : InputMatrix::product_attributes);
}

std::optional<Eigen::MatrixXd> read_initial_states(JobReader& reader, int users, int dim) {
  const bool explicit_values = reader.has("users.initial_states");
  const bool generated = reader.has("users.initial_generate");
  if (explicit_values == generated) {
    reader.fail("users.initial_states", "give the initial user states Y_0 exactly one way: "
                "users.initial_states (one row per user), or a [users.initial_generate] table.");
    return std::nullopt;
  }
  if (explicit_values) return reader.matrix("users.initial_states", users, dim, "user");

  GeneratedInputs spec;
  spec.count = users;
  spec.dim = dim;
  spec.low = reader.number("users.initial_generate.low").value_or(0.0);
  spec.high = reader.number("users.initial_generate.high").value_or(1.0);
  spec.seed = static_cast<std::uint64_t>(reader.integer("users.initial_generate.seed").value_or(1));
  if (!(spec.low < spec.high)) {
    reader.fail("users.initial_generate.low", fmt::format(
        "low = {} is not below high = {}. Give low < high.", spec.low, spec.high));
    return std::nullopt;
  }
  return generate_inputs(spec, InputMatrix::initial_states);
}

// True when the columns of `A` span R^rows: the Gram matrix A A^T is well
// conditioned (smallest eigenvalue above 1e-12 of the largest).
bool spans_space(const Eigen::MatrixXd& A) {
  if (A.rows() < 1 || A.cols() < A.rows()) return false;
  const Eigen::MatrixXd gram = A * A.transpose();
  if (!gram.allFinite()) return false;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram, Eigen::EigenvaluesOnly);
  const auto& eigenvalues = solver.eigenvalues();
  return eigenvalues.maxCoeff() > 0 && eigenvalues.minCoeff() > 1e-12 * eigenvalues.maxCoeff();
}

// Checks p, q and d = p q, and that squaring the attributes cannot overflow
// (the span check and the learner both form products of two attributes).
bool check_dims(JobReader& reader, const Model& model) {
  bool valid = true;
  for (const auto& [key, dim, matrix] :
       {std::tuple{"users.attributes", model.user_dim, &model.V},
        std::tuple{"products.attributes", model.product_dim, &model.W}}) {
    if (dim < 1 || dim > kMaxAttributeDim) {
      reader.fail(key, fmt::format("the attributes have {} coordinates, but they must have 1 to "
                                   "{}.", dim, kMaxAttributeDim));
      valid = false;
    } else if (matrix->cwiseAbs().maxCoeff() > 1e150) {
      reader.fail(key, fmt::format("has an entry of magnitude {:.3g}; products of two such "
                                   "entries overflow. Rescale the attributes to magnitudes "
                                   "below 1e150 (the model is linear in them).",
                                   matrix->cwiseAbs().maxCoeff()));
      valid = false;
    }
  }
  if (valid && static_cast<std::int64_t>(model.user_dim) * model.product_dim > kMaxLearnerDim) {
    reader.fail("users.dim", fmt::format(
        "p q = {} x {} = {}, but the learner's dimension d = p q must be at most {}: it keeps a "
        "d x d matrix and each step costs O(d^2). Use fewer user or product coordinates.",
        model.user_dim, model.product_dim, model.user_dim * model.product_dim, kMaxLearnerDim));
    valid = false;
  }
  const double values = static_cast<double>(model.users) * (model.user_dim + model.product_dim) +
                        static_cast<double>(model.products) * model.product_dim;
  if (valid && values > kMaxInputValues) {
    reader.fail("users.count", fmt::format(
        "the inputs V, W and Y_0 hold {:.3g} values, more than the limit of {:.3g} (1 GiB). Use "
        "fewer users or coordinates.", values, kMaxInputValues));
    valid = false;
  }
  return valid;
}

void read_model(JobReader& reader, Model& model) {
  model.a = reader.number("model.a").value_or(8.0);
  model.zeta = reader.number("model.zeta").value_or(1e-3);
  model.sigma = reader.number("model.sigma").value_or(0.1);
  model.schedule.rho = reader.number("model.rho").value_or(1.0);

  if (model.a < 0) reader.fail("model.a", fmt::format(
      "is {}, but the softmax inverse temperature a must be >= 0. Use a = 0 for uniform "
      "recommendations or a positive value.", model.a));
  if (!(model.zeta > 0)) reader.fail("model.zeta", fmt::format(
      "is {}, but the ridge regularisation zeta must be > 0 so that S stays positive definite. "
      "Use a small positive value such as 0.001.", model.zeta));
  if (model.sigma < 0) reader.fail("model.sigma", fmt::format(
      "is {}, but the noise standard deviation sigma must be >= 0.", model.sigma));
  if (!(model.schedule.rho > 0)) reader.fail("model.rho", fmt::format(
      "is {}, but the adaptation ratio rho must be > 0 (rho = 1 in the paper).",
      model.schedule.rho));

  const auto W = read_attributes(reader, "products", "product");
  const auto V = read_attributes(reader, "users", "user");
  if (!W || !V) return;
  model.W = *W;
  model.V = *V;
  model.products = static_cast<int>(W->cols());
  model.product_dim = static_cast<int>(W->rows());
  model.users = static_cast<int>(V->cols());
  model.user_dim = static_cast<int>(V->rows());

  if (!check_dims(reader, model)) return;
  if (model.users < model.user_dim || !spans_space(model.V)) reader.fail("users.attributes",
      fmt::format("the {} user attributes v_n do not span R^{} (the model needs N >= p and V of "
                  "full row rank p). Add users or give attributes that are not linearly "
                  "dependent.", model.users, model.user_dim));
  if (model.products < model.product_dim || !spans_space(model.W)) reader.fail(
      "products.attributes",
      fmt::format("the {} product attributes w_k do not span R^{} (the model needs K >= q and W "
                  "of full row rank q). Add products or give attributes that are not linearly "
                  "dependent.", model.products, model.product_dim));

  if (auto Y0 = read_initial_states(reader, model.users, model.product_dim)) model.Y0 = *Y0;
}

void read_arrival(JobReader& reader, Model& model) {
  model.arrival = Eigen::VectorXd::Constant(model.users, 1.0 / std::max(model.users, 1));
  if (!reader.has("users.arrival")) return;

  // "uniform", or an explicit probability per user.
  if (reader.is_string("users.arrival")) {
    const std::string name = *reader.string("users.arrival");
    if (name != "uniform") reader.fail("users.arrival", fmt::format(
        "is \"{}\". Give \"uniform\" or one probability per user.", name));
    return;
  }
  const auto values = reader.numbers("users.arrival");
  if (!values) return;
  if (static_cast<int>(values->size()) != model.users) {
    reader.fail("users.arrival", fmt::format(
        "has {} probabilities for {} users. Give one per user.", values->size(), model.users));
    return;
  }
  model.arrival = Eigen::Map<const Eigen::VectorXd>(values->data(), model.users);
  if (model.arrival.minCoeff() < 0) reader.fail("users.arrival", fmt::format(
      "has the negative entry {}. Arrival probabilities lambda_n must be >= 0.",
      model.arrival.minCoeff()));
  const double total = model.arrival.sum();
  if (std::abs(total - 1.0) > 1e-9) reader.fail("users.arrival", fmt::format(
      "sums to {:.12g}, not 1. Divide each entry by the sum, or use \"uniform\".", total));
}

void read_schedule(JobReader& reader, Schedule& schedule) {
  const std::string kind = reader.string("schedule.kind").value_or("harmonic");
  if (kind == "harmonic") {
    schedule.kind = ScheduleKind::harmonic;
  } else if (kind == "constant") {
    schedule.kind = ScheduleKind::constant;
  } else {
    reader.fail("schedule.kind", fmt::format(
        "is \"{}\". Give \"harmonic\" (gamma_t = 1/(t + t0)) or \"constant\" (gamma_t = gamma).",
        kind));
    return;
  }
  schedule.t0 = reader.number("schedule.t0").value_or(1.0);
  schedule.gamma = reader.number("schedule.gamma").value_or(0.001);

  if ((schedule.kind == ScheduleKind::harmonic || reader.has("schedule.t0")) &&
      !(schedule.t0 >= 1)) reader.fail("schedule.t0",
      fmt::format("is {}, but the harmonic offset t0 must be >= 1 (t0 = 1 in the paper).",
                  schedule.t0));
  if ((schedule.kind == ScheduleKind::constant || reader.has("schedule.gamma")) &&
      !(schedule.gamma > 0 && schedule.gamma < 1)) reader.fail("schedule.gamma",
      fmt::format("is {}, but the constant step gamma must lie in (0, 1). Try 0.001.",
                  schedule.gamma));

  const double first_user_step = schedule.user_step(0);
  if (first_user_step > 1 + 1e-12) {
    reader.fail("model.rho", fmt::format(
        "rho * gamma_0 = {} * {} = {} exceeds 1, so the first user step would overshoot the "
        "recommended product. Lower rho, or raise schedule.t0 / lower schedule.gamma.",
        schedule.rho, schedule.learner_step(0), first_user_step));
  }
}

void read_horizon(JobReader& reader, Job& job) {
  const auto steps = reader.integer("horizon.steps");
  const auto tau = reader.number("horizon.tau");
  if (reader.has("horizon.steps") == reader.has("horizon.tau")) {
    reader.fail("horizon", "give exactly one of horizon.steps (a step count) and horizon.tau "
                "(an ODE time).");
    return;
  }
  if (steps) {
    if (*steps < 1 || static_cast<std::uint64_t>(*steps) > kMaxSteps) {
      reader.fail("horizon.steps", fmt::format("is {}, but it must lie in [1, 2^62].", *steps));
      return;
    }
    job.run.steps = static_cast<std::uint64_t>(*steps);
    return;
  }
  if (!tau) return;
  if (!(*tau > 0)) {
    reader.fail("horizon.tau", fmt::format("is {}, but the ODE time horizon must be > 0.", *tau));
    return;
  }
  const std::uint64_t needed = job.model.schedule.steps_to_reach(*tau, kMaxSteps);
  if (needed > kMaxSteps) {
    reader.fail("horizon.tau", fmt::format(
        "tau = {} needs more than 2^62 steps under this schedule (harmonic steps reach tau only "
        "after about t0 * e^tau steps). Use schedule.kind = \"constant\", or a smaller tau.",
        *tau));
    return;
  }
  job.run.steps = std::max<std::uint64_t>(needed, 1);
  job.run.tau_end = *tau;
}

void read_run_settings(JobReader& reader, Job& job) {
  const auto replicas = reader.integer("run.replicas").value_or(16);
  if (replicas < 1 || replicas > (std::int64_t{1} << 31)) reader.fail("run.replicas",
      fmt::format("is {}, but it must lie in [1, 2^31]. Give a count in that range, and split "
                  "a larger study into jobs with different run.seed values.", replicas));
  job.run.replicas = static_cast<std::uint64_t>(std::max<std::int64_t>(replicas, 1));
  if (job.run.steps > 0 && job.run.replicas > kMaxSteps / job.run.steps) {
    reader.fail("run.replicas", fmt::format(
        "{} replicas x {} steps exceeds 2^62 replica-steps, which the step counters cannot "
        "count. Use fewer replicas or a shorter horizon.", job.run.replicas, job.run.steps));
  }

  const auto seed = reader.integer("run.seed").value_or(1);
  if (seed < 0) reader.fail("run.seed", fmt::format("is {}, but seeds are >= 0.", seed));
  job.run.seed = static_cast<std::uint64_t>(seed);

  const auto threads = reader.integer("run.threads").value_or(0);
  if (threads < 0 || threads > 4096) reader.fail("run.threads", fmt::format(
      "is {}, but it must lie in [0, 4096]; 0 uses OpenMP's default.", threads));
  job.run.threads = static_cast<int>(std::clamp<std::int64_t>(threads, 0, 4096));

  const std::string spacing = reader.string("checkpoints.spacing").value_or("log");
  if (spacing == "log") {
    job.run.spacing = CheckpointSpacing::log_steps;
  } else if (spacing == "tau") {
    job.run.spacing = CheckpointSpacing::even_tau;
  } else {
    reader.fail("checkpoints.spacing", fmt::format(
        "is \"{}\". Give \"log\" (logarithmic in t) or \"tau\" (even in ODE time).", spacing));
  }
  const auto count = reader.integer("checkpoints.count").value_or(50);
  if (count < 2 || count > 100000) {
    reader.fail("checkpoints.count", fmt::format("is {}, but it must lie in [2, 100000].", count));
  } else if (job.run.steps > 0) {
    job.run.checkpoints = checkpoint_steps(job.model.schedule, job.run.steps,
                                           static_cast<int>(count), job.run.spacing);
  }
}

void read_output_settings(JobReader& reader, Job& job) {
  job.output.file = reader.string("output.file").value_or(job.name + ".h5");
  if (job.output.file.empty() || job.output.file.back() == '/') {
    reader.fail("output.file", fmt::format("is \"{}\", which names no file. Give a file name, "
                                           "e.g. output.file = \"run.h5\".", job.output.file));
  }
  const std::string states = reader.string("output.user_states").value_or("auto");
  if (states == "auto") {
    job.output.user_states = UserStateOutput::automatic;
  } else if (states == "all") {
    job.output.user_states = UserStateOutput::all;
  } else if (states == "none") {
    job.output.user_states = UserStateOutput::none;
  } else {
    reader.fail("output.user_states", fmt::format(
        "is \"{}\". Give \"auto\", \"all\" or \"none\".", states));
  }
  const auto limit = reader.integer("output.max_user_state_values").value_or(50'000'000);
  if (limit < 0) reader.fail("output.max_user_state_values", "must be >= 0.");
  job.output.max_user_state_values = static_cast<std::uint64_t>(std::max<std::int64_t>(limit, 0));

  job.ode.enabled = reader.boolean("ode.enabled").value_or(true);
  job.ode.rel_tol = reader.number("ode.rel_tol").value_or(1e-8);
  job.ode.abs_tol = reader.number("ode.abs_tol").value_or(1e-10);
  const auto grid = reader.integer("ode.grid_points").value_or(400);
  if (!(job.ode.rel_tol > 0) || !(job.ode.abs_tol > 0)) reader.fail("ode.rel_tol",
      "the ODE tolerances ode.rel_tol and ode.abs_tol must be > 0.");
  if (grid < 2 || grid > 1'000'000) reader.fail("ode.grid_points", fmt::format(
      "is {}, but it must lie in [2, 1000000].", grid));
  job.ode.grid_points = static_cast<int>(std::clamp<std::int64_t>(grid, 2, 1'000'000));
}

// Keys that give the same thing in different ways. An override of one of them
// replaces the others, so that e.g. --set horizon.tau=5 works on a job whose
// file gives horizon.steps.
void drop_alternatives(toml::table& table, const std::string& assignment) {
  static const std::vector<std::vector<std::string>> groups = {
      {"horizon.steps", "horizon.tau"},
      {"users.attributes", "users.generate"},
      {"users.initial_states", "users.initial_generate"},
      {"products.attributes", "products.angles_deg", "products.generate"}};
  const std::string key = assignment.substr(0, assignment.find('='));
  for (const auto& group : groups) {
    const bool member = std::any_of(group.begin(), group.end(), [&](const std::string& name) {
      return key == name || key.rfind(name + ".", 0) == 0;
    });
    if (!member) continue;
    for (const auto& name : group) {
      if (key == name || key.rfind(name + ".", 0) == 0) continue;
      const auto dot = name.find('.');
      if (auto* parent = table[name.substr(0, dot)].as_table()) parent->erase(name.substr(dot + 1));
    }
  }
}

// Writes a value as TOML, arrays element by element. toml++ 3.3.0's table
// formatter sizes arrays of floats by casting a negative log10 to size_t, which
// is undefined behaviour for values below 0.1, as the fuzzer found. A single
// value prints without that computation.
void render_value(const toml::node& node, std::ostream& out) {
  if (const auto* array = node.as_array()) {
    out << '[';
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (i > 0) out << ", ";
      render_value(*array->get(i), out);
    }
    out << ']';
    return;
  }
  if (const auto* inline_table = node.as_table()) {
    out << '{';
    bool first = true;
    for (const auto& [key, child] : *inline_table) {
      out << (first ? " " : ", ") << key.str() << " = ";
      render_value(child, out);
      first = false;
    }
    out << " }";
    return;
  }
  node.visit([&](const auto& value) { out << value; });
}

// Writes a table's values, then each sub-table under its own [header], so the
// text parses back to the same table.
void render_table(const toml::table& table, const std::string& prefix, std::ostream& out) {
  for (const auto& [key, node] : table) {
    if (node.is_table()) continue;
    out << key.str() << " = ";
    render_value(node, out);
    out << '\n';
  }
  for (const auto& [key, node] : table) {
    if (!node.is_table()) continue;
    const std::string name = prefix.empty() ? std::string(key.str())
                                            : prefix + "." + std::string(key.str());
    out << "\n[" << name << "]\n";
    render_table(*node.as_table(), name, out);
  }
}

std::string render_toml(const toml::table& table) {
  std::ostringstream out;
  render_table(table, "", out);
  return out.str();
}

}  // namespace

JobError::JobError(std::vector<std::string> problems)
    : std::runtime_error([&] {
        std::string text = "invalid job:";
        for (const auto& problem : problems) text += "\n  " + problem;
        return text;
      }()),
      problems_(std::move(problems)) {}

std::vector<std::uint64_t> checkpoint_steps(const Schedule& schedule, std::uint64_t steps,
                                            int count, CheckpointSpacing spacing) {
  std::vector<std::uint64_t> result{0};
  for (int i = 1; i < count; ++i) {
    const double fraction = static_cast<double>(i) / (count - 1);
    std::uint64_t t = steps;
    if (i < count - 1) {
      if (spacing == CheckpointSpacing::log_steps) {
        t = static_cast<std::uint64_t>(
            std::llround(std::exp(fraction * std::log(static_cast<double>(steps)))));
      } else {
        t = schedule.steps_to_reach(fraction * schedule.tau(steps), steps);
      }
    }
    t = std::min(t, steps);
    if (t > result.back()) result.push_back(t);
  }
  if (result.back() != steps) result.push_back(steps);
  return result;
}

const std::string& default_job_toml() {
  static const std::string text = R"(# Built-in default: the paper's base setting (Figure 3a), with the constant
# schedule and a short horizon so that it finishes within seconds.
name = "default"

[model]
a = 8.0
zeta = 0.001
sigma = 0.1
rho = 1.0

[users]
attributes = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
initial_states = [[2, 0], [0, 2], [2, 2]]
arrival = "uniform"

[products]
angles_deg = [1, 45, 89]

[schedule]
kind = "constant"
gamma = 0.01

[horizon]
tau = 200.0

[checkpoints]
count = 40
spacing = "tau"

[run]
replicas = 16
seed = 1
)";
  return text;
}

Job parse_job(const std::string& toml_text, const std::string& source,
              const std::vector<std::string>& overrides) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    throw JobError({fmt::format("{}:{}:{}: malformed TOML: {}. Fix the syntax at that place.",
                                source, where.line, where.column, error.description())});
  }

  std::vector<std::string> override_problems;
  for (const auto& assignment : overrides) {
    try {
      drop_alternatives(table, assignment);
      apply_override(table, assignment);
    } catch (const std::invalid_argument& error) {
      override_problems.emplace_back(error.what());
    }
  }
  if (!override_problems.empty()) throw JobError(override_problems);

  Job job;
  job.source = source;
  JobReader reader(table);
  reader.check_known_keys(known_keys());
  for (const auto& key : table_keys()) {
    if (reader.has(key) && !reader.is_table(key)) {
      reader.fail(key, "expected a table, e.g. [" + key + "] on a line of its own followed by "
                  "its keys.");
    }
  }

  const std::string stem = source == "built-in default"
                               ? "default"
                               : std::filesystem::path(source).stem().string();
  job.name = reader.string("name").value_or(stem);

  read_model(reader, job.model);
  read_arrival(reader, job.model);
  read_schedule(reader, job.model.schedule);
  read_horizon(reader, job);
  read_run_settings(reader, job);
  read_output_settings(reader, job);

  if (!reader.problems().empty()) throw JobError(reader.problems());
  job.resolved_toml = render_toml(table);
  return job;
}

Job load_job(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return parse_job(default_job_toml(), "built-in default", overrides);

  std::ifstream file(path);
  if (!file) {
    throw JobError({fmt::format("{}: cannot open the job file ({}). Check the path.", path,
                                std::strerror(errno))});
  }
  std::stringstream text;
  text << file.rdbuf();
  return parse_job(text.str(), path, overrides);
}

}  // namespace loopmc
