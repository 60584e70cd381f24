// An external design matrix (SALib, the EMA Workbench, a spreadsheet): one row a sample, one column a
// parameter named by its dotted config key.
#pragma once
#include <string>
#include <vector>

#include "keepsim/core/params.hpp"

namespace keepsim::sweep {

struct CsvDesign {
  std::string path;
  std::vector<std::string> columns;      ///< parameter keys, in file order
  std::vector<std::vector<Value>> rows;  ///< one value per column, checked against the schema
  std::vector<int> lines;                ///< the line of each row in the file (1-based), for messages
};

/// Reads a CSV design. Blank lines and lines starting with '#' are skipped; fields may be double-quoted.
/// Throws ConfigError naming "path:line:column" for an unknown or repeated column (with the closest key), a
/// value of the wrong type or out of range (with the allowed values), a short or long row, an unclosed quote,
/// text that is not UTF-8, or a file without rows.
CsvDesign read_design_csv(const std::string& path, const Schema& schema);

}  // namespace keepsim::sweep
