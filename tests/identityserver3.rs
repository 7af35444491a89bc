//! The VidiFlow service as deployed: IdentityServer3 behind Service Fabric's reverse proxy. The
//! dev authority plays it (`VF_TEST_ISSUER_ORIGIN`, `VF_TEST_IDENTITYSERVER3`: see
//! tests/authority/README.md); the fault server gives the answers other servers in the wild send.

mod support;

use support::{
    Authority, BASIC_CLIENT, POST_CLIENT, assert_no_secret, base64,
    fault::{FaultServer, Reply},
};
use vidiflow_auth::{Client, Options, Status};

/// The issuer IdentityServer3 names: its configured IssuerUri, a machine name on the Service
/// Fabric proxy's port, while the client reaches it by another name.
const MACHINE_ISSUER_ORIGIN: &str = "http://VIDIFLOWHOST:19081";
const IDSRV3_CLIENT: (&str, &str) = ("vf-idsrv3", "Id+S/3=%&:~ secret");

fn identityserver3() -> Authority {
    Authority::start_with(&[
        ("VF_TEST_ISSUER_ORIGIN", MACHINE_ISSUER_ORIGIN),
        ("VF_TEST_IDENTITYSERVER3", "1"),
    ])
}

fn with(options: Options, settings: &[(&str, &str)]) -> Options {
    settings
        .iter()
        .fold(options, |options, (key, value)| options.with(key, value).unwrap())
}

/// The Authorization header of the last token request the authority saw.
fn last_authorization(authority: &Authority) -> String {
    let log = authority.token_request_log();
    log.last().unwrap()["headers"]["authorization"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn issuer_on_another_host_is_refused_naming_both_ways_out() {
    let authority = identityserver3();
    let error = Client::new(&authority.options(POST_CLIENT))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(error.status(), Status::Discovery);
    let message = error.message();
    assert!(
        message.contains(&format!("{MACHINE_ISSUER_ORIGIN}/Integrations/Authentication/core")),
        "{message}"
    );
    assert!(message.contains(&authority.url), "{message}");
    assert!(message.contains("validate_issuer=false"), "{message}");
    assert!(
        message.contains("use the issuer's own URL as the authority"),
        "{message}"
    );
}

#[test]
fn service_fabric_address_works_with_validate_issuer_false() {
    let authority = identityserver3();
    // The Service Fabric proxy is reached as localhost (or a node name, which also needs
    // allow_http=true: plain http off loopback).
    let address = authority.url.replace("127.0.0.1", "localhost");
    let options = with(
        authority.options(POST_CLIENT),
        &[
            ("authority", &address),
            ("allow_http", "true"),
            ("validate_issuer", "false"),
        ],
    );
    let token = Client::new(&options).unwrap().token().unwrap();
    assert!(token.access_token().starts_with("eyJ"));
    assert_eq!(authority.token_requests(), 1);
    assert_eq!(authority.discovery_requests(), 1);
    // The endpoint came from the document (built from the Host the client sent), not the issuer.
    let log = authority.token_request_log();
    assert!(log[0]["headers"]["host"].as_str().unwrap().starts_with("localhost:"));
}

#[test]
fn validate_issuer_false_still_keeps_the_endpoint_on_the_authority() {
    let fault = FaultServer::start(vec![Reply::token("3600")]);
    let origin = fault.url.clone();
    fault.set_discovery(
        r#"{"issuer":"http://VIDIFLOWHOST:19081/core","token_endpoint":"http://elsewhere.example:19081/connect/token"}"#,
    );
    let options = Options::new()
        .with("authority", &origin)
        .and_then(|o| o.with("client_id", "c"))
        .and_then(|o| o.with("client_secret", "s"))
        .and_then(|o| o.with("validate_issuer", "false"))
        .unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Discovery);
    assert!(error.message().contains("validate_endpoints=false"), "{error}");
    assert_eq!(fault.token_requests(), 0);
}

#[test]
fn rfc6749_basic_is_refused_by_identityserver3_and_the_error_names_basic_auth_style() {
    let authority = identityserver3();
    let options = with(
        authority.options(IDSRV3_CLIENT),
        &[("validate_issuer", "false"), ("auth_method", "client_secret_basic")],
    );
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Oauth);
    // IdentityServer3's shape: HTTP 400, {"error":"invalid_client"}, no description.
    assert_eq!(error.http_status(), 400);
    let oauth = error.oauth().unwrap();
    assert_eq!(oauth.error.as_str(), "invalid_client");
    assert!(oauth.description.is_none());
    assert!(error.message().contains("try basic_auth_style=rfc2617"), "{error}");
    assert_no_secret(error.message());
    assert!(!error.message().contains(IDSRV3_CLIENT.1), "{error}");
}

#[test]
fn rfc2617_basic_sends_id_and_secret_unencoded_and_identityserver3_accepts_it() {
    let authority = identityserver3();
    let options = with(
        authority.options(IDSRV3_CLIENT),
        &[
            ("validate_issuer", "false"),
            ("auth_method", "client_secret_basic"),
            ("basic_auth_style", "rfc2617"),
        ],
    );
    let token = Client::new(&options).unwrap().token().unwrap();
    assert!(token.access_token().starts_with("eyJ"));
    assert_eq!(
        last_authorization(&authority),
        format!("Basic {}", base64("vf-idsrv3:Id+S/3=%&:~ secret"))
    );
    let body = authority.token_request_log()[0]["body"].as_str().unwrap().to_owned();
    assert_eq!(body, "grant_type=client_credentials&scope=api1");
}

#[test]
fn rfc2617_against_an_authority_that_url_decodes_names_the_other_style() {
    // oidc-provider URL-decodes Basic credentials (RFC 6749): the raw '%' in the secret is
    // refused as invalid_request ("not properly encoded").
    let authority = Authority::start();
    let options = with(
        authority.options(BASIC_CLIENT),
        &[("auth_method", "client_secret_basic"), ("basic_auth_style", "rfc2617")],
    );
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Oauth);
    assert!(error.message().contains("try basic_auth_style=rfc6749"), "{error}");
    assert_no_secret(error.message());
}

#[test]
fn invalid_client_without_characters_that_differ_gets_no_style_hint() {
    let authority = identityserver3();
    let options = with(
        authority.options(("vf-post", "wrong-secret")),
        &[("validate_issuer", "false"), ("auth_method", "client_secret_basic")],
    );
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
    assert!(!error.message().contains("basic_auth_style"), "{error}");
}

#[test]
fn colon_in_the_client_id_cannot_be_sent_rfc2617_style() {
    let options = Options::new()
        .with("authority", "http://127.0.0.1:1/core")
        .and_then(|o| o.with("client_id", "tenant:client"))
        .and_then(|o| o.with("client_secret", "s"))
        .and_then(|o| o.with("auth_method", "client_secret_basic"))
        .and_then(|o| o.with("basic_auth_style", "rfc2617"))
        .unwrap();
    let error = Client::new(&options).err().unwrap();
    assert_eq!(error.status(), Status::Config);
    assert!(error.message().contains("contains ':'"), "{error}");
}

#[test]
fn missing_scope_is_identityserver3s_invalid_scope_passed_through() {
    let authority = identityserver3();
    let options = with(
        Options::new(),
        &[
            ("authority", &authority.url),
            ("client_id", POST_CLIENT.0),
            ("client_secret", POST_CLIENT.1),
            ("validate_issuer", "false"),
        ],
    );
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Oauth);
    assert_eq!(error.http_status(), 400);
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_scope");
}

#[test]
fn client_secret_post_works_at_identityserver3_with_no_authorization_header() {
    // client_secret_post (the default) against IdentityServer3 works as the service documents.
    let authority = identityserver3();
    let options = with(authority.options(IDSRV3_CLIENT), &[("validate_issuer", "false")]);
    Client::new(&options).unwrap().token().unwrap();
    assert_eq!(last_authorization(&authority), "");
}

#[test]
fn other_servers_answers_pass_through_lower_case_bearer_and_non_rfc_error_codes() {
    let fault = FaultServer::start(vec![
        Reply::json(400, r#"{"error":"scope_invalid"}"#),
        Reply::json(
            200,
            r#"{"access_token":"tok.lower","token_type":"bearer","expires_in":3600}"#,
        ),
    ]);
    let options = Options::new()
        .with("token_endpoint", &fault.token_endpoint())
        .and_then(|o| o.with("client_id", "c"))
        .and_then(|o| o.with("client_secret", "fault-secret-0123"))
        .and_then(|o| o.with("scope", "api1"))
        .unwrap();
    let client = Client::new(&options).unwrap();
    let error = client.token().unwrap_err();
    assert_eq!(error.status(), Status::Oauth);
    assert_eq!(error.oauth().unwrap().error.as_str(), "scope_invalid");
    // A refusal is remembered for a few seconds; a new client with another scope set is a new
    // identity and asks at once.
    let options = options.with("scope", "api1 api2").unwrap();
    let token = Client::new(&options).unwrap().token().unwrap();
    assert_eq!(token.access_token(), "tok.lower");
    assert_eq!(token.token_type(), "Bearer");
}
