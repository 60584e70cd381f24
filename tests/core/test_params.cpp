#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/params.hpp"
#include "temp_dir.hpp"

using namespace keepsim;
using Catch::Matchers::Contains;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

ParamSpec real(std::string key, double def, double lo, double hi, std::string unit = "1") {
  return {std::move(key), ParamType::Real, def, std::move(unit), lo, hi, {}, "a real"};
}
ParamSpec integer(std::string key, std::int64_t def, double lo, double hi) {
  return {std::move(key), ParamType::Int, def, "periods", lo, hi, {}, "an int"};
}

// A schema with every type, a two-dot key, an infinite default and unbounded ranges.
Schema test_schema() {
  Schema s;
  s.add({"model", ParamType::Choice, std::string("async"), "", -kInf, kInf, {"sync", "async"}, "scheduling"});
  s.add(integer("steps", 100, 1, 1000000));
  s.add(integer("seed", 42, 0, 9.0e18));
  s.add(real("citizens.vision", 1.7, 0, kInf, "cells"));
  s.add(real("citizens.density", 0.7, 0, 1));
  s.add({"citizens.active", ParamType::Bool, true, "", -kInf, kInf, {}, "are citizens active"});
  s.add(real("citizens.threshold", 0.1, -kInf, kInf));
  s.add(real("cops.vision", 1.7, 0, kInf, "cells"));
  s.add(real("jail.max_term", kInf, 0, kInf, "periods"));
  s.add({"output.label", ParamType::String, std::string("run"), "", -kInf, kInf, {}, ""});
  s.add(integer("grid.size.width", 40, 1, 10000));
  s.add(integer("citizens.count", -3, -10, 10));
  return s;
}

// A fresh directory (tests/temp_dir.hpp) that also writes config files.
struct TempDir : keepsim::test::TempDir {
  TempDir() : keepsim::test::TempDir("params") {}
  std::string write(const std::string& name, const std::string& text) const {
    const auto path = file(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
};

// The ConfigError thrown by `f`, so that where, key and message can all be checked.
template <class F>
ConfigError config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("no ConfigError thrown");
  return ConfigError("", "", "");
}

ConfigError load_error(const std::string& text, const std::string& origin = "test.toml") {
  const Schema s = test_schema();
  Params p(s);
  return config_error([&] { p.load_string(text, origin); });
}

ConfigError set_error(const std::string& assignment) {
  const Schema s = test_schema();
  Params p(s);
  return config_error([&] { p.apply_override(assignment); });
}

}  // namespace

TEST_CASE("defaults are the starting values", "[params]") {
  const Schema s = test_schema();
  const Params p(s);
  CHECK(p.get_string("model") == "async");
  CHECK(p.get_int("steps") == 100);
  CHECK(p.get_real("citizens.vision") == 1.7);
  CHECK(p.get_bool("citizens.active"));
  CHECK(p.get_real("jail.max_term") == kInf);
  CHECK(p.get_string("output.label") == "run");
  CHECK(p.get_int("grid.size.width") == 40);
  for (const auto& spec : s.all()) CHECK(p.origin(spec.key) == "default");
}

TEST_CASE("getters reject unknown keys and wrong types as logic errors", "[params]") {
  const Schema s = test_schema();
  const Params p(s);
  CHECK(p.get_real("steps") == 100.0);  // get_real also reads Int parameters
  CHECK_THROWS_AS(p.get_real("nope"), std::logic_error);
  CHECK_THROWS_AS(p.get_int("citizens.vision"), std::logic_error);
  CHECK_THROWS_AS(p.get_bool("steps"), std::logic_error);
  CHECK_THROWS_AS(p.get_string("steps"), std::logic_error);
  CHECK_THROWS_AS(p.get_real("model"), std::logic_error);
  CHECK_THROWS_AS(p.get("nope"), std::logic_error);
  CHECK_THROWS_AS(p.origin("nope"), std::logic_error);
  // A user error would be a ConfigError; these must not be.
  try {
    (void)p.get_int("citizens.vision");
  } catch (const ConfigError&) {
    FAIL("a programming error was reported as a ConfigError");
  } catch (const std::logic_error&) {
  }
}

TEST_CASE("type names and allowed text", "[params]") {
  CHECK(type_name(ParamType::Bool) == "bool");
  CHECK(type_name(ParamType::Int) == "int");
  CHECK(type_name(ParamType::Real) == "real");
  CHECK(type_name(ParamType::Choice) == "choice");
  CHECK(type_name(ParamType::String) == "string");
  const Schema s = test_schema();
  CHECK(allowed_text(*s.find("citizens.vision")) == "[0, inf]");
  CHECK(allowed_text(*s.find("citizens.density")) == "[0, 1]");
  CHECK(allowed_text(*s.find("citizens.threshold")) == "[-inf, inf]");
  CHECK(allowed_text(*s.find("steps")) == "[1, 1000000]");
  CHECK(allowed_text(*s.find("seed")) == "[0, 9000000000000000000]");
  CHECK(allowed_text(*s.find("model")) == "one of: sync, async");
  CHECK(allowed_text(*s.find("citizens.active")) == "true or false");
  CHECK(allowed_text(*s.find("output.label")) == "any string");
  CHECK(allowed_text(real("x", 0.5, 0.25, 1.5)) == "[0.25, 1.5]");
}

TEST_CASE("to_toml_text writes TOML values", "[params]") {
  CHECK(to_toml_text(Value(true)) == "true");
  CHECK(to_toml_text(Value(false)) == "false");
  CHECK(to_toml_text(Value(std::int64_t{-42})) == "-42");
  CHECK(to_toml_text(Value(1.0)) == "1.0");
  CHECK(to_toml_text(Value(-3.0)) == "-3.0");
  CHECK(to_toml_text(Value(0.1)) == "0.1");
  CHECK(to_toml_text(Value(0.7)) == "0.7");
  CHECK(to_toml_text(Value(1e-300)) == "1e-300");
  CHECK(to_toml_text(Value(kInf)) == "inf");
  CHECK(to_toml_text(Value(-kInf)) == "-inf");
  CHECK(to_toml_text(Value(std::string("async"))) == "\"async\"");
  CHECK(to_toml_text(Value(std::string("a\"b\\c"))) == R"("a\"b\\c")");
  CHECK(to_toml_text(Value(std::string("l1\nl2\tx\r"))) == R"("l1\nl2\tx\r")");
  CHECK(to_toml_text(Value(std::string("\x01"))) == R"("\u0001")");
}

TEST_CASE("load_file reports unreadable files", "[params]") {
  const TempDir tmp;
  const Schema s = test_schema();
  Params p(s);
  const std::string missing = (tmp.dir / "missing.toml").string();
  const auto e = config_error([&] { p.load_file(missing); });
  CHECK(e.where() == missing);
  CHECK(e.key().empty());
  CHECK_THAT(e.what(), Contains(missing) && Contains("cannot read file: ") && Contains("No such file"));
  const auto d = config_error([&] { p.load_file(tmp.dir.string()); });
  CHECK(d.where() == tmp.dir.string());
  CHECK_THAT(d.what(), Contains("cannot read file: "));
}

TEST_CASE("load_file reads values and records the file as origin", "[params]") {
  const TempDir tmp;
  const Schema s = test_schema();
  Params p(s);
  const auto path = tmp.write("a.toml",
                              "model = \"sync\"\n"
                              "[citizens]\nvision = 3\ndensity = 0.25\nactive = false\n"
                              "[grid.size]\nwidth = 80\n"
                              "[output]\nlabel = 'lit\\eral'\n");
  p.load_file(path);
  CHECK(p.get_string("model") == "sync");
  CHECK(p.get_real("citizens.vision") == 3.0);
  CHECK(std::holds_alternative<double>(
      p.get("citizens.vision")));  // an integer given to a real is stored as real
  CHECK(p.get_real("citizens.density") == 0.25);
  CHECK_FALSE(p.get_bool("citizens.active"));
  CHECK(p.get_int("grid.size.width") == 80);
  CHECK(p.get_string("output.label") == "lit\\eral");
  CHECK(p.origin("citizens.vision") == path);
  CHECK(p.origin("steps") == "default");
}

TEST_CASE("dotted keys and inline tables are flattened", "[params]") {
  const Schema s = test_schema();
  Params p(s);
  p.load_string("citizens.vision = 2.5\ngrid = { size = { width = 7 } }\n", "x.toml");
  CHECK(p.get_real("citizens.vision") == 2.5);
  CHECK(p.get_int("grid.size.width") == 7);
}

TEST_CASE("TOML syntax errors name the file and line", "[params]") {
  const TempDir tmp;
  const Schema s = test_schema();
  Params p(s);
  const auto path = tmp.write("bad.toml", "steps = 3\n[citizens\nvision = 2\n");
  const auto e = config_error([&] { p.load_file(path); });
  CHECK(e.where() == path);
  CHECK_THAT(e.what(), Contains(path) && Contains("line 2") && Contains("column"));
  CHECK(p.get_int("steps") == 100);
}

TEST_CASE("duplicate keys are an error naming the file", "[params]") {
  const TempDir tmp;
  const Schema s = test_schema();
  Params p(s);
  const auto path = tmp.write("dup.toml", "[citizens]\nvision = 2\nvision = 3\n");
  const auto e = config_error([&] { p.load_file(path); });
  CHECK(e.where() == path);
  CHECK_THAT(e.what(), Contains(path) && Contains("line 3"));
}

TEST_CASE("unknown keys suggest the closest parameter", "[params]") {
  const TempDir tmp;
  const Schema s = test_schema();
  Params p(s);
  const auto path = tmp.write("typo.toml", "[citizens]\nvison = 2\n");
  const auto e = config_error([&] { p.load_file(path); });
  CHECK(e.where() == path);
  CHECK(e.key() == "citizens.vison");
  CHECK_THAT(e.what(), Contains(path) && Contains("'citizens.vison'") &&
                           Contains("is not a parameter; did you mean 'citizens.vision'?"));

  // A misspelt table is an unknown key too, reported at its first leaf.
  const auto t = load_error("[citizen]\nvision = 2\n");
  CHECK(t.key() == "citizen.vision");
  CHECK_THAT(t.what(), Contains("did you mean 'citizens.vision'?"));
  CHECK(load_error("[foo.bar]\nx = 1\n").key() == "foo.bar.x");
  CHECK(load_error("[nothing]\n").key() == "nothing");

  // Nothing close: no suggestion.
  const auto far = load_error("zzzzqqqqwwww = 1\n");
  CHECK(far.key() == "zzzzqqqqwwww");
  CHECK_THAT(far.what(), Contains("is not a parameter"));
  CHECK_THAT(far.what(), !Contains("did you mean"));

  // The first problem in file order is the one reported (toml++ itself keeps keys sorted).
  CHECK(load_error("zzz = 1\naaa = 2\n").key() == "zzz");

  // An empty table that holds parameters is fine.
  Params ok(s);
  ok.load_string("[citizens]\n[grid.size]\n", "empty.toml");
  CHECK(ok.get_real("citizens.vision") == 1.7);
}

TEST_CASE("arrays are not parameters", "[params]") {
  const auto a = load_error("[citizens]\nvision = [1, 2]\n");
  CHECK(a.where() == "test.toml");
  CHECK(a.key() == "citizens.vision");
  CHECK_THAT(a.what(), Contains("got array") && Contains("[0, inf]"));
  const auto t = load_error("[[citizens]]\nvision = 1\n");
  CHECK(t.key() == "citizens");
  CHECK_THAT(t.what(), Contains("test.toml") && Contains("'citizens'") && Contains("table of parameters"));
  const auto u = load_error("things = [1]\n");
  CHECK(u.key() == "things");
  CHECK_THAT(u.what(), Contains("is not a parameter"));
}

TEST_CASE("values must have the parameter's type", "[params]") {
  auto check = [](const std::string& text, const std::string& key, const std::string& expected,
                  const std::string& allowed) {
    const auto e = load_error(text, "types.toml");
    CHECK(e.where() == "types.toml");
    CHECK(e.key() == key);
    CHECK_THAT(e.what(), Contains("types.toml") && Contains("'" + key + "'") && Contains(expected) &&
                             Contains("allowed: " + allowed));
  };
  check("[citizens]\nactive = 1\n", "citizens.active", "expected a boolean, got integer", "true or false");
  check("[citizens]\nactive = \"true\"\n", "citizens.active", "expected a boolean, got string",
        "true or false");
  check("steps = 3.0\n", "steps", "expected an integer, got float", "[1, 1000000]");
  check("steps = \"3\"\n", "steps", "expected an integer, got string", "[1, 1000000]");
  check("[citizens]\nvision = \"far\"\n", "citizens.vision", "expected a number, got string", "[0, inf]");
  check("[citizens]\nvision = 1979-05-27\n", "citizens.vision", "got date", "[0, inf]");
  check("[citizens]\nvision = nan\n", "citizens.vision", "nan", "[0, inf]");
  check("model = \"fast\"\n", "model", "value \"fast\" is not allowed", "one of: sync, async");
  check("model = 1\n", "model", "expected a string, got integer", "one of: sync, async");
  check("[output]\nlabel = true\n", "output.label", "expected a string, got boolean", "any string");

  const Schema s = test_schema();
  Params p(s);
  p.load_string("[citizens]\nvision = inf\nthreshold = -inf\n[jail]\nmax_term = 12\n", "ok.toml");
  CHECK(p.get_real("citizens.vision") == kInf);
  CHECK(p.get_real("citizens.threshold") == -kInf);
  CHECK(p.get_real("jail.max_term") == 12.0);
  CHECK(std::holds_alternative<double>(p.get("jail.max_term")));
}

TEST_CASE("values must be in range", "[params]") {
  auto check = [](const std::string& text, const std::string& key, const std::string& value,
                  const std::string& allowed) {
    const auto e = load_error(text, "range.toml");
    CHECK(e.key() == key);
    CHECK_THAT(e.what(), Contains("range.toml") && Contains("'" + key + "'") &&
                             Contains("value " + value + " is out of range; allowed: " + allowed));
  };
  check("steps = 0\n", "steps", "0", "[1, 1000000]");
  check("steps = 1000001\n", "steps", "1000001", "[1, 1000000]");
  check("[citizens]\ndensity = 1.5\n", "citizens.density", "1.5", "[0, 1]");
  check("[citizens]\ndensity = -0.25\n", "citizens.density", "-0.25", "[0, 1]");
  check("[citizens]\nvision = -inf\n", "citizens.vision", "-inf", "[0, inf]");
  check("[citizens]\ncount = -11\n", "citizens.count", "-11", "[-10, 10]");
  // The bounds themselves are allowed.
  const Schema s = test_schema();
  Params p(s);
  p.load_string("steps = 1\n[citizens]\ndensity = 1\ncount = -10\n", "edge.toml");
  CHECK(p.get_int("steps") == 1);
  CHECK(p.get_real("citizens.density") == 1.0);
  CHECK(p.get_int("citizens.count") == -10);
}

TEST_CASE("a bad file changes nothing", "[params]") {
  const Schema s = test_schema();
  Params p(s);
  CHECK_THROWS_AS(p.load_string("steps = 5\n[citizens]\ndensity = 2\n", "bad.toml"), ConfigError);
  CHECK(p.get_int("steps") == 100);
  CHECK(p.origin("steps") == "default");
}

TEST_CASE("file A, then file B, then --set", "[params]") {
  const TempDir tmp;
  const Schema s = test_schema();
  Params p(s);
  const auto a = tmp.write("a.toml", "steps = 10\n[citizens]\nvision = 2\ndensity = 0.5\n");
  const auto b = tmp.write("b.toml", "[citizens]\nvision = 3\n");
  p.load_file(a);
  p.load_file(b);
  p.apply_override("steps=20");
  CHECK(p.get_int("steps") == 20);
  CHECK(p.origin("steps") == "--set");
  CHECK(p.get_real("citizens.vision") == 3.0);
  CHECK(p.origin("citizens.vision") == b);
  CHECK(p.get_real("citizens.density") == 0.5);
  CHECK(p.origin("citizens.density") == a);
  CHECK(p.get_string("model") == "async");
  CHECK(p.origin("model") == "default");
  p.apply_override("citizens.vision=4");
  CHECK(p.get_real("citizens.vision") == 4.0);
  CHECK(p.origin("citizens.vision") == "--set");
}

TEST_CASE("overrides from --set parse by the key's type", "[params]") {
  const Schema s = test_schema();
  Params p(s);
  p.apply_override("citizens.active=false");
  CHECK_FALSE(p.get_bool("citizens.active"));
  p.apply_override("citizens.active=true");
  CHECK(p.get_bool("citizens.active"));
  p.apply_override("steps=+5");
  CHECK(p.get_int("steps") == 5);
  p.apply_override("citizens.count=-7");
  CHECK(p.get_int("citizens.count") == -7);
  p.apply_override("seed=9000000000000000000");
  CHECK(p.get_int("seed") == 9000000000000000000);
  p.apply_override("citizens.vision=inf");
  CHECK(p.get_real("citizens.vision") == kInf);
  p.apply_override("citizens.threshold=-inf");
  CHECK(p.get_real("citizens.threshold") == -kInf);
  p.apply_override("citizens.threshold=1e-300");
  CHECK(p.get_real("citizens.threshold") == 1e-300);
  p.apply_override("citizens.density=0.1");
  CHECK(p.get_real("citizens.density") == 0.1);
  p.apply_override("cops.vision=2");
  CHECK(std::holds_alternative<double>(p.get("cops.vision")));
  CHECK(p.get_real("cops.vision") == 2.0);
  p.apply_override("model=sync");
  CHECK(p.get_string("model") == "sync");
  p.apply_override("model=\"async\"");
  CHECK(p.get_string("model") == "async");
  p.apply_override("output.label=hello world");
  CHECK(p.get_string("output.label") == "hello world");
  p.apply_override(R"(output.label="say \"hi\" \\o/")");
  CHECK(p.get_string("output.label") == R"(say "hi" \o/)");
  p.apply_override("output.label=a=b");  // only the first '=' splits
  CHECK(p.get_string("output.label") == "a=b");
  p.apply_override("output.label=");
  CHECK(p.get_string("output.label").empty());
}

TEST_CASE("overrides from --set report errors", "[params]") {
  const auto m = set_error("citizens.vision");
  CHECK(m.where() == "--set");
  CHECK(m.key().empty());
  CHECK_THAT(m.what(), Contains("expected key=value, got 'citizens.vision'"));
  CHECK(set_error("=3").key().empty());

  const auto u = set_error("citizens.vison=3");
  CHECK(u.where() == "--set");
  CHECK(u.key() == "citizens.vison");
  CHECK_THAT(u.what(), Contains("did you mean 'citizens.vision'?"));

  auto check = [](const std::string& assignment, const std::string& key, const std::string& text,
                  const std::string& allowed) {
    const auto e = set_error(assignment);
    CHECK(e.where() == "--set");
    CHECK(e.key() == key);
    CHECK_THAT(e.what(), Contains("--set") && Contains("'" + key + "'") && Contains(text) &&
                             Contains("allowed: " + allowed));
  };
  check("citizens.active=yes", "citizens.active", "'yes'", "true or false");
  check("citizens.active=1", "citizens.active", "'1'", "true or false");
  check("steps=12abc", "steps", "expected an integer, got '12abc'", "[1, 1000000]");
  check("steps=3.0", "steps", "expected an integer, got '3.0'", "[1, 1000000]");
  check("steps=", "steps", "expected an integer", "[1, 1000000]");
  check("seed=99999999999999999999", "seed", "does not fit", "[0, 9000000000000000000]");
  check("seed=-1", "seed", "value -1 is out of range", "[0, 9000000000000000000]");
  check("steps=2000000", "steps", "value 2000000 is out of range", "[1, 1000000]");
  check("citizens.density=abc", "citizens.density", "expected a number, got 'abc'", "[0, 1]");
  check("citizens.density=0.5x", "citizens.density", "expected a number", "[0, 1]");
  check("citizens.density=nan", "citizens.density", "nan", "[0, 1]");
  check("citizens.density=1.5", "citizens.density", "value 1.5 is out of range", "[0, 1]");
  check("citizens.vision=-inf", "citizens.vision", "value -inf is out of range", "[0, inf]");
  check("model=fast", "model", "value \"fast\" is not allowed", "one of: sync, async");
  check("model=\"fast\"", "model", "value \"fast\" is not allowed", "one of: sync, async");
}

TEST_CASE("set() checks like any other source", "[params]") {
  const Schema s = test_schema();
  Params p(s);
  p.set("citizens.vision", std::int64_t{5}, "code");
  CHECK(std::holds_alternative<double>(p.get("citizens.vision")));
  CHECK(p.get_real("citizens.vision") == 5.0);
  CHECK(p.origin("citizens.vision") == "code");
  p.set("model", std::string("sync"), "code");
  CHECK(p.get_string("model") == "sync");

  auto e = config_error([&] { p.set("citizens.density", 2.0, "code"); });
  CHECK(e.where() == "code");
  CHECK(e.key() == "citizens.density");
  CHECK_THAT(e.what(), Contains("value 2 is out of range; allowed: [0, 1]"));
  e = config_error([&] { p.set("steps", 2.0, "code"); });
  CHECK_THAT(e.what(), Contains("expected an integer, got float 2.0"));
  e = config_error([&] { p.set("model", std::string("x"), "code"); });
  CHECK_THAT(e.what(), Contains("one of: sync, async"));
  e = config_error([&] { p.set("citizens.active", std::int64_t{1}, "code"); });
  CHECK_THAT(e.what(), Contains("expected a boolean"));
  e = config_error([&] { p.set("vison", 1.0, "code"); });
  CHECK(e.key() == "vison");
  CHECK_THAT(e.what(), Contains("did you mean 'citizens.vision'?"));
  CHECK(p.get_real("citizens.density") == 0.7);  // failed sets change nothing
}

TEST_CASE("to_toml writes tables in declaration order", "[params]") {
  const Schema s = test_schema();
  const Params p(s);
  const std::string text = p.to_toml();
  // Top-level keys first, before any table header.
  const auto first_table = text.find('[');
  REQUIRE(first_table != std::string::npos);
  CHECK(text.find("model = \"async\"\n") < first_table);
  CHECK(text.find("steps = 100\n") < first_table);
  CHECK(text.find("seed = 42\n") < first_table);
  CHECK(
      text.find("\n[citizens]\nvision = 1.7\ndensity = 0.7\nactive = true\nthreshold = 0.1\ncount = -3\n") !=
      std::string::npos);
  CHECK(text.find("[citizens]") < text.find("[cops]"));
  CHECK(text.find("[cops]") < text.find("[jail]"));
  CHECK(text.find("[jail]\nmax_term = inf\n") != std::string::npos);
  CHECK(text.find("[grid.size]\nwidth = 40\n") != std::string::npos);
  CHECK(text.find("[grid]") == std::string::npos);  // the two-dot key lives in [grid.size]
  // One line per parameter.
  std::size_t assignments = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) assignments += line.find(" = ") != std::string::npos;
  CHECK(assignments == s.all().size());
}

TEST_CASE("to_toml round-trips through load_string", "[params]") {
  const Schema s = test_schema();
  Params p(s);
  p.set("citizens.vision", kInf, "code");
  p.set("citizens.threshold", -1e-300, "code");
  p.set("citizens.density", 0.1, "code");
  p.set("cops.vision", 1e-300, "code");
  p.set("jail.max_term", 1.0, "code");
  p.set("citizens.count", std::int64_t{-10}, "code");
  p.set("seed", std::int64_t{8999999999999999999}, "code");
  p.set("citizens.active", false, "code");
  p.set("model", std::string("sync"), "code");
  p.set("output.label",
        std::string("quote \" back\\slash \\\" tab\t nl\n cr\r bell\x07 utf8 \xc3\xa9 'single'"), "code");
  for (const double d : {0.1 + 0.2, 1.0 / 3.0, 123456789.125, 1e22, 5e-324, 1.7976931348623157e308}) {
    p.set("citizens.threshold", d, "code");
    Params q(s);
    q.load_string(p.to_toml(), "roundtrip.toml");
    CHECK(q.get_real("citizens.threshold") == d);
  }
  p.set("citizens.threshold", -0.5, "code");
  const std::string text = p.to_toml();
  Params q(s);
  q.load_string(text, "roundtrip.toml");
  for (const auto& spec : s.all()) {
    INFO(spec.key << "\n" << text);
    CHECK(q.get(spec.key) == p.get(spec.key));
    CHECK(q.get(spec.key).index() == p.get(spec.key).index());
    CHECK(q.origin(spec.key) == "roundtrip.toml");
  }
  CHECK(q.to_toml() == text);
}

TEST_CASE("Schema::add rejects bad declarations", "[params]") {
  Schema s = test_schema();
  CHECK_THROWS_AS(s.add(real("citizens.vision", 1, 0, 2)), std::logic_error);  // duplicate
  CHECK_THROWS_AS(s.add({"b", ParamType::Bool, std::int64_t{1}, "", -kInf, kInf, {}, ""}), std::logic_error);
  CHECK_THROWS_AS(s.add(integer("i", 0, 1, 5)), std::logic_error);  // default below min
  CHECK_THROWS_AS(s.add(real("r", 6, 1, 5)), std::logic_error);     // default above max
  CHECK_THROWS_AS(s.add({"i2", ParamType::Int, 1.0, "", 0, 5, {}, ""}), std::logic_error);
  CHECK_THROWS_AS(s.add({"r2", ParamType::Real, std::string("x"), "", 0, 5, {}, ""}), std::logic_error);
  CHECK_THROWS_AS(s.add({"c", ParamType::Choice, std::string("z"), "", -kInf, kInf, {"a", "b"}, ""}),
                  std::logic_error);
  CHECK_THROWS_AS(s.add({"c2", ParamType::Choice, std::int64_t{0}, "", -kInf, kInf, {"a", "b"}, ""}),
                  std::logic_error);
  CHECK_THROWS_AS(s.add({"s", ParamType::String, true, "", -kInf, kInf, {}, ""}), std::logic_error);
  CHECK_THROWS_AS(s.add(real("nan", std::nan(""), -kInf, kInf)), std::logic_error);
  // Keys must be writable as TOML: bare parts, and no key that is also a table.
  CHECK_THROWS_AS(s.add(real("bad key", 0, 0, 1)), std::logic_error);
  CHECK_THROWS_AS(s.add(real("a..b", 0, 0, 1)), std::logic_error);
  CHECK_THROWS_AS(s.add(real("", 0, 0, 1)), std::logic_error);
  CHECK_THROWS_AS(s.add(real("citizens", 0, 0, 1)), std::logic_error);
  CHECK_THROWS_AS(s.add(real("steps.x", 0, 0, 1)), std::logic_error);
  const auto n = s.all().size();
  // An integer default of a Real is stored as a real.
  s.add({"r3", ParamType::Real, std::int64_t{2}, "", 0, 5, {}, ""});
  REQUIRE(s.all().size() == n + 1);
  CHECK(std::get<double>(s.find("r3")->default_value) == 2.0);
  CHECK(s.find("nope") == nullptr);
}

TEST_CASE("Schema::closest", "[params]") {
  const Schema s = test_schema();
  CHECK(s.closest("citizens.vison") == "citizens.vision");
  CHECK(s.closest("citizens.vision") == "citizens.vision");
  CHECK(s.closest("vison") == "citizens.vision");
  CHECK(s.closest("cops.vison") == "cops.vision");
  CHECK(s.closest("citizen.density") == "citizens.density");
  CHECK(s.closest("agents.density") == "citizens.density");  // right key, wrong table
  CHECK(s.closest("stepz") == "steps");
  CHECK(s.closest("modle") == "model");
  CHECK(s.closest("completely_unrelated") == "");
  CHECK(s.closest("xyzzy") == "");
  CHECK(Schema().closest("steps") == "");
}

TEST_CASE("describe_schema is an aligned table grouped by TOML table", "[params]") {
  const Schema s = test_schema();
  const std::string text = describe_schema(s);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(!lines.empty());
  const std::string& header = lines[0];
  for (const char* col : {"KEY", "TYPE", "DEFAULT", "UNIT", "ALLOWED", "DOC"})
    CHECK_THAT(header, Contains(col));
  const auto type_col = header.find("TYPE");
  const auto allowed_col = header.find("ALLOWED");
  std::size_t rows = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    ++rows;
    const std::string key = lines[i].substr(0, lines[i].find(' '));
    const ParamSpec* spec = s.find(key);
    REQUIRE(spec != nullptr);
    CHECK(lines[i].substr(type_col, type_name(spec->type).size()) == type_name(spec->type));
    CHECK(lines[i].substr(allowed_col, allowed_text(*spec).size()) == allowed_text(*spec));
    CHECK(lines[i].back() != ' ');
  }
  CHECK(rows == s.all().size());
  CHECK_THAT(text, Contains("1.7") && Contains("cells") && Contains("[0, inf]") &&
                       Contains("one of: sync, async") && Contains("scheduling"));
  // A blank line before each group: top-level keys, then one group per table.
  CHECK_THAT(text, Contains("\n\nmodel ") && Contains("\n\ncitizens.vision ") &&
                       Contains("\n\ncops.vision ") && Contains("\n\ngrid.size.width "));
  CHECK_THAT(text, !Contains("\n\ncitizens.density "));
}

TEST_CASE("invalid_utf8_at finds the first byte that is not well-formed UTF-8", "[params]") {
  const auto npos = std::string_view::npos;
  CHECK(invalid_utf8_at("") == npos);
  CHECK(invalid_utf8_at("plain ascii") == npos);
  CHECK(invalid_utf8_at("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == npos);  // é, €, an emoji
  CHECK(invalid_utf8_at("caf\xE9") == 3);                                       // Latin-1
  CHECK(invalid_utf8_at("\xC0\xAF") == 0);                                      // overlong '/'
  CHECK(invalid_utf8_at("a\xED\xA0\x80") == 1);                                 // a surrogate
  CHECK(invalid_utf8_at("\xF4\x90\x80\x80") == 0);                              // above U+10FFFF
  CHECK(invalid_utf8_at("ab\xE2\x82") == 2);                                    // cut short
  CHECK(invalid_utf8_at("\xFF\xFE") == 0);                                      // a UTF-16 byte order mark
  CHECK(escape_invalid_utf8("caf\xE9 \xC3\xA9\xFF") == "caf\\xE9 \xC3\xA9\\xFF");
}

TEST_CASE("strings that are not UTF-8 or hold NUL are refused with the key", "[params]") {
  const Schema s = test_schema();
  Params p(s);
  const ConfigError e = config_error([&] { p.apply_override("output.label=caf\xE9"); });
  CHECK(e.key() == "output.label");
  CHECK_THAT(e.what(), Contains("not UTF-8") && Contains("caf\\xE9"));
  CHECK_THAT(config_error([&] { p.set("output.label", std::string("a\0b", 3), "test"); }).what(),
             Contains("NUL"));
  p.apply_override("output.label=caf\xC3\xA9");
  CHECK(p.get_string("output.label") == "caf\xC3\xA9");
}

TEST_CASE("a table given where a parameter is expected names the parameter", "[params]") {
  const Schema s = test_schema();
  Params p(s);
  const ConfigError e = config_error([&] { p.load_string("[citizens.vision]\nradius = 7\n", "f.toml"); });
  CHECK(e.key() == "citizens.vision");
  CHECK_THAT(e.what(), Contains("got table"));
}

TEST_CASE("keys nested too deep for the TOML parser are refused before parsing", "[params]") {
  CHECK(toml_key_too_deep("[a.b.c]\nx = 1.5\ny = [1.5, 2.5, 3.5]\n") == 0);
  CHECK(toml_key_too_deep("title = \"a.b.c.d.e.f.g\"\n", 3) == 0);  // dots in strings do not count
  CHECK(toml_key_too_deep("s = '''\n.\n.\n'''\na.b.c.d = 1\n", 2) == 5);
  std::string deep = "x = 1\n[";
  for (int i = 0; i < 100000; ++i) deep += "a.";
  deep += "a]\n";
  CHECK(toml_key_too_deep(deep) == 2);
  const Schema s = test_schema();
  Params p(s);
  CHECK_THAT(config_error([&] { p.load_string(deep, "deep.toml"); }).what(),
             Contains("deep.toml") && Contains("line 2") && Contains("64 levels"));
}
