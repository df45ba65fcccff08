//! The Prometheus metrics of `watch`: reconciles, actions, requests, versions, failures, git
//! pulls; served by the health server in the OpenMetrics text format.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use super::Reconciled;
use crate::apply::ActionResult;
use crate::plan::Observed;
use crate::tcmpp::client::{Observer, RequestEvent};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    action: String,
    code: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiActionLabel {
    action: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

fn latency_histogram() -> Histogram {
    // 5 ms … ~10 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

struct MetricsInner {
    registry: Registry,
    reconciles: Family<ResultLabel, Counter>,
    actions: Family<ActionLabels, Counter>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<ApiActionLabel, Histogram, fn() -> Histogram>,
    manifests_valid: Gauge,
    manifest_errors: Gauge,
    attention: Gauge,
    versions: Family<StatusLabel, Gauge>,
    oldest_processing: Gauge<f64, AtomicU64>,
    last_success: Gauge<f64, AtomicU64>,
    consecutive_failures: Gauge,
    git_pulls: Family<ResultLabel, Counter>,
    approval_to_release: Histogram,
    notifications: Family<SinkLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkLabels {
    /// The sink's redacted name.
    sink: String,
    result: String,
}

/// The Prometheus metrics of a watch, served at `/metrics`. Cheap to clone; clones share.
///
/// Names: `mnpsync_reconciles_total{result}`, `mnpsync_actions_total{action,outcome}`,
/// `mnpsync_api_requests_total{action,code}` (`code="ok"` on success),
/// `mnpsync_api_request_duration_seconds{action}`, `mnpsync_manifests_valid`,
/// `mnpsync_manifest_errors`, `mnpsync_attention_items`, `mnpsync_versions{status}`,
/// `mnpsync_oldest_processing_approval_age_seconds` (since mnpsync submitted it or first saw it
/// processing), `mnpsync_last_success_timestamp_seconds`, `mnpsync_consecutive_failures`,
/// `mnpsync_git_pulls_total{result}`, `mnpsync_notifications_total{sink,result}`,
/// `mnpsync_approval_to_release_seconds` (from when mnpsync
/// first saw a version approved to its release; releases and rollbacks by outcome are in
/// `mnpsync_actions_total`).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<MetricsInner>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mnpsync");
        let reconciles = Family::<ResultLabel, Counter>::default();
        registry.register(
            "reconciles",
            "Reconciles by result (success, unconverged, error, refused)",
            reconciles.clone(),
        );
        let actions = Family::<ActionLabels, Counter>::default();
        registry.register(
            "actions",
            "Actions executed, by action and outcome",
            actions.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "api_requests",
            "HTTP exchanges with the TCMPP API, by action and error code (ok on success)",
            requests.clone(),
        );
        let latency = Family::<ApiActionLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register_with_unit(
            "api_request_duration",
            "Latency of HTTP exchanges with the TCMPP API",
            Unit::Seconds,
            latency.clone(),
        );
        // One minute to about three days.
        let approval_to_release = Histogram::new(exponential_buckets(60.0, 3.0, 9));
        registry.register_with_unit(
            "approval_to_release",
            "Seconds from when mnpsync first saw a version approved to its release",
            Unit::Seconds,
            approval_to_release.clone(),
        );
        let notifications = Family::<SinkLabels, Counter>::default();
        registry.register(
            "notifications",
            "Notification messages by sink (redacted) and final result (delivered, dropped)",
            notifications.clone(),
        );
        let manifests_valid = Gauge::default();
        registry.register(
            "manifests_valid",
            "1 when the manifest set is valid, 0 when it has errors",
            manifests_valid.clone(),
        );
        let manifest_errors = Gauge::default();
        registry.register(
            "manifest_errors",
            "Validation errors in the manifest set",
            manifest_errors.clone(),
        );
        let attention = Gauge::default();
        registry.register(
            "attention_items",
            "Versions that need a person (rejected, approved but declared cancelled, unknown status)",
            attention.clone(),
        );
        let versions = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "versions",
            "Managed versions by observed approval status",
            versions.clone(),
        );
        let oldest_processing = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "oldest_processing_approval_age",
            "Age of the oldest processing approval of a managed version (0 when none)",
            Unit::Seconds,
            oldest_processing.clone(),
        );
        let last_success = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "last_success_timestamp",
            "Unix time of the last reconcile that finished",
            Unit::Seconds,
            last_success.clone(),
        );
        let consecutive_failures = Gauge::default();
        registry.register(
            "consecutive_failures",
            "Failed reconciles in a row (retried with backoff)",
            consecutive_failures.clone(),
        );
        let git_pulls = Family::<ResultLabel, Counter>::default();
        registry.register(
            "git_pulls",
            "git pull --ff-only runs by result",
            git_pulls.clone(),
        );
        Metrics {
            inner: Arc::new(MetricsInner {
                registry,
                reconciles,
                actions,
                requests,
                latency,
                manifests_valid,
                manifest_errors,
                attention,
                versions,
                oldest_processing,
                last_success,
                consecutive_failures,
                git_pulls,
                approval_to_release,
                notifications,
            }),
        }
    }

    /// An observer for [`crate::tcmpp::Client::observed`] that counts requests and their latency.
    pub fn observer(&self) -> Observer {
        let metrics = self.clone();
        Arc::new(move |event: &RequestEvent<'_>| metrics.request(event))
    }

    pub(super) fn request(&self, event: &RequestEvent<'_>) {
        let m = &self.inner;
        m.requests
            .get_or_create(&RequestLabels {
                action: event.action.to_string(),
                code: event.code.unwrap_or("ok").to_string(),
            })
            .inc();
        m.latency
            .get_or_create(&ApiActionLabel {
                action: event.action.to_string(),
            })
            .observe(event.latency.as_secs_f64());
    }

    /// The Prometheus text exposition (OpenMetrics) of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry);
        out
    }

    pub(super) fn reconciled(&self, result: &Reconciled) {
        if let Some(label) = result.label() {
            self.inner
                .reconciles
                .get_or_create(&ResultLabel {
                    result: label.to_string(),
                })
                .inc();
        }
        if result.finished() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            self.inner.last_success.set(now);
        }
    }

    pub(super) fn action(&self, r: &ActionResult) {
        self.inner
            .actions
            .get_or_create(&ActionLabels {
                action: r.action.as_str().to_string(),
                outcome: r.outcome.as_str().to_string(),
            })
            .inc();
    }

    /// One notification message's final result.
    pub fn notification(&self, report: &crate::notify::Report) {
        let result = match report.outcome {
            crate::notify::Outcome::Delivered => "delivered",
            _ => "dropped",
        };
        self.inner
            .notifications
            .get_or_create(&SinkLabels {
                sink: report.sink.clone(),
                result: result.to_string(),
            })
            .inc();
    }

    /// A release that mnpsync made `seconds` after it first saw the version approved.
    pub(super) fn released_after(&self, seconds: f64) {
        self.inner.approval_to_release.observe(seconds.max(0.0));
    }

    pub(super) fn manifests(&self, errors: usize) {
        self.inner.manifests_valid.set(i64::from(errors == 0));
        self.inner
            .manifest_errors
            .set(i64::try_from(errors).unwrap_or(i64::MAX));
    }

    pub(super) fn versions(&self, counts: &BTreeMap<Observed, i64>, oldest_processing_secs: f64) {
        for status in [
            Observed::None,
            Observed::Processing,
            Observed::Approved,
            Observed::Rejected,
            Observed::Cancelled,
            Observed::Unknown,
        ] {
            self.inner
                .versions
                .get_or_create(&StatusLabel {
                    status: status.as_str().to_string(),
                })
                .set(counts.get(&status).copied().unwrap_or(0));
        }
        self.inner.oldest_processing.set(oldest_processing_secs);
    }

    pub(super) fn attention(&self, items: usize) {
        self.inner.attention.set(items as i64);
    }

    pub(super) fn failures(&self, failures: u32) {
        self.inner.consecutive_failures.set(i64::from(failures));
    }

    pub(super) fn git_pull(&self, ok: bool) {
        self.inner
            .git_pulls
            .get_or_create(&ResultLabel {
                result: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::record::Outcome;
    use crate::watch::test_support::result;

    #[test]
    fn metrics_expose_the_documented_names() {
        let metrics = Metrics::new();
        (metrics.observer())(&RequestEvent {
            action: "CreateMNPApproval",
            code: Some("InternalError"),
            latency: Duration::from_millis(12),
        });
        metrics.reconciled(&Reconciled::Converged { actions: 1 });
        metrics.action(&result(Outcome::Submitted, None));
        metrics.manifests(0);
        metrics.versions(&BTreeMap::from([(Observed::Processing, 2)]), 5.0);
        let text = metrics.encode();
        for needle in [
            "mnpsync_reconciles_total{result=\"success\"} 1",
            "mnpsync_actions_total{action=\"submit\",outcome=\"submitted\"} 1",
            "mnpsync_api_requests_total{action=\"CreateMNPApproval\",code=\"InternalError\"} 1",
            "mnpsync_api_request_duration_seconds_bucket{",
            "mnpsync_manifests_valid 1",
            "mnpsync_versions{status=\"processing\"} 2",
            "mnpsync_oldest_processing_approval_age_seconds 5",
            "mnpsync_last_success_timestamp_seconds ",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }
}
