#include "build/push_listener.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/ids.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

constexpr const char* kApp = "7d0c1c5e-1f5b-4a3e-9a53-0c1b8b3f2a11";
constexpr const char* kAccount = "a1b2c3d4-0000-4000-8000-000000000001";

// What a hook sees: the output frames concatenated, and the exit status (-1: none came).
struct Answer {
  std::string output;
  int status = -1;
};

class PushListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-push-" + random_hex(6));
    fs::create_directories(dir_);
    options_.socket_path = dir_ / "run" / "push.sock";
    options_.archive_dir = dir_ / "pushes";
    listener_ = std::make_unique<PushListener>(
        options_, [this](const PushRequest& push, const PushOutput& output,
                         const std::atomic<bool>& interrupted) {
          ++calls_;
          last_ = push;
          if (push.ref == "refs/heads/wait") {  // a long build: runs until interrupted (or 10 s)
            output("-----> building\n");
            const auto start = Clock::now();
            while (!interrupted && Clock::now() - start < std::chrono::seconds(10)) {
              std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            interrupted_at_ = Clock::now();
            saw_interrupt_ = interrupted.load();
            returned_ = true;  // after the two above: readers check it first
            return 1;
          }
          output("-----> received " + push.new_sha.substr(0, 7) + "\n");
          output(std::string(std::size_t{100} * 1024, 'x'));  // more than one frame
          return push.ref == "refs/heads/main" ? 0 : 7;
        });
    ASSERT_TRUE(listener_->start());
  }
  void TearDown() override {
    listener_->stop();
    fs::remove_all(dir_);
  }

  PushMessage message(const std::string& token) {
    const fs::path archive = options_.archive_dir / (random_hex(4) + ".tar.gz");
    std::ofstream(archive) << "archive";
    PushMessage m;
    m.token = token;
    m.push = PushRequest{kApp,
                         kAccount,
                         "refs/heads/main",
                         std::string(40, '0'),
                         "0123456789abcdef0123456789abcdef01234567",
                         archive};
    return m;
  }

  // A hook's end of the channel: connected, `wire` sent.
  int connect_and_send(const std::string& wire) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = options_.socket_path.string();
    std::memcpy(addr.sun_path, path.c_str(), std::min(path.size() + 1, sizeof addr.sun_path));
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(wire.size()));
    return fd;
  }

  Answer send(const std::string& wire) {
    const int fd = connect_and_send(wire);
    Answer answer;
    FrameReader reader;
    std::array<char, 4096> buffer{};
    for (;;) {
      auto frame = reader.next();
      EXPECT_TRUE(frame);
      if (!frame) break;
      if (*frame) {
        if ((*frame)->type == FrameType::kOutput) answer.output += (*frame)->payload;
        if ((*frame)->type == FrameType::kExit) {
          answer.status = *parse_exit_status((*frame)->payload);
          break;
        }
        continue;
      }
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    ::close(fd);
    return answer;
  }

  Answer push(const PushMessage& m) {
    return send(encode_frame(FrameType::kPush, encode_push_message(m)));
  }

  // Connects and sends a push of refs/heads/wait; returns once its handler runs.
  int start_waiting_push() {
    auto m = message(listener_->issue_token(kApp, kAccount));
    m.push.ref = "refs/heads/wait";
    const int fd = connect_and_send(encode_frame(FrameType::kPush, encode_push_message(m)));
    std::array<char, 64> first{};
    EXPECT_GT(::recv(fd, first.data(), first.size(), 0), 0);  // "-----> building"
    return fd;
  }

  // Waits (up to 15 s) for the waiting handler to return.
  void wait_for_handler() {
    const auto start = Clock::now();
    while (!returned_ && Clock::now() - start < std::chrono::seconds(15)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  using Clock = std::chrono::steady_clock;
  fs::path dir_;
  PushListenerOptions options_;
  std::unique_ptr<PushListener> listener_;
  std::atomic<int> calls_{0};
  PushRequest last_;
  Clock::time_point interrupted_at_;
  std::atomic<bool> saw_interrupt_{false};
  std::atomic<bool> returned_{false};
};

TEST_F(PushListenerTest, SocketIsPrivate) {
  EXPECT_EQ(fs::status(options_.socket_path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(PushListenerTest, RunsTheHandlerAndStreamsItsOutputAndStatus) {
  const auto m = message(listener_->issue_token(kApp, kAccount));
  const Answer answer = push(m);
  EXPECT_EQ(answer.status, 0);
  EXPECT_TRUE(answer.output.starts_with("-----> received 0123456\n"));
  EXPECT_EQ(answer.output.size(),
            std::string("-----> received 0123456\n").size() + std::size_t{100} * 1024);
  EXPECT_EQ(calls_, 1);
  EXPECT_EQ(last_.app_id, kApp);
  EXPECT_EQ(last_.account_id, kAccount);
  EXPECT_EQ(last_.archive, m.push.archive);
}

TEST_F(PushListenerTest, TheHandlersStatusRejects) {
  auto m = message(listener_->issue_token(kApp, kAccount));
  m.push.ref = "refs/heads/master";
  EXPECT_EQ(push(m).status, 7);
}

TEST_F(PushListenerTest, TokensAreOneTimeAndBoundToAppAndAccount) {
  const std::string token = listener_->issue_token(kApp, kAccount);
  EXPECT_EQ(push(message(token)).status, 0);
  const Answer again = push(message(token));
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.output.find("not authorized"), std::string::npos);

  auto other_app = message(listener_->issue_token(kApp, kAccount));
  other_app.push.app_id = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(push(other_app).status, 1);
  auto other_account = message(listener_->issue_token(kApp, kAccount));
  other_account.push.account_id = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(push(other_account).status, 1);
  EXPECT_EQ(push(message(random_hex(32))).status, 1);

  const std::string revoked = listener_->issue_token(kApp, kAccount);
  listener_->revoke_token(revoked);
  EXPECT_EQ(push(message(revoked)).status, 1);
  EXPECT_EQ(calls_, 1);
}

TEST_F(PushListenerTest, ArchivesOutsideTheArchiveDirAreRefused) {
  auto m = message(listener_->issue_token(kApp, kAccount));
  m.push.archive = dir_ / "elsewhere.tar.gz";
  std::ofstream(m.push.archive) << "x";
  EXPECT_EQ(push(m).status, 1);
  auto missing = message(listener_->issue_token(kApp, kAccount));
  fs::remove(missing.push.archive);
  EXPECT_EQ(push(missing).status, 1);
  auto link = message(listener_->issue_token(kApp, kAccount));
  fs::remove(link.push.archive);
  fs::create_symlink(dir_ / "elsewhere.tar.gz", link.push.archive);
  EXPECT_EQ(push(link).status, 1);
  EXPECT_EQ(calls_, 0);
}

TEST_F(PushListenerTest, GarbageIsRefusedWithoutCallingTheHandler) {
  EXPECT_EQ(send(encode_frame(FrameType::kPush, "version=1\n")).status, 1);
  EXPECT_EQ(send(std::string("Z\0\0\0\0", 5)).status,
            -1);  // not the protocol: the connection just ends
  EXPECT_EQ(send(encode_frame(FrameType::kOutput, "hi")).status, -1);
  EXPECT_EQ(calls_, 0);
}

TEST_F(PushListenerTest, AHookThatGoesAwayInterruptsItsHandlerAtOnce) {
  const int fd = start_waiting_push();
  const auto closed = Clock::now();
  ::close(fd);  // git killed the hook: nothing more is written to it, its end just closes
  wait_for_handler();
  ASSERT_TRUE(returned_);
  EXPECT_TRUE(saw_interrupt_);
  // Noticed by the watching poll, not by a timeout or the next write.
  EXPECT_LT(interrupted_at_ - closed, std::chrono::milliseconds(500));
}

TEST_F(PushListenerTest, AnOpenConnectionDoesNotInterrupt) {
  const int fd = start_waiting_push();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past one poll timeout
  EXPECT_FALSE(returned_);
  ::close(fd);
  wait_for_handler();
  EXPECT_TRUE(saw_interrupt_);
}

TEST_F(PushListenerTest, StopInterruptsRunningHandlersInsteadOfWaiting) {
  const int fd = start_waiting_push();
  const auto stopping = Clock::now();
  listener_->stop();
  EXPECT_LT(Clock::now() - stopping, std::chrono::seconds(2));
  ASSERT_TRUE(returned_);
  EXPECT_TRUE(saw_interrupt_);
  ::close(fd);
}

TEST(PushListenerStart, RefusesASocketPathTooLongForUnixSockets) {
  PushListener listener(
      {fs::path("/tmp") / std::string(120, 'a') / "push.sock",
       fs::temp_directory_path() / ("slipway-push-" + random_hex(6))},
      [](const PushRequest&, const PushOutput&, const std::atomic<bool>&) { return 0; });
  auto started = listener.start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("too long"), std::string::npos);
  fs::remove_all(listener.options().archive_dir);
}

}  // namespace
}  // namespace slipway::build
