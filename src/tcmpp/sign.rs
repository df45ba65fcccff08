//! TC3-HMAC-SHA256 request signing, shared by the client (to sign) and the simulator (to verify).
//!
//! Pure functions of their inputs: no clock, no I/O. The secret key only flows into HMAC keys.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Service name of the TCMPP API in the credential scope (TCSAS signs for `tcsas`:
/// [`crate::tcmpp::Api::service`]).
pub const SERVICE: &str = "tcmpp";
/// The signing algorithm's name, the first word of every `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The only content type mnpsync sends (and signs).
pub const CONTENT_TYPE: &str = "application/json";

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any size");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The UTC calendar date (`YYYY-MM-DD`) of a unix timestamp, as used in the credential scope.
///
/// Timestamps outside the representable range fall back to the epoch's date; such a request is
/// rejected by the server's timestamp check anyway.
pub fn scope_date(timestamp: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(timestamp)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// What a signature covers besides the secret: everything the canonical request is built from.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The service of the credential scope (`tcmpp`, `tcsas`).
    pub service: &'a str,
    /// The `Host` header exactly as sent, including a port if the URL has one.
    pub host: &'a str,
    /// The `Content-Type` header exactly as sent.
    pub content_type: &'a str,
    /// The body bytes exactly as sent.
    pub payload: &'a [u8],
    /// `X-TC-Timestamp`, unix seconds.
    pub timestamp: i64,
}

/// The hex signature of `request` under `secret_key`, over `SignedHeaders=content-type;host`
/// (what mnpsync and the official SDKs send).
pub fn signature(secret_key: &str, request: &Request<'_>) -> String {
    signature_over(
        secret_key,
        &[
            ("content-type", request.content_type),
            ("host", request.host),
        ],
        request.payload,
        request.timestamp,
        request.service,
    )
}

/// The hex signature over any signed-header set, for `service`: `headers` are `(name, value)` in the order of
/// `SignedHeaders`. Names and values enter the canonical request lowercased and trimmed, as the
/// TC3 specification requires (`x-tc-action:createmnpapproval`).
pub fn signature_over(
    secret_key: &str,
    headers: &[(&str, &str)],
    payload: &[u8],
    timestamp: i64,
    service: &str,
) -> String {
    let mut canonical_headers = String::new();
    let mut signed_headers = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = name.trim().to_ascii_lowercase();
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim().to_ascii_lowercase()));
        signed_headers.push(name);
    }
    let canonical = format!(
        "POST\n/\n\n{canonical_headers}\n{}\n{}",
        signed_headers.join(";"),
        sha256_hex(payload)
    );
    let date = scope_date(timestamp);
    let string_to_sign = format!(
        "{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac(&k_date, service.as_bytes());
    let k_signing = hmac(&k_service, b"tc3_request");
    hex::encode(hmac(&k_signing, string_to_sign.as_bytes()))
}

/// The full `Authorization` header value for `request`.
pub fn authorization(secret_id: &str, secret_key: &str, request: &Request<'_>) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{}/{}/tc3_request, SignedHeaders=content-type;host, Signature={}",
        scope_date(request.timestamp),
        request.service,
        signature(secret_key, request)
    )
}

/// The parts of an `Authorization` header that a verifier needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub secret_id: String,
    pub date: String,
    pub service: String,
    pub signed_headers: String,
    pub signature: String,
}

/// Splits an `Authorization` header into its parts; `None` when it is not TC3-shaped.
pub fn parse_authorization(header: &str) -> Option<ParsedAuthorization> {
    let rest = header.strip_prefix(ALGORITHM)?.trim_start();
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let parsed = ParsedAuthorization {
        secret_id: scope.next()?.to_string(),
        date: scope.next()?.to_string(),
        service: scope.next()?.to_string(),
        signed_headers: signed_headers?.to_string(),
        signature: signature?.to_string(),
    };
    (scope.next()? == "tc3_request" && scope.next().is_none()).then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        name: String,
        secret_id: String,
        secret_key: String,
        host: String,
        timestamp: i64,
        content_type: String,
        payload: String,
        authorization: String,
        service: String,
    }

    fn vectors_of(file: &str) -> Vec<Vector> {
        let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn vectors() -> Vec<Vector> {
        vectors_of("tc3_vectors.json")
    }

    /// The vectors the official SDK's `TcsasClient` produced.
    fn tcsas_vectors() -> Vec<Vector> {
        vectors_of("tc3_vectors_tcsas.json")
    }

    fn assert_reproduced(vectors: Vec<Vector>, service: &str) {
        for v in vectors {
            assert_eq!(v.service, service);
            let request = Request {
                service: &v.service,
                host: &v.host,
                content_type: &v.content_type,
                payload: v.payload.as_bytes(),
                timestamp: v.timestamp,
            };
            assert_eq!(
                authorization(&v.secret_id, &v.secret_key, &request),
                v.authorization,
                "vector {}",
                v.name
            );
        }
    }

    #[test]
    fn reproduces_every_official_sdk_vector() {
        let vectors = vectors();
        assert!(vectors.len() >= 7, "expected the full vector set");
        assert_reproduced(vectors, SERVICE);
    }

    #[test]
    fn reproduces_every_official_tcsas_sdk_vector() {
        let vectors = tcsas_vectors();
        assert!(vectors.len() >= 4, "expected the full TCSAS vector set");
        for v in &vectors {
            assert_eq!(v.service, crate::tcmpp::Api::Tcsas.service());
        }
        assert_reproduced(vectors, "tcsas");
    }

    /// The vectors are kept in the repository so a clone tests on its own; when the contract's
    /// original sits beside the checkout (`../shared/testdata`), the copy must not have drifted.
    #[test]
    fn vector_copy_matches_the_original_when_present() {
        let root = env!("CARGO_MANIFEST_DIR");
        for file in ["tc3_vectors.json", "tc3_vectors_tcsas.json"] {
            let copy = std::fs::read(format!("{root}/tests/fixtures/{file}")).unwrap();
            let original = std::path::Path::new(root).join(format!("../shared/testdata/{file}"));
            if let Ok(original) = std::fs::read(original) {
                assert_eq!(
                    copy, original,
                    "tests/fixtures/{file} differs from the original"
                );
            }
        }
    }

    #[test]
    fn parse_round_trips_every_vector() {
        for v in vectors() {
            let parsed = parse_authorization(&v.authorization).expect(&v.name);
            assert_eq!(parsed.secret_id, v.secret_id);
            assert_eq!(parsed.date, scope_date(v.timestamp));
            assert_eq!(parsed.service, "tcmpp");
            assert_eq!(parsed.signed_headers, "content-type;host");
            assert_eq!(parsed.signature.len(), 64);
        }
        for v in tcsas_vectors() {
            let parsed = parse_authorization(&v.authorization).expect(&v.name);
            assert_eq!(parsed.service, "tcsas");
            assert_eq!(parsed.date, scope_date(v.timestamp));
        }
    }

    #[test]
    fn the_service_is_part_of_the_signature() {
        let tcmpp = Request {
            service: "tcmpp",
            host: "h",
            content_type: CONTENT_TYPE,
            payload: b"{}",
            timestamp: 1_700_000_000,
        };
        let tcsas = Request {
            service: "tcsas",
            ..tcmpp
        };
        assert_ne!(signature("k", &tcmpp), signature("k", &tcsas));
        assert!(authorization("id", "k", &tcsas).contains("/tcsas/tc3_request,"));
    }

    #[test]
    fn scope_date_is_utc_at_day_boundaries() {
        assert_eq!(scope_date(1764287999), "2025-11-27");
        assert_eq!(scope_date(1764288000), "2025-11-28");
        assert_eq!(scope_date(0), "1970-01-01");
    }

    #[test]
    fn signature_depends_on_host_port_payload_and_key() {
        let base = Request {
            service: SERVICE,
            host: "127.0.0.1:8443",
            content_type: CONTENT_TYPE,
            payload: b"{}",
            timestamp: 1_700_000_000,
        };
        let s = signature("k", &base);
        assert_ne!(
            s,
            signature(
                "k",
                &Request {
                    host: "127.0.0.1",
                    ..base
                }
            )
        );
        assert_ne!(
            s,
            signature(
                "k",
                &Request {
                    payload: b"{ }",
                    ..base
                }
            )
        );
        assert_ne!(s, signature("k2", &base));
        assert_ne!(
            s,
            signature(
                "k",
                &Request {
                    timestamp: 1_700_000_001,
                    ..base
                }
            )
        );
    }

    #[test]
    fn rejects_malformed_authorization_headers() {
        for bad in [
            "",
            "Bearer x",
            "TC3-HMAC-SHA256 Credential=id/2020-01-01/tcmpp, SignedHeaders=content-type;host, Signature=ab",
            "TC3-HMAC-SHA256 Credential=id/2020-01-01/tcmpp/tc3_request/x, SignedHeaders=a, Signature=ab",
            "TC3-HMAC-SHA256 SignedHeaders=content-type;host, Signature=ab",
            "TC3-HMAC-SHA256 Credential=id/2020-01-01/tcmpp/tc3_request, Bogus=1, Signature=ab",
        ] {
            assert_eq!(parse_authorization(bad), None, "{bad}");
        }
    }

    #[test]
    fn other_signed_header_sets_follow_the_tc3_rules() {
        let request = Request {
            service: SERVICE,
            host: "tcmpp.tencentcloudapi.com",
            content_type: CONTENT_TYPE,
            payload: b"{}",
            timestamp: 1_700_000_000,
        };
        // The default set is the same computation as an explicit two-header list.
        assert_eq!(
            signature("k", &request),
            signature_over(
                "k",
                &[
                    ("Content-Type", " application/json "),
                    ("host", "TCMPP.tencentcloudapi.com")
                ],
                b"{}",
                1_700_000_000,
                SERVICE
            )
        );
        // Adding x-tc-action changes the signature; its value is lowercased.
        let with_action = signature_over(
            "k",
            &[
                ("content-type", CONTENT_TYPE),
                ("host", request.host),
                ("x-tc-action", "CreateMNPApproval"),
            ],
            b"{}",
            1_700_000_000,
            SERVICE,
        );
        assert_ne!(with_action, signature("k", &request));
        assert_eq!(
            with_action,
            signature_over(
                "k",
                &[
                    ("content-type", CONTENT_TYPE),
                    ("host", request.host),
                    ("x-tc-action", "createmnpapproval"),
                ],
                b"{}",
                1_700_000_000,
                SERVICE,
            )
        );
    }
}
