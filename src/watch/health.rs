//! Health: the verdict (pure) and the server for `GET /healthz` and `GET /metrics`.

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
        .route("/metrics", axum::routing::get(metrics_text))
        .with_state(status);
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
    {
        tracing::warn!("health server stopped: {e}");
    }
}

async fn healthz(AxumState(status): AxumState<Arc<Status>>) -> Response {
    let verdict = {
        let state = status.health.lock().unwrap_or_else(|p| p.into_inner());
        health(&state, Instant::now(), status.interval)
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
}
