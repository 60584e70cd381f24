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
};

/// Reads a CSV design. Blank lines and lines starting with '#' are skipped; fields may be double-quoted.
/// Throws ConfigError naming "path:line:column" for an unknown column (with the closest key), a value of the
/// wrong type or out of range (with the allowed values), a short or long row, or a file without rows.
CsvDesign read_design_csv(const std::string& path, const Schema& schema);

}  // namespace keepsim::sweep
