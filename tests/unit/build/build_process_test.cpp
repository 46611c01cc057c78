#include "build/build_process.h"

#include <signal.h>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "build_test_util.h"

namespace slipway::build {
namespace {

using Clock = std::chrono::steady_clock;
using testing::read_file;
using testing::TempDir;

// The test scripts are constants run by `/bin/sh -c`, with values passed as arguments.
ProcessSpec shell(const std::string& script, std::vector<std::string> args = {}) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script, "test-script"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = {{"PATH", "/usr/bin:/bin"}};
  spec.cwd = "/";
  return spec;
}

bool process_gone(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  // Gone, or a zombie waiting for a reaper that is not us.
  return stat.empty() || stat.find(") Z ") != std::string::npos;
}

TEST(BuildProcess, StreamsMergedOutputLineByLineAsItComes) {
  std::vector<std::pair<std::string, Clock::time_point>> lines;
  const auto started = Clock::now();
  auto outcome = run_process(
      shell("echo first; echo to-stderr >&2; sleep 1; printf 'second\\nno newline'"),
      [&](std::string_view line) { lines.emplace_back(std::string(line), Clock::now()); });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->succeeded());
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[0].first, "first\n");
  EXPECT_EQ(lines[1].first, "to-stderr\n");
  EXPECT_EQ(lines[2].first, "second\n");
  EXPECT_EQ(lines[3].first, "no newline\n");
  // The first line arrived before the program slept, not at the end.
  EXPECT_LT(lines[0].second - started, std::chrono::milliseconds(800));
  EXPECT_GE(lines[2].second - lines[0].second, std::chrono::milliseconds(800));
}

TEST(BuildProcess, CapturesStdoutSeparatelyWithALimit) {
  std::string streamed;
  ProcessSpec spec = shell("echo out; echo err >&2; head -c 5000 /dev/zero | tr '\\0' x");
  spec.capture_stdout = true;
  spec.max_capture = 100;
  auto outcome = run_process(spec, [&](std::string_view line) { streamed += line; });
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(streamed, "err\n");
  EXPECT_EQ(outcome->captured.substr(0, 4), "out\n");
  EXPECT_EQ(outcome->captured.size(), 100U);
  EXPECT_TRUE(outcome->capture_truncated);
}

TEST(BuildProcess, ExitCodesSignalsAndStartFailures) {
  auto outcome = run_process(shell("exit 3"), {});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->exit_code, 3);
  EXPECT_FALSE(outcome->succeeded());
  outcome = run_process(shell("kill -9 $$"), {});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->signal, SIGKILL);

  TempDir tmp;
  testing::write_file(tmp / "not-executable", "#!/bin/sh\n", 0644);
  ProcessSpec spec;
  spec.argv = {(tmp / "not-executable").string()};
  spec.cwd = "/";
  outcome = run_process(spec, {});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message,
            "cannot run " + (tmp / "not-executable").string() + ": Permission denied");
  spec.argv = {(tmp / "missing").string()};
  outcome = run_process(spec, {});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message,
            "cannot run " + (tmp / "missing").string() + ": No such file or directory");
  spec = shell("true");
  spec.cwd = tmp / "no-such-dir";
  outcome = run_process(spec, {});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message.rfind("cannot enter ", 0), 0U);
  spec.argv = {"sh"};
  EXPECT_FALSE(run_process(spec, {}).ok());  // not an absolute path
}

TEST(BuildProcess, ExactlyTheGivenEnvironmentAndDirectory) {
  ::setenv("SLIPWAY_TEST_LEAK", "leaked", 1);
  std::string out;
  ProcessSpec spec;
  spec.argv = {"/usr/bin/env"};
  spec.env = {{"ONLY", "this"}, {"PATH", "/bin"}};
  spec.cwd = "/tmp";
  auto outcome = run_process(spec, [&](std::string_view line) { out += line; });
  ::unsetenv("SLIPWAY_TEST_LEAK");
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(out, "ONLY=this\nPATH=/bin\n");
  out.clear();
  outcome = run_process(shell("pwd"), [&](std::string_view line) { out += line; });
  EXPECT_EQ(out, "/\n");
}

TEST(BuildProcess, LimitsApplyInTheChild) {
  std::string out;
  ProcessSpec spec = shell("nice; ulimit -d; ulimit -c; ulimit -v");
  spec.limits.nice_increment = 5;
  spec.limits.memory_limit_bytes = std::uint64_t{256} * 1024 * 1024;
  auto outcome = run_process(spec, [&](std::string_view line) { out += line; });
  ASSERT_TRUE(outcome.ok());
  errno = 0;
  const int base = ::getpriority(PRIO_PROCESS, 0);
  EXPECT_EQ(out, std::to_string(std::min(19, base + 5)) + "\n262144\n0\nunlimited\n");
  // The limit is enforced: allocating more than it fails.
  out.clear();
  spec = ProcessSpec{};
  spec.argv = {"/usr/bin/python3", "-c",
               "import sys\ntry:\n  b = bytearray(512 * 1024 * 1024)\n  print('allocated')\n"
               "except MemoryError:\n  print('MemoryError')\n"};
  spec.cwd = "/";
  spec.limits.memory_limit_bytes = std::uint64_t{256} * 1024 * 1024;
  outcome = run_process(spec, [&](std::string_view line) { out += line; });
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(out, "MemoryError\n");
}

TEST(BuildProcess, CancelKillsTheWholeProcessGroup) {
  TempDir tmp;
  std::atomic<bool> cancel{false};
  ProcessControl control;
  control.cancel = &cancel;
  control.kill_grace = std::chrono::milliseconds(300);
  const auto started = Clock::now();
  auto outcome = run_process(
      shell("trap '' TERM; sleep 300 & echo $! > \"$1\"; echo started; wait",
            {(tmp / "pid").string()}),
      [&](std::string_view line) {
        if (line == "started\n") cancel = true;
      },
      control);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->cancelled);
  EXPECT_FALSE(outcome->succeeded());
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(10));
  const pid_t sleeper = std::stoi(read_file(tmp / "pid"));
  for (int i = 0; i < 50 && !process_gone(sleeper); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(process_gone(sleeper));
}

TEST(BuildProcess, DeadlineAndLeftoversInTheGroupAreKilled) {
  TempDir tmp;
  ProcessControl control;
  control.deadline = Clock::now() + std::chrono::milliseconds(300);
  auto outcome = run_process(shell("sleep 30"), {}, control);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->timed_out);

  // A background process that keeps the output pipe open does not keep the build waiting.
  const auto started = Clock::now();
  outcome =
      run_process(shell("sleep 300 & echo $! > \"$1\"; echo done", {(tmp / "pid").string()}), {});
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->succeeded());
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));
  const pid_t leftover = std::stoi(read_file(tmp / "pid"));
  for (int i = 0; i < 50 && !process_gone(leftover); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(process_gone(leftover));
}

TEST(BuildProcess, FindProgram) {
  EXPECT_EQ(find_program("sh", "/nonexistent:/bin"), std::filesystem::path("/bin/sh"));
  EXPECT_FALSE(find_program("no-such-program-xyz", "/usr/bin:/bin").has_value());
}

}  // namespace
}  // namespace slipway::build
