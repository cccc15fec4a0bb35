#include "loopmc/job_reader.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace loopmc {

namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream stream(key);
  std::string part;
  while (std::getline(stream, part, '.')) parts.push_back(part);
  return parts;
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

void collect_keys(const toml::table& table, const std::string& prefix,
                  std::vector<std::string>& out) {
  for (const auto& [name, node] : table) {
    const std::string key = prefix.empty() ? std::string(name.str())
                                           : prefix + "." + std::string(name.str());
    out.push_back(key);
    if (const auto* child = node.as_table()) collect_keys(*child, key, out);
  }
}

}  // namespace

std::string describe_node(const toml::node& node) {
  std::ostringstream out;
  node.visit([&](const auto& value) { out << value; });
  std::string text = out.str();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::size_t edit_distance(const std::string& left, const std::string& right) {
  std::vector<std::size_t> previous(right.size() + 1);
  std::vector<std::size_t> current(right.size() + 1);
  for (std::size_t j = 0; j <= right.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= left.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= right.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (left[i - 1] == right[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[right.size()];
}

const toml::node* JobReader::find(const std::string& key) const {
  const toml::node* node = &root_;
  for (const auto& part : split_key(key)) {
    const auto* table = node->as_table();
    if (table == nullptr) return nullptr;
    node = table->get(part);
    if (node == nullptr) return nullptr;
  }
  return node;
}

bool JobReader::has(const std::string& key) const { return find(key) != nullptr; }

bool JobReader::is_string(const std::string& key) const {
  const toml::node* node = find(key);
  return node != nullptr && node->is_string();
}

bool JobReader::is_table(const std::string& key) const {
  const toml::node* node = find(key);
  return node != nullptr && node->is_table();
}

void JobReader::fail(const std::string& key, const std::string& message) {
  problems_.push_back(key + ": " + message);
}

std::optional<double> JobReader::number(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (auto value = node->value<double>(); value && (node->is_integer() || node->is_floating_point())) {
    if (!std::isfinite(*value)) {
      fail(key, fmt::format("the value {} is not finite. Give a finite number.", *value));
      return std::nullopt;
    }
    return value;
  }
  fail(key, fmt::format("expected a number, got {} ({}). Write a number, e.g. {} = 1.0.",
                        type_name(*node), describe_node(*node), split_key(key).back()));
  return std::nullopt;
}

std::optional<std::int64_t> JobReader::integer(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->is_integer()) return node->value<std::int64_t>();
  if (node->is_floating_point()) {
    const double value = *node->value<double>();
    if (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 9.0e18) {
      return static_cast<std::int64_t>(value);
    }
  }
  fail(key, fmt::format("expected a whole number, got {} ({}). Write an integer, e.g. {} = 10.",
                        type_name(*node), describe_node(*node), split_key(key).back()));
  return std::nullopt;
}

std::optional<bool> JobReader::boolean(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->is_boolean()) return node->value<bool>();
  fail(key, fmt::format("expected true or false, got {} ({}).", type_name(*node),
                        describe_node(*node)));
  return std::nullopt;
}

std::optional<std::string> JobReader::string(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (node->is_string()) return node->value<std::string>();
  fail(key, fmt::format("expected a string, got {} ({}). Quote the value, e.g. {} = \"...\".",
                        type_name(*node), describe_node(*node), split_key(key).back()));
  return std::nullopt;
}

std::optional<std::vector<double>> JobReader::numbers(const std::string& key) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr) {
    fail(key, fmt::format("expected an array of numbers, got {} ({}).", type_name(*node),
                          describe_node(*node)));
    return std::nullopt;
  }
  std::vector<double> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    const auto value = item.value<double>();
    if (!(item.is_integer() || item.is_floating_point()) || !value) {
      fail(key, fmt::format("entry {} is {} ({}), not a number. Give numbers only.", i + 1,
                            type_name(item), describe_node(item)));
      return std::nullopt;
    }
    if (!std::isfinite(*value)) {
      fail(key, fmt::format("entry {} is {}, which is not finite. Give finite numbers only.",
                            i + 1, *value));
      return std::nullopt;
    }
    values.push_back(*value);
  }
  return values;
}

std::optional<Eigen::MatrixXd> JobReader::matrix(const std::string& key, int rows, int columns,
                                                 const std::string& row_name) {
  const toml::node* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr || array->empty()) {
    fail(key, fmt::format("expected a non-empty array of arrays (one per {}), got {}.", row_name,
                          describe_node(*node)));
    return std::nullopt;
  }
  const int row_count = static_cast<int>(array->size());
  if (rows >= 0 && row_count != rows) {
    fail(key, fmt::format("has {} rows, but the job has {} {}s. Give one row per {}.", row_count,
                          rows, row_name, row_name));
    return std::nullopt;
  }

  Eigen::MatrixXd result;
  for (int r = 0; r < row_count; ++r) {
    const auto* row = array->get(static_cast<std::size_t>(r))->as_array();
    if (row == nullptr) {
      fail(key, fmt::format("row {} is not an array. Write each {} as [x, y, ...].", r + 1,
                            row_name));
      return std::nullopt;
    }
    const int width = static_cast<int>(row->size());
    if (r == 0) {
      if (columns >= 0 && width != columns) {
        fail(key, fmt::format("row 1 has {} entries, but the dimension is {}. Give every {} "
                              "exactly {} coordinates.", width, columns, row_name, columns));
        return std::nullopt;
      }
      result.resize(width, row_count);
    } else if (width != result.rows()) {
      fail(key, fmt::format("row {} has {} entries, but row 1 has {}. Give every {} the same "
                            "number of coordinates.", r + 1, width, result.rows(), row_name));
      return std::nullopt;
    }
    for (int c = 0; c < width; ++c) {
      const toml::node& item = *row->get(static_cast<std::size_t>(c));
      const auto value = item.value<double>();
      if (!(item.is_integer() || item.is_floating_point()) || !value || !std::isfinite(*value)) {
        fail(key, fmt::format("row {}, entry {} is {}, not a finite number.", r + 1, c + 1,
                              describe_node(item)));
        return std::nullopt;
      }
      result(c, r) = *value;
    }
  }
  return result;
}

void JobReader::check_known_keys(const std::vector<std::string>& known_keys) {
  std::vector<std::string> present;
  collect_keys(root_, "", present);
  for (const auto& key : present) {
    if (std::find(known_keys.begin(), known_keys.end(), key) != known_keys.end()) continue;

    std::string nearest;
    std::size_t best = std::string::npos;
    for (const auto& known : known_keys) {
      const std::size_t distance = edit_distance(key, known);
      if (distance < best) {
        best = distance;
        nearest = known;
      }
    }
    std::string message = "unknown key.";
    if (best <= std::max<std::size_t>(2, key.size() / 3)) {
      message += fmt::format(" Did you mean '{}'?", nearest);
    }
    message += " The keys are listed in docs/job-file.md.";
    fail(key, message);
  }
}

void apply_override(toml::table& root, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw std::invalid_argument(fmt::format(
        "--set '{}': expected key=value, e.g. --set model.a=4.", assignment));
  }
  std::string key = assignment.substr(0, equals);
  const std::string text = assignment.substr(equals + 1);
  key.erase(std::remove_if(key.begin(), key.end(), ::isspace), key.end());

  // Read the value as TOML (numbers, booleans, arrays, quoted strings); a bare
  // word such as `constant` is taken as a string.
  toml::table parsed;
  try {
    parsed = toml::parse("value = " + text);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"value", text}};
  }

  const auto parts = split_key(key);
  toml::table* table = &root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* child = table->get(parts[i]);
    if (child == nullptr) {
      table->insert(parts[i], toml::table{});
      child = table->get(parts[i]);
    }
    table = child->as_table();
    if (table == nullptr) {
      throw std::invalid_argument(fmt::format(
          "--set '{}': '{}' is a value, not a table, so it has no key '{}'.", assignment,
          parts[i], parts[i + 1]));
    }
  }
  table->insert_or_assign(parts.back(), *parsed.get("value"));
}

}  // namespace loopmc
