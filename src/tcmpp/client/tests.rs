//! The client's unit tests: request building, headers, limiters, and calls against local
//! servers.

use super::*;

fn client_with_timeout(timeout: Duration) -> Result<Client, BuildError> {
    let mut config = ClientConfig::new(Endpoint::parse("http://127.0.0.1:1").unwrap());
    config.timeout = timeout;
    Client::new(Credentials::new("AKIDx", "secret", "test"), config)
}

#[test]
fn impossible_timeouts_are_refused() {
    let ms = Duration::from_millis;
    for (timeout, shown) in [
        (Duration::ZERO, "0s"),
        (Duration::from_nanos(1), "1ns"),
        (ms(99), "99ms"),
        (Duration::from_secs(301), "5m 1s"),
    ] {
        let error = client_with_timeout(timeout).unwrap_err().to_string();
        assert_eq!(
            error,
            format!("--timeout must be between 100ms and 5m (got {shown})")
        );
    }
    for timeout in [ms(100), Duration::from_secs(10), Duration::from_secs(300)] {
        assert!(client_with_timeout(timeout).is_ok(), "{timeout:?}");
    }
    let observed = Client::observed(
        Credentials::new("AKIDx", "secret", "test"),
        ClientConfig {
            timeout: Duration::from_nanos(1),
            ..ClientConfig::new(Endpoint::parse("http://127.0.0.1:1").unwrap())
        },
        None,
    );
    assert!(observed.is_err(), "observed checks too");
}

#[test]
fn headers_are_built_once_and_secrets_are_sensitive() {
    let mut credentials = Credentials::new("AKIDx", "secret", "test");
    credentials.token = Some(crate::tcmpp::credentials::Secret::new("tok"));
    let mut config = ClientConfig::new(Endpoint::parse("http://127.0.0.1:8080").unwrap());
    config.language = Some("en-US".into());
    let client = Client::new(credentials, config).unwrap();
    let headers = client.fixed_headers("CreateMNPApproval", None).unwrap();
    assert_eq!(headers["host"], "127.0.0.1:8080");
    assert_eq!(headers["x-tc-action"], "CreateMNPApproval");
    assert_eq!(headers["x-tc-region"], "ap-guangzhou");
    assert_eq!(headers["x-tc-language"], "en-US");
    assert!(headers["x-tc-token"].is_sensitive());
    assert!(!headers["x-tc-region"].is_sensitive());
    assert!(!format!("{headers:?}").contains("tok\""), "{headers:?}");
    assert!(
        header_value("Authorization", "TC3 x", true)
            .unwrap()
            .is_sensitive()
    );
}

#[test]
fn unsendable_values_are_named_and_secrets_never_shown() {
    let client = client_with_timeout(Duration::from_secs(1)).unwrap();
    let error = client
        .fixed_headers("CreateMNPApproval", Some("ap-guangzhou\n"))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"cannot send the X-TC-Region header: "ap-guangzhou\n" contains characters an HTTP header cannot carry"#
    );
    let mut credentials = Credentials::new("AKIDx", "secret", "test");
    credentials.token = Some(crate::tcmpp::credentials::Secret::new("to\nken-value"));
    let config = ClientConfig::new(Endpoint::parse("http://127.0.0.1:1").unwrap());
    let client = Client::new(credentials, config).unwrap();
    let error = client.fixed_headers("A", None).unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("X-TC-Token"), "{shown}");
    assert!(!shown.contains("ken-value"), "{shown}");
    let client = Client::new(
        Credentials::new("AKID\r\nx-evil: 1", "secret", "test"),
        ClientConfig::new(Endpoint::parse("http://127.0.0.1:1").unwrap()),
    )
    .unwrap();
    let error = client.fixed_headers("A", None).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot send the Authorization header")
    );
    assert!(!error.to_string().contains("evil"), "{error}");
}

#[test]
fn each_api_has_its_version_endpoint_and_limiters() {
    let loopback = |port: u16| Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let mut config = ClientConfig::new(loopback(1));
    config.set_endpoint(Some(Api::Tcsas), loopback(2));
    let client = Client::new(Credentials::new("AKIDx", "secret", "test"), config).unwrap();
    assert_eq!(client.api(), Api::Tcmpp);
    let headers = client.fixed_headers("A", None).unwrap();
    assert_eq!(headers["x-tc-version"], "2024-08-01");
    assert_eq!(headers["host"], "127.0.0.1:1");
    let tcsas = client.for_api(Api::Tcsas);
    let headers = tcsas.fixed_headers("A", None).unwrap();
    assert_eq!(headers["x-tc-version"], "2025-01-06");
    assert_eq!(headers["host"], "127.0.0.1:2");
    assert!(format!("{tcsas:?}").contains("Tcsas"));
    // Limiters are per (API, action), shared by the clients of one API.
    assert!(!Arc::ptr_eq(&client.limiter("A"), &tcsas.limiter("A")));
    assert!(Arc::ptr_eq(
        &client.limiter("A"),
        &tcsas.for_api(Api::Tcmpp).limiter("A")
    ));
    // Platforms known to belong to an API are routed to it.
    let routed = client.with_platform_apis([("T1".to_string(), Api::Tcsas)].into());
    assert_eq!(routed.for_platform("T1").api(), Api::Tcsas);
    assert_eq!(routed.for_platform("T2").api(), Api::Tcmpp);
    assert_eq!(
        routed.for_api(Api::Tcsas).for_platform("T2").api(),
        Api::Tcsas
    );
}

#[test]
fn endpoints_for_all_apis_or_one() {
    let public = ClientConfig::public();
    assert_eq!(public.api, Api::Tcmpp);
    assert_eq!(
        public.endpoint_for(Api::Tcmpp).host,
        "tcmpp.tencentcloudapi.com"
    );
    assert_eq!(
        public.endpoint_for(Api::Tcsas).host,
        "tcsas.tencentcloudapi.com"
    );
    let mut config = public.clone();
    let sim = Endpoint::parse("http://127.0.0.1:9").unwrap();
    config.set_endpoint(Some(Api::Tcsas), sim.clone());
    assert_eq!(config.endpoint_for(Api::Tcsas), &sim);
    assert_eq!(
        config.endpoint_for(Api::Tcmpp).host,
        "tcmpp.tencentcloudapi.com"
    );
    // One endpoint for all replaces the per-API ones set before.
    config.set_endpoint(None, sim.clone());
    for api in Api::ALL {
        assert_eq!(config.endpoint_for(api), &sim);
    }
    // …and a later per-API one overrides it again.
    config.set_endpoint(Some(Api::Tcmpp), public.endpoint.clone());
    assert_eq!(
        config.endpoint_for(Api::Tcmpp).host,
        "tcmpp.tencentcloudapi.com"
    );
    assert_eq!(config.endpoint_for(Api::Tcsas), &sim);
}
