// Gets an access token from the authority described by the VF_* environment variables
// (VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET or VF_CLIENT_SECRET_FILE, VF_SCOPE) and prints
// the Authorization header an API call would send.
//
//   c++ -std=c++17 get_token.cpp $(pkg-config --cflags --libs vidiflow_auth) -o get_token
//   ./get_token

#include <vidiflow_auth.hpp>

#include <chrono>
#include <iostream>

int main() {
    try {
        // Make one client and share it across threads: each token() is a cache hit until the
        // token nears expiry, and concurrent misses share one request.
        const vf::Client client = vf::Client::from_env();

        // A 20-minute job asks for a token that lasts at least that long.
        const vf::Token token = client.token(std::chrono::minutes(20));

        std::cout << "Authorization: " << token.authorization().substr(0, 20) << "... (" << token.type()
                  << ", scope '" << token.scope() << "', expires in " << token.expires_in().count() << " s)\n";
        return 0;
    } catch (const vf::Error &error) {
        std::cerr << "no token: " << error.what() << " (" << error.status_name();
        if (!error.oauth_error().empty()) {
            std::cerr << ", OAuth error " << error.oauth_error();
        }
        std::cerr << ")\n";
        return 1;
    }
}
