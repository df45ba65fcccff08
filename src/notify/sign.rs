//! Signing, as each receiver documents it: the generic webhook's `X-Mnpsync-Signature-256`
//! (GitHub's scheme), DingTalk's and Feishu's custom-bot signatures; and [`Secret`], which
//! holds a signing secret without ever showing it.
//!
//! Pure functions of their inputs: the caller passes the time.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header that carries the generic webhook's signature.
pub const SIGNATURE_HEADER: &str = "X-Mnpsync-Signature-256";

/// A signing secret: `Debug` and `Display` show `***` (the one type for secrets, shared with
/// the API credentials).
pub use crate::tcmpp::credentials::Secret;

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The generic webhook's header value: `sha256=` and the hex HMAC-SHA256 of the exact body
/// bytes, keyed with the secret (the scheme of GitHub's `X-Hub-Signature-256`).
pub fn generic_signature(secret: &Secret, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.expose().as_bytes(), body))
    )
}

/// DingTalk's `sign` query parameter before URL encoding: base64 of HMAC-SHA256 keyed with
/// the secret over `timestamp_ms + "\n" + secret`.
pub fn dingtalk_sign(secret: &Secret, timestamp_ms: i64) -> String {
    let message = format!("{timestamp_ms}\n{}", secret.expose());
    STANDARD.encode(hmac_sha256(secret.expose().as_bytes(), message.as_bytes()))
}

/// Feishu's `sign` body field: base64 of HMAC-SHA256 keyed with `timestamp_s + "\n" + secret`
/// over the empty message.
pub fn feishu_sign(secret: &Secret, timestamp_s: i64) -> String {
    let key = format!("{timestamp_s}\n{}", secret.expose());
    STANDARD.encode(hmac_sha256(key.as_bytes(), b""))
}
