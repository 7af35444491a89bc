// A second translation unit including the header: the program only links if everything the
// header defines is inline, and process-wide state (the log handler) is one object for all.
#include "vidiflow_auth.hpp"

std::string_view version_from_second_unit() { return vf::version(); }

vf::LogHandler log_handler_seen_by_second_unit() { return vf::detail::log_handler().load(); }
