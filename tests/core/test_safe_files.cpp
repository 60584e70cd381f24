// safe_files (issue 15): excerpts for messages, capped input reads, exclusive creation, removing only our own
// files, and the advisory lock with its holder's name. The CLI tests drive the same code through processes;
// these pin down the edge cases one at a time.
#include "keepsim/core/safe_files.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "keepsim/core/errors.hpp"
#include "keepsim/core/h5file.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using keepsim::ConfigError;
using keepsim::OutputError;

namespace {

struct TempDir : keepsim::test::TempDir {
  TempDir() : keepsim::test::TempDir("safe") {}
};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("safe_files: excerpt escapes control characters and cuts long text", "[safe_files]") {
  CHECK(keepsim::excerpt("plain") == "plain");
  CHECK(keepsim::excerpt("a\x1b[2Jb\n\t\x7f") == "a\\x1B[2Jb\\n\\t\\x7F");
  CHECK(keepsim::excerpt("\xc2\x9b"
                         "31m") == "\\u009B31m");  // C1 CSI
  CHECK(keepsim::excerpt("bad \xff byte") == "bad \\xFF byte");
  const std::string cut = keepsim::excerpt(std::string(5000, 'x'), 80);
  CHECK(cut == std::string(80, 'x') + "... (5000 bytes in all)");
  // Never cut in the middle of a UTF-8 sequence (which would then print as an invalid byte).
  const std::string e = keepsim::excerpt(std::string(79, 'x') + "\xc3\xa9" + "tail", 80);
  CHECK(e == std::string(79, 'x') + "... (85 bytes in all)");
}

TEST_CASE("safe_files: input files are read whole, capped, and only when regular or pipes", "[safe_files]") {
  const TempDir t;
  write(t.file("c.toml"), "title = \"x\"\n");
  CHECK(keepsim::read_input_file(t.file("c.toml"), "config file", 100) == "title = \"x\"\n");
  write(t.file("big.toml"), std::string(101, '#'));
  CHECK_THROWS_WITH(keepsim::read_input_file(t.file("big.toml"), "config file", 100),
                    Catch::Contains("too large") && Catch::Contains("100 bytes"));
  CHECK_THROWS_WITH(keepsim::read_input_file(t.dir.string(), "config file", 100),
                    Catch::Contains("a directory"));
  CHECK_THROWS_WITH(keepsim::read_input_file("/dev/zero", "config file", 100),
                    Catch::Contains("a character device"));
  CHECK_THROWS_AS(keepsim::read_input_file(t.file("missing.toml"), "config file", 100), ConfigError);
  CHECK_THROWS_WITH(keepsim::read_input_file(t.file(std::string(300, 'n')), "config file", 100),
                    Catch::Contains("File name too long"));
}

TEST_CASE("safe_files: non-regular outputs and inputs as outputs are refused", "[safe_files]") {
  const TempDir t;
  CHECK_NOTHROW(keepsim::refuse_non_regular(t.file("new.h5"), "output"));
  write(t.file("old.h5"), "x");
  CHECK_NOTHROW(keepsim::refuse_non_regular(t.file("old.h5"), "output"));
  REQUIRE(symlink(t.file("old.h5").c_str(), t.file("link.h5").c_str()) == 0);
  CHECK_THROWS_WITH(keepsim::refuse_non_regular(t.file("link.h5"), "output"),
                    Catch::Contains("symbolic link"));
  REQUIRE(mkfifo(t.file("fifo").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(keepsim::refuse_non_regular(t.file("fifo"), "output"), Catch::Contains("named pipe"));
  CHECK_THROWS_WITH(keepsim::refuse_non_regular(t.dir.string(), "output"), Catch::Contains("directory"));
  CHECK_THROWS_WITH(keepsim::refuse_non_regular("/dev/null", "output"), Catch::Contains("character device"));

  REQUIRE(link(t.file("old.h5").c_str(), t.file("hard.toml").c_str()) == 0);
  CHECK_THROWS_WITH(
      keepsim::refuse_input_as_output(t.file("old.h5"), "output", {{t.file("hard.toml"), "config"}}),
      Catch::Contains("config"));
  CHECK_NOTHROW(
      keepsim::refuse_input_as_output(t.file("new.h5"), "output", {{t.file("hard.toml"), "config"}}));
}

TEST_CASE("safe_files: only our own regular files are removed or replaced", "[safe_files]") {
  const TempDir t;
  write(t.file("victim"), "precious");
  REQUIRE(symlink(t.file("victim").c_str(), t.file("o.h5.part").c_str()) == 0);
  CHECK_FALSE(keepsim::remove_own_file(t.file("o.h5.part")));
  CHECK(fs::is_symlink(t.file("o.h5.part")));
  CHECK_THROWS_WITH(keepsim::remove_stale(t.file("o.h5.part"), "temporary output"),
                    Catch::Contains("symbolic link"));
  CHECK(read(t.file("victim")) == "precious");
  CHECK(keepsim::create_exclusive(t.file("o.h5.part")) < 0);  // O_EXCL: never through the link

  write(t.file("stale.part"), "half");
  CHECK_NOTHROW(keepsim::remove_stale(t.file("stale.part"), "temporary output"));
  CHECK_FALSE(fs::exists(t.file("stale.part")));
  const int fd = keepsim::create_exclusive(t.file("stale.part"));
  CHECK(fd >= 0);
  if (fd >= 0) close(fd);
  CHECK(keepsim::create_exclusive(t.file("stale.part")) < 0);  // and never over an existing file
}

TEST_CASE("safe_files: a RunFile does not write through a link at its .part", "[safe_files]") {
  const TempDir t;
  write(t.file("victim"), "precious");
  REQUIRE(symlink(t.file("victim").c_str(), t.file("r.h5.part").c_str()) == 0);
  CHECK_THROWS_AS(keepsim::RunFile(t.file("r.h5")), OutputError);
  CHECK(read(t.file("victim")) == "precious");
}

TEST_CASE("safe_files: write_file_replacing replaces a link, never writes through it", "[safe_files]") {
  const TempDir t;
  write(t.file("victim"), "precious");
  REQUIRE(symlink(t.file("victim").c_str(), t.file("manifest.toml").c_str()) == 0);
  keepsim::write_file_replacing(t.file("manifest.toml"), "new\n");
  CHECK(read(t.file("victim")) == "precious");
  CHECK_FALSE(fs::is_symlink(t.file("manifest.toml")));
  CHECK(read(t.file("manifest.toml")) == "new\n");
  CHECK(std::distance(fs::directory_iterator(t.dir), fs::directory_iterator{}) == 2);  // no temporary left
}

TEST_CASE("safe_files: a lock is exclusive, names its holder and is removed when released", "[safe_files]") {
  const TempDir t;
  const std::string path = t.file("o.h5.lock");
  {
    keepsim::FileLock lock(path, "output o.h5", "keepsim run -o o.h5");
    CHECK(lock.held());
    CHECK(keepsim::FileLock::holder(path) == "pid " + std::to_string(getpid()) + " (keepsim run -o o.h5)");
    // flock locks belong to the open file: a second open in the same process is refused like another process.
    CHECK_THROWS_WITH(keepsim::FileLock(path, "output o.h5", "again"),
                      Catch::Contains("in use") && Catch::Contains("pid " + std::to_string(getpid())));
  }
  CHECK_FALSE(fs::exists(path));
  keepsim::FileLock again(path, "output o.h5", "again");
  CHECK(again.held());
}

TEST_CASE("safe_files: shared locks go together, not with an exclusive one", "[safe_files]") {
  const TempDir t;
  const std::string path = t.file("sweep.lock");
  keepsim::FileLock a(path, "sweep folder", "task 0", true);
  keepsim::FileLock b(path, "sweep folder", "task 1", true);
  CHECK((a.held() && b.held()));
  CHECK_THROWS_WITH(keepsim::FileLock(path, "sweep folder", "collect"), Catch::Contains("in use"));
  a.release();
  b.release();
  keepsim::FileLock c(path, "sweep folder", "collect");
  CHECK(c.held());
}
