// The C++ wrapper (include/vidiflow_auth.hpp) against the dev authority.
//
//   tests/with-authority.sh build/cpp_client_test
//
// Needs VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET and VF_SCOPE as tests/with-authority.sh
// sets them. Prints one line per failed check and "N passed, N failed" last; exits 1 on any
// failure.

#include "vidiflow_auth.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef _WIN32
#include <sys/wait.h>
#include <unistd.h>
#endif

// Defined in second_unit.cpp.
std::string_view version_from_second_unit();
vf::LogHandler log_handler_seen_by_second_unit();

namespace {

int passed = 0;
int failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::printf("FAIL line %d: %s\n", line, what);
    }
}

#define CHECK(condition) check((condition), #condition, __LINE__)

// Runs `body`, expecting it to throw vf::Error; returns that error, or records a failure.
template <typename Body>
bool throws(Body body, vf::Error *caught, int line) {
    try {
        body();
    } catch (const vf::Error &error) {
        *caught = error;
        return true;
    } catch (const std::exception &other) {
        std::printf("FAIL line %d: threw something other than vf::Error: %s\n", line, other.what());
        ++failed;
        return false;
    }
    std::printf("FAIL line %d: did not throw\n", line);
    ++failed;
    return false;
}

#define EXPECT_ERROR(body, error) throws([&] { body; }, &(error), __LINE__)

const char *env(const char *name) {
    const char *value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        std::printf("FAIL: %s is not set; run under tests/with-authority.sh\n", name);
        std::exit(1);
    }
    return value;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// Ownership rules are part of the interface: checked at compile time.
static_assert(!std::is_copy_constructible_v<vf::Options> && !std::is_copy_assignable_v<vf::Options>);
static_assert(!std::is_copy_constructible_v<vf::Client> && !std::is_copy_assignable_v<vf::Client>);
static_assert(!std::is_copy_constructible_v<vf::Token> && !std::is_copy_assignable_v<vf::Token>);
static_assert(std::is_nothrow_move_constructible_v<vf::Options> && std::is_nothrow_move_assignable_v<vf::Options>);
static_assert(std::is_nothrow_move_constructible_v<vf::Client> && std::is_nothrow_move_assignable_v<vf::Client>);
static_assert(std::is_nothrow_move_constructible_v<vf::Token> && std::is_nothrow_move_assignable_v<vf::Token>);
static_assert(std::is_nothrow_copy_constructible_v<vf::Error>, "exceptions are copied while thrown");
static_assert(std::is_base_of_v<std::runtime_error, vf::Error>);

void library_info() {
    CHECK(vf::version() == std::string_view(vf_version()));
    CHECK(!vf::version().empty());
    CHECK(vf::abi_version() == 1);
    CHECK(std::string_view(vf::status_name(VF_STATUS_OAUTH)) == "VF_STATUS_OAUTH");
    CHECK(version_from_second_unit() == vf::version());
}

void token_from_env() {
    const vf::Client client = vf::Client::from_env();
    const vf::Token token = client.token();
    CHECK(static_cast<bool>(token));
    CHECK(token.access_token().size() > 20);
    CHECK(token.authorization() == "Bearer " + std::string(token.access_token()));
    CHECK(token.type() == "Bearer");
    CHECK(token.scope() == "api1");
    CHECK(token.expires_in() > std::chrono::seconds(3500) && token.expires_in() <= std::chrono::seconds(3600));
    const auto from_now = token.expires_at() - std::chrono::system_clock::now();
    CHECK(from_now > std::chrono::seconds(3500) && from_now <= std::chrono::seconds(3601));

    // The second call is served from the cache: the same token.
    CHECK(client.token().access_token() == token.access_token());
    // So is a request the cached token can meet.
    CHECK(client.token(std::chrono::seconds(600)).access_token() == token.access_token());
}

void builder_options_and_basic_auth() {
    // The dev authority refuses vf-basic unless it really authenticates with Basic.
    const vf::Client client(vf::Options()
                                .set("authority", env("VF_AUTHORITY"))
                                .set("client_id", "vf-basic")
                                .set("client_secret", "a+b/c=d%e&f:g")
                                .set("auth_method", "client_secret_basic")
                                .set("scope", "api2"));
    const vf::Token token = client.token();
    CHECK(token.scope() == "api2");
}

void min_valid_beyond_lifetime_throws() {
    const vf::Client client = vf::Client::from_env();
    vf::Error error(VF_STATUS_OK, "");
    if (EXPECT_ERROR(client.token(std::chrono::hours(2)), error)) {
        CHECK(error.status() == VF_STATUS_INVALID_ARGUMENT);
        CHECK(contains(error.message(), "3600 s"));
    }
    if (EXPECT_ERROR(client.token(std::chrono::seconds(-1)), error)) {
        CHECK(error.status() == VF_STATUS_INVALID_ARGUMENT);
    }
}

void bad_secret_throws_oauth_error() {
    const std::string wrong = "wrong-secret-9876543210";
    const vf::Client client(vf::Options::from_env().set("client_secret", wrong));
    vf::Error error(VF_STATUS_OK, "");
    if (EXPECT_ERROR(client.token(), error)) {
        CHECK(error.status() == VF_STATUS_OAUTH);
        CHECK(std::string_view(error.status_name()) == "VF_STATUS_OAUTH");
        CHECK(error.oauth_error() == "invalid_client");
        CHECK(error.http_status() == 401);
        CHECK(error.message() == error.what());
        CHECK(contains(error.message(), "invalid_client"));
        CHECK(!contains(error.message(), wrong));
        CHECK(!contains(error.message(), env("VF_CLIENT_SECRET")));
        CHECK(error.oauth_uri().empty() || contains(error.oauth_uri(), "http"));
    }
    // Also catchable as a standard exception, with the same message.
    try {
        (void)client.token();
        CHECK(false);
    } catch (const std::exception &caught) {
        CHECK(contains(caught.what(), "invalid_client") || contains(caught.what(), "backing off"));
    }
    // The refusal is remembered (no request); clear_hold() lets the next call ask at once.
    const std::uint64_t sent = client.stats().requests;
    vf::Error remembered(VF_STATUS_OK, "");
    if (EXPECT_ERROR(client.token(), remembered)) {
        CHECK(contains(remembered.message(), "remembered"));
    }
    CHECK(client.stats().requests == sent);
    client.clear_hold();
    vf::Error asked_again(VF_STATUS_OK, "");
    if (EXPECT_ERROR(client.token(), asked_again)) {
        CHECK(asked_again.status() == VF_STATUS_OAUTH && !contains(asked_again.message(), "remembered"));
    }
    CHECK(client.stats().requests > sent);
    const vf::SharedStats shared = client.shared_stats();
    CHECK(shared.shared_hits == 0 && shared.redis_hits == 0 && shared.redis_misses == 0 && shared.redis_errors == 0);
}

void bad_scope_throws_invalid_scope() {
    // invalid_scope is written by tests/authority/server.mjs, as IdentityServer answers;
    // oidc-provider alone would drop the unknown scope.
    const vf::Client client(vf::Options::from_env().set("scope", "nope"));
    vf::Error error(VF_STATUS_OK, "");
    if (EXPECT_ERROR(client.token(), error)) {
        CHECK(error.status() == VF_STATUS_OAUTH);
        CHECK(error.oauth_error() == "invalid_scope");
        CHECK(error.http_status() == 400);
    }
}

void config_errors_throw_early() {
    vf::Error error(VF_STATUS_OK, "");
    vf::Options options;
    if (EXPECT_ERROR(options.set("scopes", "api1"), error)) {
        CHECK(error.status() == VF_STATUS_CONFIG);
        CHECK(contains(error.message(), "unknown option key"));
    }
    if (EXPECT_ERROR(options.set("timeout_ms", "ten"), error)) {
        CHECK(error.status() == VF_STATUS_CONFIG);
        CHECK(contains(error.message(), "timeout_ms"));
    }
    // A NUL inside a std::string would cut the value short in C: refused, value not quoted.
    const std::string with_nul("s3cr3t\0tail", 11);
    if (EXPECT_ERROR(options.set("client_secret", with_nul), error)) {
        CHECK(error.status() == VF_STATUS_CONFIG);
        CHECK(contains(error.message(), "NUL"));
        CHECK(!contains(error.message(), "s3cr3t"));
    }
    // Arguments swapped: the "key" is the secret. Neither error may quote it.
    if (EXPECT_ERROR(options.set("s3cr3t-key", std::string("client_secret\0", 14)), error)) {
        CHECK(!contains(error.message(), "s3cr3t"));
    }
    if (EXPECT_ERROR(options.set("s3cr3t-key", "client_secret"), error)) {
        CHECK(contains(error.message(), "unknown option key"));
        CHECK(!contains(error.message(), "s3cr3t"));
    }
    // Missing client id: the client refuses to be made.
    options.set("authority", env("VF_AUTHORITY")).set("client_secret", "x");
    if (EXPECT_ERROR(vf::Client{options}, error)) {
        CHECK(error.status() == VF_STATUS_CONFIG);
        CHECK(contains(error.message(), "client_id"));
    }
}

void moves_transfer_ownership() {
    vf::Options options = vf::Options::from_env();
    vf::Options moved_options = std::move(options);
    CHECK(!options);  // NOLINT(bugprone-use-after-move): moved-from state is part of the contract
    CHECK(static_cast<bool>(moved_options));
    vf::Error error(VF_STATUS_OK, "");
    if (EXPECT_ERROR(options.set("scope", "api1"), error)) {
        CHECK(error.status() == VF_STATUS_INVALID_ARGUMENT);
    }
    if (EXPECT_ERROR(vf::Client{options}, error)) {
        CHECK(error.status() == VF_STATUS_INVALID_ARGUMENT);
    }
    options = vf::Options();  // a moved-from object can be assigned again
    CHECK(static_cast<bool>(options));

    vf::Client client(moved_options);
    vf::Client moved_client = std::move(client);
    CHECK(!client);
    if (EXPECT_ERROR(client.token(), error)) {
        CHECK(error.status() == VF_STATUS_INVALID_ARGUMENT);
    }

    vf::Token token = moved_client.token();
    const std::string text(token.access_token());
    vf::Token moved_token = std::move(token);
    CHECK(!token);
    CHECK(token.access_token().empty() && token.expires_in().count() == 0);
    CHECK(moved_token.access_token() == text);

    // Move-assignment releases the token held before; self-move leaves it intact.
    vf::Token other = moved_client.token();
    other = std::move(moved_token);
    CHECK(other.access_token() == text);
    vf::Token &alias = other;
    other = std::move(alias);
    CHECK(other.access_token() == text);

    // Tokens in a container move on reallocation.
    std::vector<vf::Token> tokens;
    for (int i = 0; i < 20; ++i) {
        tokens.push_back(moved_client.token());
    }
    CHECK(tokens.front().access_token() == tokens.back().access_token());
}

void token_outlives_its_client() {
    vf::Token token;
    CHECK(!token);
    {
        const vf::Client client = vf::Client::from_env();
        token = client.token();
    }
    CHECK(token.type() == "Bearer");
    CHECK(token.access_token().size() > 20);
}

void invalidate_fetches_a_new_token() {
    const vf::Client client(vf::Options::from_env().set("client_id", "vf-post-2").set("client_secret",
                                                                                      "second-secret-abcdef"));
    const vf::Token first = client.token();
    client.invalidate(first);
    const vf::Token second = client.token();
    CHECK(second.access_token() != first.access_token());
    CHECK(first.access_token().size() > 20);  // the old token stays readable
    // Invalidating a token that is no longer cached keeps the newer one.
    client.invalidate(first.access_token());
    CHECK(client.token().access_token() == second.access_token());
    // A token kept between uses: current until the cache moves on.
    const vf::Token kept = client.token();
    CHECK(client.is_current(kept) && client.is_current(kept, std::chrono::seconds(600)));
    CHECK(!client.is_current(kept, std::chrono::seconds(-1)) && !client.is_current(vf::Token()));
    client.invalidate(kept);
    CHECK(!client.is_current(kept));
}

void threads_share_one_client() {
    const vf::Client client(vf::Options::from_env().set("scope", "api1 api2"));
    std::vector<std::string> seen(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&client, &seen, i] {
            try {
                seen[i] = std::string(client.token().access_token());
            } catch (const vf::Error &error) {
                seen[i] = std::string("error: ") + error.what();
            }
        });
    }
    for (std::thread &thread : threads) {
        thread.join();
    }
    bool same = true;
    for (const std::string &token : seen) {
        same = same && token == seen.front();
    }
    CHECK(same);  // single-flight: one request, one token for all
    CHECK(seen.front().rfind("error:", 0) != 0);
    const vf::Stats stats = client.stats();
    CHECK(stats.requests == 1);
    CHECK(stats.hits + stats.misses == seen.size());
    CHECK(stats.errors == 0);
}

#ifndef _WIN32
// Runs `body` in a forked child (a new process: a process cache of its own); its verdict.
bool in_child(const std::function<bool()> &body) {
    const pid_t pid = fork();
    if (pid == 0) {
        bool ok = false;
        try {
            ok = body();
        } catch (...) {
        }
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// One process leaves a token in the host level; the next one takes it from there, and its
// shared_stats() say so.
void shared_stats_count_a_token_from_the_host_level() {
    char dir[] = "/tmp/vf-cpp-host-level-XXXXXX";
    CHECK(mkdtemp(dir) != nullptr);
    const vf::Options options = vf::Options::from_env().set("cache_dir", std::string(dir) + "/cache");
    CHECK(in_child([&] {
        const vf::Client client(options);
        (void)client.token();
        return client.stats().requests == 1 && client.shared_stats().shared_hits == 0;
    }));
    CHECK(in_child([&] {
        const vf::Client client(options);
        (void)client.token();
        const vf::SharedStats shared = client.shared_stats();
        return client.stats().requests == 0 && shared.shared_hits == 1 && shared.redis_hits == 0 &&
               shared.redis_misses == 0 && shared.redis_errors == 0;
    }));
    CHECK(std::system((std::string("rm -rf ") + dir).c_str()) == 0);
}
#endif

std::atomic<int> log_lines{0};
std::atomic<bool> log_leaked{false};

void count_log_line(vf::LogLevel level, std::string_view message) {
    log_lines.fetch_add(1);
    if (contains(message, "second-secret-abcdef") || level < VF_LOG_LEVEL_ERROR || level > VF_LOG_LEVEL_DEBUG) {
        log_leaked = true;
    }
    throw std::runtime_error("thrown from a log handler: must not reach the library");
}

void log_handler_receives_messages() {
    vf::set_log_handler(count_log_line);
    CHECK(log_handler_seen_by_second_unit() == &count_log_line);
    {
        const vf::Client client(vf::Options::from_env()
                                    .set("client_id", "vf-post-2")
                                    .set("client_secret", "second-secret-abcdef")
                                    .set("scope", "api2"));
        (void)client.token();
    }
    vf::set_log_handler(nullptr);
    CHECK(log_lines.load() > 0);
    CHECK(!log_leaked.load());
    const int seen = log_lines.load();
    const vf::Client quiet(vf::Options::from_env().set("scope", "api2"));
    (void)quiet.token();
    CHECK(log_lines.load() == seen);
}

}  // namespace

int main() {
    const std::vector<std::pair<const char *, std::function<void()>>> tests = {
        {"library_info", library_info},
        {"token_from_env", token_from_env},
        {"builder_options_and_basic_auth", builder_options_and_basic_auth},
        {"min_valid_beyond_lifetime_throws", min_valid_beyond_lifetime_throws},
        {"bad_secret_throws_oauth_error", bad_secret_throws_oauth_error},
        {"bad_scope_throws_invalid_scope", bad_scope_throws_invalid_scope},
        {"config_errors_throw_early", config_errors_throw_early},
        {"moves_transfer_ownership", moves_transfer_ownership},
        {"token_outlives_its_client", token_outlives_its_client},
        {"invalidate_fetches_a_new_token", invalidate_fetches_a_new_token},
        {"threads_share_one_client", threads_share_one_client},
        {"log_handler_receives_messages", log_handler_receives_messages},
#ifndef _WIN32
        {"shared_stats_count_a_token_from_the_host_level", shared_stats_count_a_token_from_the_host_level},
#endif
    };
    for (const auto &[name, test] : tests) {
        try {
            test();
        } catch (const vf::Error &error) {
            ++failed;
            std::printf("FAIL %s: unexpected vf::Error %s: %s\n", name, error.status_name(), error.what());
        } catch (const std::exception &error) {
            ++failed;
            std::printf("FAIL %s: unexpected exception: %s\n", name, error.what());
        }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
