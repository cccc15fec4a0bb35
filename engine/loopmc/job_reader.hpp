#pragma once
// Typed access to a parsed job table that collects every problem instead of
// stopping at the first, so one validation pass reports them all.

#include <toml++/toml.h>

#include <Eigen/Dense>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loopmc {

class JobReader {
 public:
  explicit JobReader(const toml::table& root) : root_(root) {}

  bool has(const std::string& key) const;
  bool is_string(const std::string& key) const;
  bool is_table(const std::string& key) const;

  std::optional<double> number(const std::string& key);
  std::optional<std::int64_t> integer(const std::string& key);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::string> string(const std::string& key);
  std::optional<std::vector<double>> numbers(const std::string& key);

  // An array of `rows` arrays of `columns` numbers, returned as columns x rows
  // so that each inner array becomes one column (one user or one product).
  // A negative `rows` or `columns` takes the size from the data.
  std::optional<Eigen::MatrixXd> matrix(const std::string& key, int rows, int columns,
                                        const std::string& row_name);

  // Records a problem: key, value, rule and fix in one sentence or two.
  void fail(const std::string& key, const std::string& message);

  std::vector<std::string>& problems() { return problems_; }

  // Rejects keys that the schema does not know, suggesting the nearest known key.
  void check_known_keys(const std::vector<std::string>& known_keys);

 private:
  const toml::node* find(const std::string& key) const;

  const toml::table& root_;
  std::vector<std::string> problems_;
};

// Renders a TOML node for a message, e.g. `"abc"` or `-3`.
std::string describe_node(const toml::node& node);

// Applies one `dotted.key=value` override to `root`. The value is read as a TOML
// value, and as a plain string when it is not one. Throws std::invalid_argument.
void apply_override(toml::table& root, const std::string& assignment);

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& left, const std::string& right);

}  // namespace loopmc
