/*
 * vidiflow-auth for C++17: a header-only layer over the C API in vidiflow_auth.h.
 *
 *   vf::Client client = vf::Client::from_env();      // VF_AUTHORITY, VF_CLIENT_ID, ...
 *   vf::Token token = client.token();                // cached; fetched when needed
 *   request.set_header("Authorization", token.authorization());
 *
 * - vf::Options, vf::Client and vf::Token own one C object each and free it when destroyed.
 *   They are move-only: a moved-from object is empty (operator bool is false) and may only be
 *   destroyed, assigned to, or tested.
 * - Failures throw vf::Error (a std::runtime_error) carrying the status, the message the C API
 *   gives, and the OAuth fields. Messages never contain the client secret.
 * - A vf::Client is thread-safe: share one across threads. vf::Options is not.
 * - A vf::Token outlives the client it came from, and stays readable after the cache replaces
 *   it. Its strings live as long as the token.
 *
 * Link with -lvidiflow_auth (pkg-config vidiflow_auth, or the CMake target
 * vidiflow_auth::vidiflow_auth).
 */

#ifndef VIDIFLOW_AUTH_HPP
#define VIDIFLOW_AUTH_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "vidiflow_auth.hpp needs C++17 or later; from C, include vidiflow_auth.h"
#endif

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "vidiflow_auth.h"

namespace vf {

/// The outcome of a library call: the C enum, VF_STATUS_OK (0) to VF_STATUS_INTERNAL.
using Status = vf_status;

/// The name of a status, e.g. "VF_STATUS_OAUTH".
inline const char *status_name(Status status) noexcept { return vf_status_name(static_cast<std::uint32_t>(status)); }

/// The library version, e.g. "0.1.0".
inline std::string_view version() noexcept { return vf_version(); }

/// The binary-compatibility version of the loaded library.
inline std::uint32_t abi_version() noexcept { return vf_abi_version(); }

/// How much a log message matters: VF_LOG_LEVEL_ERROR (1) to VF_LOG_LEVEL_DEBUG (4).
using LogLevel = vf_log_level;

/// A client's counters since it was made (hits, misses, requests, failed_requests, errors).
using Stats = vf_stats;
using SharedStats = vf_shared_stats;

/// A log handler: a plain function, as it must outlive every thread the library runs. It may
/// be called on any thread; the message is valid only during the call.
using LogHandler = void (*)(LogLevel level, std::string_view message);

namespace detail {

inline std::atomic<LogHandler> &log_handler() noexcept {
    static std::atomic<LogHandler> handler{nullptr};
    return handler;
}

inline void log_trampoline(void *, vf_log_level level, const char *message) noexcept {
    const LogHandler handler = log_handler().load(std::memory_order_acquire);
    if (handler != nullptr && message != nullptr) {
        try {
            handler(level, message);
        } catch (...) {
            // An exception must not unwind into the library; a log line is not worth a crash.
        }
    }
}

}  // namespace detail

/// Sends the library's log messages (never a secret or a token) to `handler`, or silences them
/// with nullptr. Process-wide: the last call wins. Exceptions from `handler` are swallowed.
inline void set_log_handler(LogHandler handler) noexcept {
    detail::log_handler().store(handler, std::memory_order_release);
    vf_set_log_callback(handler != nullptr ? &detail::log_trampoline : nullptr, nullptr);
}

/// A failed library call. Copying never throws, as an exception's copy must not.
class Error : public std::runtime_error {
public:
    /// An error of `status` with `message`, for failures found on the C++ side.
    Error(Status status, const std::string &message) : std::runtime_error(message), fields_(make_fields(status)) {}

    /// Takes over `error` from the C API (and frees it). A NULL `error` gives an error that
    /// names `status` only.
    Error(Status status, vf_error *error) : std::runtime_error(message_of(status, error)), fields_(make_fields(status)) {
        if (error != nullptr) {
            fields_->oauth_error = or_empty(vf_error_oauth_error(error));
            fields_->oauth_description = or_empty(vf_error_oauth_description(error));
            fields_->oauth_uri = or_empty(vf_error_oauth_uri(error));
            fields_->http_status = vf_error_http_status(error);
            fields_->retry_after = std::chrono::milliseconds(vf_error_retry_after_ms(error));
            vf_error_free(error);
        }
    }

    /// The status family, e.g. VF_STATUS_OAUTH.
    Status status() const noexcept { return fields_->status; }

    /// The status's name, e.g. "VF_STATUS_OAUTH".
    const char *status_name() const noexcept { return vf::status_name(fields_->status); }

    /// A sentence saying what failed and why, the same as what(). Never contains the secret.
    std::string_view message() const noexcept { return what(); }

    /// The OAuth `error` the authority returned ("invalid_client", ...), or "" if none.
    const std::string &oauth_error() const noexcept { return fields_->oauth_error; }

    /// The OAuth `error_description`, or "".
    const std::string &oauth_description() const noexcept { return fields_->oauth_description; }

    /// The OAuth `error_uri`, or "".
    const std::string &oauth_uri() const noexcept { return fields_->oauth_uri; }

    /// The HTTP status of the response that failed, or 0 when there was no response.
    std::uint16_t http_status() const noexcept { return fields_->http_status; }

    /// How long the authority asked callers to wait (Retry-After), or zero.
    std::chrono::milliseconds retry_after() const noexcept { return fields_->retry_after; }

private:
    struct Fields {
        Status status;
        std::string oauth_error;
        std::string oauth_description;
        std::string oauth_uri;
        std::uint16_t http_status = 0;
        std::chrono::milliseconds retry_after{0};
    };

    static std::shared_ptr<Fields> make_fields(Status status) {
        auto fields = std::make_shared<Fields>();
        fields->status = status;
        return fields;
    }

    static std::string or_empty(const char *text) { return text != nullptr ? std::string(text) : std::string(); }

    static std::string message_of(Status status, const vf_error *error) {
        const char *message = vf_error_message(error);
        return message != nullptr ? std::string(message) : std::string(vf::status_name(status)) + " (no details)";
    }

    std::shared_ptr<Fields> fields_;
};

namespace detail {

/// Runs `c_call(&error)`, a C API call with an error out-parameter, and throws the error it
/// reports as vf::Error.
template <typename CCall>
void call(CCall &&c_call) {
    vf_error *error = nullptr;
    const Status status = c_call(&error);
    if (status != VF_STATUS_OK) {
        throw Error(status, error);
    }
    vf_error_free(error);  // NULL on success; freed anyway should a call ever set both.
}

/// A NUL-terminated copy of `text`, refusing a NUL inside it (C would cut the string there).
inline std::string c_string(std::string_view text, std::string_view what) {
    if (text.find('\0') != std::string_view::npos) {
        throw Error(VF_STATUS_CONFIG,
                    std::string(what) + ": the value contains a NUL character, which is not allowed");
    }
    return std::string(text);
}

/// Overwrites a string that held a secret before it is freed.
inline void wipe(std::string &text) noexcept {
    volatile char *bytes = text.data();
    for (std::size_t i = 0; i < text.size(); ++i) {
        bytes[i] = '\0';
    }
}

/// Owns one C object and frees it with `Free`.
template <typename T, void (*Free)(T *)>
class Handle {
public:
    Handle() noexcept = default;
    explicit Handle(T *raw) noexcept : raw_(raw) {}
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    Handle(Handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            Free(std::exchange(raw_, std::exchange(other.raw_, nullptr)));
        }
        return *this;
    }
    ~Handle() { Free(raw_); }

    T *get() const noexcept { return raw_; }

private:
    T *raw_ = nullptr;
};

}  // namespace detail

/// Options for a client, set by key: the same keys as the C API, the `vf-token` flags and the
/// VF_* variables. Move-only; not thread-safe.
class Options {
public:
    /// Options with nothing set.
    Options() : handle_(vf_options_new()) {
        if (!handle_.get()) {
            throw Error(VF_STATUS_INTERNAL, "vf_options_new failed (an internal error in vidiflow-auth)");
        }
    }

    /// Options from every VF_* variable that is set (VF_AUTHORITY, VF_CLIENT_ID, ...).
    static Options from_env() {
        Options options;
        options.load_env();
        return options;
    }

    /// Sets `key` (e.g. "authority", "client_id", "scope") to `value`; "" resets it to its
    /// default. Throws vf::Error (VF_STATUS_CONFIG) for an unknown key or a bad value.
    Options &set(std::string_view key, std::string_view value) & {
        std::string c_key = detail::c_string(key, "option key");
        // The key is not quoted: arguments in the wrong order would put the secret there.
        std::string c_value = detail::c_string(value, "option value");
        vf_options *options = handle();
        try {
            detail::call([&](vf_error **error) { return vf_options_set(options, c_key.c_str(), c_value.c_str(), error); });
        } catch (...) {
            detail::wipe(c_value);  // it may be the secret
            throw;
        }
        detail::wipe(c_value);
        return *this;
    }

    /// Builder-style set() on a temporary: `vf::Options().set("scope", "api1").set(...)`.
    Options set(std::string_view key, std::string_view value) && {
        set(key, value);
        return std::move(*this);
    }

    /// Sets every option whose VF_* variable is present and not empty.
    Options &load_env() & {
        vf_options *options = handle();
        detail::call([&](vf_error **error) { return vf_options_from_env(options, error); });
        return *this;
    }

    /// Builder-style load_env() on a temporary.
    Options load_env() && {
        load_env();
        return std::move(*this);
    }

    /// False once moved from.
    explicit operator bool() const noexcept { return handle_.get() != nullptr; }

    /// The C object, for calls this header does not wrap; still owned by this object.
    vf_options *get() const noexcept { return handle_.get(); }

private:
    vf_options *handle() const {
        if (!handle_.get()) {
            throw Error(VF_STATUS_INVALID_ARGUMENT, "use of a moved-from vf::Options");
        }
        return handle_.get();
    }

    detail::Handle<vf_options, vf_options_free> handle_;
};

/// An access token: its own reference to an immutable snapshot, valid until destroyed (even
/// after the client is gone). Move-only; the strings it hands out live as long as it does.
class Token {
public:
    /// An empty token; tokens come from vf::Client::token().
    Token() noexcept = default;

    /// Takes ownership of a token from vf_token_get().
    explicit Token(vf_token *raw) noexcept : handle_(raw) {}

    /// The access token.
    std::string_view access_token() const noexcept { return view(vf_token_access_token(get())); }

    /// "Bearer <access token>": the value of an HTTP Authorization header.
    std::string_view authorization() const noexcept { return view(vf_token_authorization(get())); }

    /// The token type: always "Bearer".
    std::string_view type() const noexcept { return view(vf_token_type(get())); }

    /// The granted scopes, space-separated; may be "".
    std::string_view scope() const noexcept { return view(vf_token_scope(get())); }

    /// When the token expires, on the system clock.
    std::chrono::system_clock::time_point expires_at() const noexcept {
        return std::chrono::system_clock::time_point(std::chrono::seconds(vf_token_expires_at(get())));
    }

    /// How long the token stays valid from now (monotonic clock); zero once expired or empty.
    std::chrono::seconds expires_in() const noexcept { return std::chrono::seconds(vf_token_expires_in(get())); }

    /// False for an empty or moved-from token.
    explicit operator bool() const noexcept { return get() != nullptr; }

    /// The C object; still owned by this token.
    const vf_token *get() const noexcept { return handle_.get(); }

private:
    static std::string_view view(const char *text) noexcept {
        return text != nullptr ? std::string_view(text) : std::string_view();
    }

    detail::Handle<vf_token, vf_token_free> handle_;
};

/// Gets tokens for one identity from the process-wide cache. Thread-safe: share one across
/// threads. Move-only.
class Client {
public:
    /// Checks `options` and makes a client; sends no request. Throws vf::Error
    /// (VF_STATUS_CONFIG) when a required option is missing or options conflict.
    explicit Client(const Options &options) : handle_(make(options)) {}

    /// A client configured by the VF_* variables.
    static Client from_env() { return Client(Options::from_env()); }

    /// A token valid beyond the safety buffer: from the cache, or fetched now. Throws
    /// vf::Error (VF_STATUS_OAUTH, VF_STATUS_NETWORK, ...) when none can be had.
    Token token() const {
        const vf_client *client = handle();
        vf_token *raw = nullptr;
        detail::call([&](vf_error **error) { return vf_token_get(client, &raw, error); });
        return Token(raw);
    }

    /// A token that stays valid for at least `min_valid` more. Throws vf::Error
    /// (VF_STATUS_INVALID_ARGUMENT) if the authority's tokens never live that long.
    Token token(std::chrono::seconds min_valid) const {
        if (min_valid.count() < 0 || min_valid.count() > std::numeric_limits<std::uint32_t>::max()) {
            throw Error(VF_STATUS_INVALID_ARGUMENT, "min_valid must be from 0 to 4294967295 seconds");
        }
        const vf_client *client = handle();
        const auto seconds = static_cast<std::uint32_t>(min_valid.count());
        vf_token *raw = nullptr;
        detail::call([&](vf_error **error) { return vf_token_get_valid_for(client, seconds, &raw, error); });
        return Token(raw);
    }

    /// Whether `token`, which you keep between uses, is still the cached token and valid for
    /// `min_valid` more (vf_token_is_current): then keep using it — the check takes no
    /// reference and costs about a clock read. false means "take a new one from token()". Never
    /// throws: false for a moved-from client or token.
    bool is_current(const Token &token, std::chrono::seconds min_valid = std::chrono::seconds(0)) const noexcept {
        const auto seconds = min_valid.count();
        if (seconds < 0 || seconds > std::numeric_limits<std::uint32_t>::max()) {
            return false;
        }
        return vf_token_is_current(handle_.get(), token.get(), static_cast<std::uint32_t>(seconds));
    }

    /// Tells the cache that the API rejected `token` (say, with HTTP 401), so the next token()
    /// fetches a new one unless a newer token is already cached.
    void invalidate(const Token &token) const { invalidate(token.access_token()); }

    /// As invalidate(const Token &), by the access token's text.
    void invalidate(std::string_view access_token) const {
        std::string text = detail::c_string(access_token, "access token");
        const vf_client *client = handle();
        detail::call([&](vf_error **) { return vf_token_invalidate(client, text.c_str()); });
    }

    /// What this client has done since it was made: cache hits and misses, requests sent.
    Stats stats() const {
        const vf_client *client = handle();
        Stats counters{};
        detail::call([&](vf_error **) { return vf_client_stats(client, &counters); });
        return counters;
    }

    /// What this client took from the shared cache levels since it was made: host-level hits,
    /// Redis hits, misses and errors (all zero where a level is off).
    SharedStats shared_stats() const {
        const vf_client *client = handle();
        SharedStats counters{};
        detail::call([&](vf_error **) { return vf_client_shared_stats(client, &counters); });
        return counters;
    }

    /// Lifts a hold on the client's identity (a Retry-After wait, the backoff after failures,
    /// a remembered refusal), so the next token() that needs a token asks the authority at
    /// once. For an operator who fixed the cause; every client of the identity is affected.
    void clear_hold() const {
        const vf_client *client = handle();
        detail::call([&](vf_error **) { return vf_client_clear_hold(client); });
    }

    /// False once moved from.
    explicit operator bool() const noexcept { return handle_.get() != nullptr; }

    /// The C object; still owned by this client.
    const vf_client *get() const noexcept { return handle_.get(); }

private:
    static vf_client *make(const Options &options) {
        if (!options) {
            throw Error(VF_STATUS_INVALID_ARGUMENT, "use of a moved-from vf::Options");
        }
        vf_client *raw = nullptr;
        detail::call([&](vf_error **error) { return vf_client_new(options.get(), &raw, error); });
        return raw;
    }

    const vf_client *handle() const {
        if (!handle_.get()) {
            throw Error(VF_STATUS_INVALID_ARGUMENT, "use of a moved-from vf::Client");
        }
        return handle_.get();
    }

    detail::Handle<vf_client, vf_client_free> handle_;
};

}  // namespace vf

#endif  // VIDIFLOW_AUTH_HPP
