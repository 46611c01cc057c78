#include "build/push_listener.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <fstream>

#include "common/ids.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

const std::string kApp = "7d0c1c5e-1f5b-4a3e-9a53-0c1b8b3f2a11";
const std::string kAccount = "a1b2c3d4-0000-4000-8000-000000000001";

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
        options_, [this](const PushRequest& push, const PushOutput& output) {
          ++calls_;
          last_ = push;
          output("-----> received " + push.new_sha.substr(0, 7) + "\n");
          output(std::string(100 * 1024, 'x'));  // more than one frame
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

  Answer send(const std::string& wire) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, options_.socket_path.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(wire.size()));
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

  fs::path dir_;
  PushListenerOptions options_;
  std::unique_ptr<PushListener> listener_;
  std::atomic<int> calls_{0};
  PushRequest last_;
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
  EXPECT_EQ(answer.output.size(), std::string("-----> received 0123456\n").size() + 100 * 1024);
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

TEST(PushListenerStart, RefusesASocketPathTooLongForUnixSockets) {
  PushListener listener({fs::path("/tmp") / std::string(120, 'a') / "push.sock",
                         fs::temp_directory_path() / ("slipway-push-" + random_hex(6))},
                        [](const PushRequest&, const PushOutput&) { return 0; });
  auto started = listener.start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("too long"), std::string::npos);
  fs::remove_all(listener.options().archive_dir);
}

}  // namespace
}  // namespace slipway::build
