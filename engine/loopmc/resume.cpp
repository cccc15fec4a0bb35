#include "loopmc/resume.hpp"

#include "loopmc/h5.hpp"
#include "loopmc/job_reader.hpp"
#include "loopmc/runner.hpp"
#include "loopmc/version.hpp"

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace loopmc {

namespace {

using NodeMap = std::map<std::string, const toml::node*>;

// Keys that change neither the simulated values nor the file's layout.
const std::set<std::string>& keys_without_effect() {
  static const std::set<std::string> keys = {"run.threads", "output.file", "name", "description"};
  return keys;
}

void flatten(const toml::node& node, const std::string& key, NodeMap& out) {
  if (const auto* table = node.as_table()) {
    for (const auto& [name, child] : *table) {
      const std::string child_key = key.empty() ? std::string(name.str())
                                                : key + "." + std::string(name.str());
      flatten(child, child_key, out);
    }
    return;
  }
  out[key] = &node;
}

std::string render(const toml::node& node) {
  std::ostringstream out;
  node.visit([&](const auto& value) { out << value; });
  return out.str();
}

// Equal as job values: 8 and 8.0 are the same number.
bool same_value(const toml::node& left, const toml::node& right) {
  const bool left_number = left.is_integer() || left.is_floating_point();
  const bool right_number = right.is_integer() || right.is_floating_point();
  if (left_number && right_number) return left.value<double>() == right.value<double>();
  const auto* left_array = left.as_array();
  const auto* right_array = right.as_array();
  if (left_array != nullptr && right_array != nullptr) {
    if (left_array->size() != right_array->size()) return false;
    for (std::size_t i = 0; i < left_array->size(); ++i) {
      if (!same_value(*left_array->get(i), *right_array->get(i))) return false;
    }
    return true;
  }
  return left.type() == right.type() && render(left) == render(right);
}

toml::table parse_stored_job(const std::string& text, const std::string& label) {
  try {
    return toml::parse(text, label);
  } catch (const toml::parse_error& error) {
    throw RunError(fmt::format("the job stored in {} cannot be parsed ({}), so it cannot be "
                               "compared with this job. Start over with --force.",
                               label, error.description()));
  }
}

h5::File open_previous(const std::string& path) {
  try {
    return h5::File::open(path, h5::File::Mode::read);
  } catch (const h5::H5Error& error) {
    throw RunError(fmt::format(
        "cannot read {} to resume it: {}. Check that it is a loopmc result file; to start "
        "over, run with --force instead of --resume.", path, error.what()));
  }
}

void check_same_build(const h5::File& file) {
  const auto stored = [&](const char* name) {
    return h5::read_string_attribute(file, "/", name).value_or("unknown");
  };
  const std::string stored_version = stored("loopmc_version");
  const std::string stored_revision = stored("git_revision");
  // Files written before build_type was stored carry none; the revision then decides.
  const auto stored_build = h5::read_string_attribute(file, "/", "build_type");
  if (stored_version == version() && stored_revision == git_revision() &&
      (!stored_build || *stored_build == build_type())) {
    return;
  }
  throw RunError(fmt::format(
      "{} was written by loopmc {} (revision {}, {} build), but this is loopmc {} (revision {}, "
      "{} build), which may compute different values. Resume with the build that started the "
      "run, or start over with --force.", file.path(), stored_version, stored_revision,
      stored_build.value_or("unknown"), version(), git_revision(), build_type()));
}

void check_same_job(const h5::File& file, const Job& job) {
  const std::string stored = h5::read_string_dataset(file, "/job/toml");
  const auto differences = job_differences(stored, job.resolved_toml);
  if (differences.empty()) return;
  std::string text;
  for (const auto& line : differences) text += "\n  " + line;
  throw RunError(fmt::format(
      "{} was written by a different job, so resuming would mix results:{}\nResume with the "
      "job file and --set options of the original run, or start over with --force.",
      file.path(), text));
}

std::vector<std::uint64_t> finished_replicas(const h5::File& file, const Job& job) {
  h5::Dims shape;
  const auto flags = h5::read_dataset<std::uint8_t>(file, "/replicas/finished", &shape);
  if (shape.size() != 1 || shape[0] != job.run.replicas) {
    throw RunError(fmt::format("{}: /replicas/finished has {} entries, but the job has {} "
                               "replicas. The file is damaged; start over with --force.",
                               file.path(), shape.empty() ? 0 : shape[0], job.run.replicas));
  }
  std::vector<std::uint64_t> finished;
  for (std::size_t r = 0; r < flags.size(); ++r) {
    if (flags[r] == 1) finished.push_back(r);
  }
  return finished;
}

}  // namespace

std::vector<std::string> job_differences(const std::string& stored_toml,
                                         const std::string& job_toml) {
  const toml::table stored = parse_stored_job(stored_toml, "the result file");
  const toml::table current = parse_stored_job(job_toml, "this job");
  NodeMap stored_values;
  NodeMap current_values;
  flatten(stored, "", stored_values);
  flatten(current, "", current_values);

  std::set<std::string> keys;
  for (const auto& entry : stored_values) keys.insert(entry.first);
  for (const auto& entry : current_values) keys.insert(entry.first);

  std::vector<std::string> differences;
  for (const auto& key : keys) {
    if (keys_without_effect().count(key) != 0) continue;
    const auto in_file = stored_values.find(key);
    const auto in_job = current_values.find(key);
    if (in_file == stored_values.end()) {
      differences.push_back(fmt::format("{}: the file does not set it, this job has {}", key,
                                        describe_node(*in_job->second)));
    } else if (in_job == current_values.end()) {
      differences.push_back(fmt::format("{}: the file has {}, this job does not set it", key,
                                        describe_node(*in_file->second)));
    } else if (!same_value(*in_file->second, *in_job->second)) {
      differences.push_back(fmt::format("{}: the file has {}, this job has {}", key,
                                        describe_node(*in_file->second),
                                        describe_node(*in_job->second)));
    }
  }
  return differences;
}

ResumePlan plan_resume(const Job& job, const OutputLayout& layout) {
  const std::string& path = job.output.file;
  ResumePlan plan;
  if (!std::filesystem::exists(path)) {
    spdlog::info("resume: {} does not exist, so this is a fresh run", path);
    return plan;
  }

  const h5::File file = open_previous(path);
  if (h5::read_string_attribute(file, "/", "format").value_or("") != "loopmc-result-1") {
    throw RunError(fmt::format("{} is not a loopmc result file (no root attribute format = "
                               "\"loopmc-result-1\"). Choose the run's file with --out.", path));
  }
  check_same_job(file, job);
  // A complete file needs no computing, so the build that wrote it does not matter.
  if (h5::read_number_attribute(file, "/", "complete").value_or(0) == 1) {
    plan.start = ResumeStart::complete;
    return plan;
  }
  check_same_build(file);

  plan.start = ResumeStart::resume;
  plan.kept = finished_replicas(file, job);
  plan.finished_in_file = plan.kept.size();
  if (layout.summary_user_states && !layout.replica_user_states && !plan.kept.empty()) {
    // /summary/Y_mean merges every replica's user states in replica order, and
    // the file does not store them per replica, so only a rerun gives them back.
    spdlog::warn("resume: {} stores no per-replica user states, which /summary/Y_mean and "
                 "/summary/Y_var need, so its {} finished replicas run again", path,
                 plan.kept.size());
    plan.kept.clear();
  }
  spdlog::info("resume: {} has {} of {} replicas finished; keeping {}, running {}", path,
               plan.finished_in_file, job.run.replicas, plan.kept.size(),
               job.run.replicas - plan.kept.size());
  return plan;
}

}  // namespace loopmc
