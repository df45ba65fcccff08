//! Health: the verdicts (pure) and the server for the probes and the metrics.
//!
//! - `GET /livez` — liveness: the loop is alive (it ticked, or a reconcile made progress, within
//!   5 × `--interval` + 60 s). A broken manifest set or a long first apply never fails it, so
//!   Kubernetes does not restart the pod (and lose the last valid set) for those.
//! - `GET /readyz` — readiness: the first reconcile finished and the last successful one is
//!   under 3 × `--interval` old.
//! - `GET /healthz` — all in one, as before: valid manifests and a reconcile finished within two
//!   intervals.
//! - `GET /metrics` — Prometheus (OpenMetrics) text.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State as AxumState;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::metrics::Metrics;

/// What health is judged on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HealthState {
    /// Errors in the current manifest set (0: valid).
    pub manifest_errors: usize,
    /// When the last reconcile finished (see [`Reconciled::finished`]).
    pub last_finished: Option<Instant>,
    /// Why the last reconcile did not finish, if it did not.
    pub last_error: Option<String>,
    /// The loop's last sign of life: a tick, or a result of a reconcile in progress.
    pub alive_at: Option<Instant>,
}

/// The health verdict: `reason` is set when unhealthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Health {
    pub ok: bool,
    pub reason: Option<String>,
}

/// Healthy while the manifest set is valid and the last reconcile finished less than two
/// intervals ago.
pub(crate) fn health(state: &HealthState, now: Instant, interval: Duration) -> Health {
    let unhealthy = |reason: String| Health {
        ok: false,
        reason: Some(reason),
    };
    let last_error = state
        .last_error
        .as_deref()
        .map(|e| format!("; last error: {e}"))
        .unwrap_or_default();
    if state.manifest_errors > 0 {
        let n = state.manifest_errors;
        return unhealthy(format!(
            "manifests invalid: {n} error{}",
            if n == 1 { "" } else { "s" }
        ));
    }
    match state.last_finished {
        None => unhealthy(format!("no reconcile finished yet{last_error}")),
        Some(at) if now.saturating_duration_since(at) < interval * 2 => Health {
            ok: true,
            reason: None,
        },
        Some(at) => unhealthy(format!(
            "last reconcile finished {}s ago, more than two intervals{last_error}",
            now.saturating_duration_since(at).as_secs()
        )),
    }
}

/// Alive while the loop ticked, or a reconcile made progress, within 5 intervals plus a minute
/// (a long refresh or apply keeps reporting results).
pub(crate) fn liveness(state: &HealthState, now: Instant, interval: Duration) -> Health {
    let limit = interval * 5 + Duration::from_secs(60);
    match state.alive_at {
        Some(at) if now.saturating_duration_since(at) > limit => Health {
            ok: false,
            reason: Some(format!(
                "the loop has shown no sign of life for {}s",
                now.saturating_duration_since(at).as_secs()
            )),
        },
        _ => Health {
            ok: true,
            reason: None,
        },
    }
}

/// Ready once the first reconcile finished, while the last successful one is under three
/// intervals old. A broken manifest set does not make it unready: the last valid set is still
/// reconciled.
pub(crate) fn readiness(state: &HealthState, now: Instant, interval: Duration) -> Health {
    let last_error = state
        .last_error
        .as_deref()
        .map(|e| format!("; last error: {e}"))
        .unwrap_or_default();
    match state.last_finished {
        None => Health {
            ok: false,
            reason: Some(format!("no reconcile finished yet{last_error}")),
        },
        Some(at) if now.saturating_duration_since(at) < interval * 3 => Health {
            ok: true,
            reason: None,
        },
        Some(at) => Health {
            ok: false,
            reason: Some(format!(
                "last reconcile finished {}s ago, more than three intervals{last_error}",
                now.saturating_duration_since(at).as_secs()
            )),
        },
    }
}

/// What the health server reads.
pub(super) struct Status {
    pub(super) health: Mutex<HealthState>,
    pub(super) interval: Duration,
    pub(super) metrics: Metrics,
}

impl Status {
    pub(super) fn update(&self, change: impl FnOnce(&mut HealthState)) {
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut health);
    }
}

pub(super) async fn serve_health(
    listener: tokio::net::TcpListener,
    status: Arc<Status>,
    stop: CancellationToken,
) {
    let app = axum::Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/livez", axum::routing::get(livez))
        .route("/readyz", axum::routing::get(readyz))
        .route("/metrics", axum::routing::get(metrics_text))
        .with_state(status);
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
    {
        tracing::warn!("health server stopped: {e}");
    }
}

/// The probe paths the server answers (besides `/metrics`).
pub const PROBES: [&str; 3] = ["/healthz", "/livez", "/readyz"];

type Verdict = fn(&HealthState, Instant, Duration) -> Health;

async fn healthz(AxumState(status): AxumState<Arc<Status>>) -> Response {
    probe(&status, health)
}

async fn livez(AxumState(status): AxumState<Arc<Status>>) -> Response {
    probe(&status, liveness)
}

async fn readyz(AxumState(status): AxumState<Arc<Status>>) -> Response {
    probe(&status, readiness)
}

fn probe(status: &Status, verdict: Verdict) -> Response {
    let verdict = {
        let state = status.health.lock().unwrap_or_else(|p| p.into_inner());
        verdict(&state, Instant::now(), status.interval)
    };
    let code = if verdict.ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = HealthBody {
        status: if verdict.ok { "ok" } else { "unhealthy" },
        reason: verdict.reason.as_deref(),
    };
    (code, axum::Json(body)).into_response()
}

/// `{"status":"ok"}` or `{"status":"unhealthy","reason":"…"}`, in that field order.
#[derive(serde::Serialize)]
struct HealthBody<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

async fn metrics_text(AxumState(status): AxumState<Arc<Status>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        status.metrics.encode(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn health_verdicts() {
        let t0 = Instant::now();
        let interval = 10 * SECOND;
        let mut state = HealthState::default();
        let verdict = health(&state, t0, interval);
        assert!(!verdict.ok);
        assert_eq!(verdict.reason.as_deref(), Some("no reconcile finished yet"));
        state.last_finished = Some(t0);
        assert!(health(&state, t0 + 19 * SECOND, interval).ok);
        state.last_error = Some("refresh failed".into());
        let stale = health(&state, t0 + 20 * SECOND, interval);
        assert!(!stale.ok);
        assert_eq!(
            stale.reason.as_deref(),
            Some(
                "last reconcile finished 20s ago, more than two intervals; last error: refresh failed"
            )
        );
        state.manifest_errors = 2;
        assert_eq!(
            health(&state, t0, interval).reason.as_deref(),
            Some("manifests invalid: 2 errors")
        );
        state.manifest_errors = 1;
        assert_eq!(
            health(&state, t0, interval).reason.as_deref(),
            Some("manifests invalid: 1 error")
        );
    }

    #[test]
    fn liveness_and_readiness_verdicts() {
        let t0 = Instant::now();
        let interval = 10 * SECOND;
        let mut state = HealthState {
            manifest_errors: 3,
            ..HealthState::default()
        };
        // A broken set or a first reconcile in progress: alive, not ready.
        assert!(liveness(&state, t0, interval).ok);
        assert_eq!(
            readiness(&state, t0, interval).reason.as_deref(),
            Some("no reconcile finished yet")
        );
        state.alive_at = Some(t0);
        state.last_finished = Some(t0);
        assert!(
            readiness(&state, t0 + 29 * SECOND, interval).ok,
            "ready with a broken set"
        );
        assert_eq!(
            readiness(&state, t0 + 30 * SECOND, interval)
                .reason
                .as_deref(),
            Some("last reconcile finished 30s ago, more than three intervals")
        );
        assert!(liveness(&state, t0 + 110 * SECOND, interval).ok);
        assert_eq!(
            liveness(&state, t0 + 111 * SECOND, interval)
                .reason
                .as_deref(),
            Some("the loop has shown no sign of life for 111s")
        );
    }
}
