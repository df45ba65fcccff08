//! Delivery: the [`Notifier`] owns one bounded queue and one background task per sink; it
//! sends each message under the service's rate limit, with a per-request timeout and a few
//! retries, and reports every message's final result ([`Report`]) and counts ([`Count`]).
//!
//! Nothing here can fail or hold up a reconcile: [`Notifier::enqueue`] never blocks (a full
//! queue drops the message with a warning), and [`Notifier::drain`] waits at most its deadline.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{mpsc, watch};

use crate::notify::answer::{Answer, interpret};
use crate::notify::event::{Batch, EventFilter};
use crate::notify::format::{Prepared, prepare};
use crate::notify::sign::Secret;
use crate::notify::sink::{Sink, SinkKind};
use crate::tcmpp::RetryPolicy;

/// The time signatures are made at (Feishu's and DingTalk's timestamps).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;
/// Called once with every message's final result, from the sink's task: keep it short.
pub type ReportFn = Arc<dyn Fn(&Report) + Send + Sync>;
/// The rate limit of a sink of a kind; `None`: no limit.
pub type QuotaFn = Arc<dyn Fn(SinkKind) -> Option<Quota> + Send + Sync>;

/// The most reply bytes read (a reply is a short JSON document or `ok`).
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// How the notifier delivers.
#[derive(Clone)]
pub struct NotifierConfig {
    /// Messages waiting per sink at most; one more is dropped (default 32).
    pub queue: usize,
    /// Per-request timeout, connecting included (default 10 s).
    pub timeout: Duration,
    /// Attempts and backoff (default 4 attempts, 1 s base, 16 s cap, full jitter).
    pub retry: RetryPolicy,
    /// No retry starts later than this after a message's first attempt (default 60 s).
    pub max_elapsed: Duration,
    /// The generic webhooks' signing secret (`MNPSYNC_NOTIFY_SECRET`).
    pub webhook_secret: Option<Secret>,
    /// Which events are sent (default: all).
    pub events: EventFilter,
    /// The clock of signatures (default: the system's).
    pub clock: Clock,
    /// Each sink's rate limit (default [`documented_quota`]).
    pub quota: QuotaFn,
    /// Where final results go, besides the counts and the log.
    pub on_report: Option<ReportFn>,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            queue: 32,
            timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                attempts: 4,
                base: Duration::from_secs(1),
                cap: Duration::from_secs(16),
            },
            max_elapsed: Duration::from_secs(60),
            webhook_secret: None,
            events: EventFilter::all(),
            clock: Arc::new(SystemTime::now),
            quota: Arc::new(documented_quota),
            on_report: None,
        }
    }
}

impl std::fmt::Debug for NotifierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifierConfig")
            .field("queue", &self.queue)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_elapsed", &self.max_elapsed)
            .field("webhook_secret", &self.webhook_secret)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// Each service's documented rate limit, kept with a little headroom, as evenly spaced sends:
/// WeCom and DingTalk 20 a minute (one per 3.1 s), Feishu 100 a minute and 5 a second (one per
/// 0.62 s), Slack one a second; generic webhooks none.
pub fn documented_quota(kind: SinkKind) -> Option<Quota> {
    let period = match kind {
        SinkKind::Generic => return None,
        SinkKind::WeCom | SinkKind::DingTalk => Duration::from_millis(3100),
        SinkKind::Feishu => Duration::from_millis(620),
        SinkKind::Slack => Duration::from_secs(1),
    };
    Quota::with_period(period).map(|q| q.allow_burst(NonZeroU32::MIN))
}

/// A message's final result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Not delivered, and given up: why.
    Dropped {
        reason: String,
    },
}

impl Outcome {
    /// The metric's `result` label: `delivered` or `dropped`.
    pub fn result(&self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Dropped { .. } => "dropped",
        }
    }
}

/// One message's final result: which sink (redacted), which reconcile, which events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The sink's redacted form ([`Sink::display`]).
    pub sink: String,
    pub kind: SinkKind,
    pub run_id: String,
    /// Every event of the batch, listed or counted in "and N more".
    pub keys: Vec<String>,
    pub outcome: Outcome,
    /// Requests sent (0 when dropped from a full queue).
    pub attempts: u32,
}

/// A value of `mnpsync_notifications_total{sink,result}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    pub sink: String,
    pub result: &'static str,
    pub value: u64,
}

/// The notifier could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot build the HTTP client of notification sink {sink}: {reason}")]
pub struct BuildError {
    pub sink: String,
    pub reason: String,
}

/// What the tasks share with the handle.
struct Shared {
    /// Messages queued or in flight, all sinks together.
    pending: watch::Sender<usize>,
    counts: Mutex<BTreeMap<(String, &'static str), u64>>,
    on_report: Option<ReportFn>,
}

impl Shared {
    /// Records a final result: the count, the log, the callback; then one message less
    /// pending.
    fn finish(&self, report: Report) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts
                .entry((report.sink.clone(), report.outcome.result()))
                .or_default() += 1;
        }
        match &report.outcome {
            Outcome::Delivered => tracing::debug!(
                sink = %report.sink,
                run_id = %report.run_id,
                events = report.keys.len(),
                attempts = report.attempts,
                "notification delivered"
            ),
            Outcome::Dropped { reason } => tracing::warn!(
                sink = %report.sink,
                run_id = %report.run_id,
                events = report.keys.len(),
                attempts = report.attempts,
                "notification dropped: {reason}"
            ),
        }
        if let Some(on_report) = &self.on_report {
            on_report(&report);
        }
        self.pending.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// One sink's end of the notifier.
struct Lane {
    display: String,
    kind: SinkKind,
    tx: mpsc::Sender<Arc<Batch>>,
}

/// Sends notifications in the background; see the module docs.
///
/// Dropping it lets each sink's task finish the messages already queued (while the runtime
/// lives); [`Notifier::drain`] waits for them.
pub struct Notifier {
    lanes: Vec<Lane>,
    shared: Arc<Shared>,
    events: EventFilter,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("sinks", &self.sinks())
            .field("pending", &self.pending())
            .finish()
    }
}

impl Notifier {
    /// Starts one task per sink on the current tokio runtime.
    ///
    /// # Errors
    /// An HTTP client could not be built (the TLS backend failed to initialise).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn spawn(sinks: Vec<Sink>, config: NotifierConfig) -> Result<Notifier, BuildError> {
        let (pending, _) = watch::channel(0usize);
        let counts = sinks
            .iter()
            .flat_map(|s| {
                ["delivered", "dropped"].map(|result| ((s.display().to_string(), result), 0))
            })
            .collect();
        let shared = Arc::new(Shared {
            pending,
            counts: Mutex::new(counts),
            on_report: config.on_report.clone(),
        });
        let config = Arc::new(config);
        let mut lanes = Vec::with_capacity(sinks.len());
        for sink in sinks {
            let client = http_client(&sink, config.timeout)?;
            let (tx, rx) = mpsc::channel(config.queue.max(1));
            lanes.push(Lane {
                display: sink.display().to_string(),
                kind: sink.kind(),
                tx,
            });
            let limiter = (config.quota)(sink.kind()).map(RateLimiter::direct);
            tokio::spawn(run_lane(
                Arc::new(sink),
                client,
                rx,
                limiter,
                config.clone(),
                shared.clone(),
            ));
        }
        Ok(Notifier {
            lanes,
            shared,
            events: config.events.clone(),
        })
    }

    /// The sinks' redacted forms, in order.
    pub fn sinks(&self) -> Vec<String> {
        self.lanes.iter().map(|l| l.display.clone()).collect()
    }

    /// Queues one message per sink for `batch`'s events that the event filter lets through;
    /// returns for how many sinks it was queued. Never blocks and never fails: a sink whose
    /// queue is full drops the message (reported as [`Outcome::Dropped`], counted, logged).
    pub fn enqueue(&self, batch: Batch) -> usize {
        let Some(batch) = self.events.apply(batch) else {
            return 0;
        };
        let batch = Arc::new(batch);
        let mut queued = 0;
        for lane in &self.lanes {
            // Counted before it is queued, so the task cannot finish it first.
            self.shared.pending.send_modify(|n| *n += 1);
            match lane.tx.try_send(batch.clone()) {
                Ok(()) => queued += 1,
                Err(e) => {
                    let reason = match e {
                        mpsc::error::TrySendError::Full(_) => {
                            format!("the queue is full (capacity {})", lane.tx.max_capacity())
                        }
                        mpsc::error::TrySendError::Closed(_) => {
                            "the sink's task has stopped".to_string()
                        }
                    };
                    self.shared.finish(Report {
                        sink: lane.display.clone(),
                        kind: lane.kind,
                        run_id: batch.run_id.clone(),
                        keys: batch.keys(),
                        outcome: Outcome::Dropped { reason },
                        attempts: 0,
                    });
                }
            }
        }
        queued
    }

    /// Messages queued or in flight.
    pub fn pending(&self) -> usize {
        *self.shared.pending.borrow()
    }

    /// Waits until every queued message has its final result, for at most `deadline`;
    /// returns how many are still pending (0: all done).
    pub async fn drain(&self, deadline: Duration) -> usize {
        let mut rx = self.shared.pending.subscribe();
        let _ = tokio::time::timeout(deadline, rx.wait_for(|n| *n == 0)).await;
        self.pending()
    }

    /// `mnpsync_notifications_total{sink,result}`: every sink with both results, zeros
    /// included, sorted.
    pub fn counts(&self) -> Vec<Count> {
        self.shared
            .counts
            .lock()
            .map(|counts| {
                counts
                    .iter()
                    .map(|((sink, result), value)| Count {
                        sink: sink.clone(),
                        result,
                        value: *value,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The HTTP client of one sink: rustls, no redirects, the per-request timeout; no proxy for a
/// loopback host.
fn http_client(sink: &Sink, timeout: Duration) -> Result<reqwest::Client, BuildError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("mnpsync/", env!("CARGO_PKG_VERSION")))
        // A redirect would carry the message (and a signature) to another address.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)));
    if sink.loopback() {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| BuildError {
        sink: sink.display().to_string(),
        reason: sink.scrub(&e.without_url().to_string()),
    })
}

/// One sink's task: its messages one at a time, in order.
async fn run_lane(
    sink: Arc<Sink>,
    client: reqwest::Client,
    mut rx: mpsc::Receiver<Arc<Batch>>,
    limiter: Option<DefaultDirectRateLimiter>,
    config: Arc<NotifierConfig>,
    shared: Arc<Shared>,
) {
    while let Some(batch) = rx.recv().await {
        let (outcome, attempts) = deliver(&sink, &client, &batch, limiter.as_ref(), &config).await;
        shared.finish(Report {
            sink: sink.display().to_string(),
            kind: sink.kind(),
            run_id: batch.run_id.clone(),
            keys: batch.keys(),
            outcome,
            attempts,
        });
    }
}

/// Sends one message with retries; returns its outcome and the attempts made.
async fn deliver(
    sink: &Sink,
    client: &reqwest::Client,
    batch: &Batch,
    limiter: Option<&DefaultDirectRateLimiter>,
    config: &NotifierConfig,
) -> (Outcome, u32) {
    let started = tokio::time::Instant::now();
    let attempts_allowed = config.retry.attempts.max(1);
    let mut attempts = 0;
    loop {
        if let Some(limiter) = limiter {
            limiter.until_ready().await;
        }
        attempts += 1;
        let prepared = prepare(
            sink,
            batch,
            config.webhook_secret.as_ref(),
            (config.clock)(),
        );
        let answer = send(client, sink.kind(), prepared, config.timeout).await;
        let reason = match answer {
            Answer::Delivered => return (Outcome::Delivered, attempts),
            Answer::Refused(reason) => {
                return (dropped(sink, &reason, attempts), attempts);
            }
            Answer::Retry(reason) => reason,
        };
        if attempts >= attempts_allowed {
            return (dropped(sink, &reason, attempts), attempts);
        }
        let wait = config.retry.backoff(attempts, &mut rand::rng());
        if started.elapsed() + wait > config.max_elapsed {
            let reason = format!(
                "{reason}; no retry within {}",
                humantime::format_duration(config.max_elapsed)
            );
            return (dropped(sink, &reason, attempts), attempts);
        }
        tracing::debug!(sink = %sink.display(), attempt = attempts, "notification attempt failed, retrying: {}", sink.scrub(&reason));
        tokio::time::sleep(wait).await;
    }
}

fn dropped(sink: &Sink, reason: &str, attempts: u32) -> Outcome {
    let plural = if attempts == 1 { "" } else { "s" };
    Outcome::Dropped {
        reason: sink.scrub(&format!("{reason} (after {attempts} attempt{plural})")),
    }
}

/// One request and what its reply means. The error texts never hold the URL.
async fn send(
    client: &reqwest::Client,
    kind: SinkKind,
    prepared: Prepared,
    timeout: Duration,
) -> Answer {
    let mut request = client
        .post(prepared.url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )
        .body(prepared.body);
    for (name, value) in prepared.headers {
        request = request.header(name, value);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(e) => return Answer::Retry(transport_error(e, timeout)),
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_REPLY_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return Answer::Retry(transport_error(e, timeout)),
        }
    }
    interpret(kind, status, &body)
}

/// A failed exchange as one line, without the URL (reqwest's own text names it).
fn transport_error(error: reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!(
            "no answer within {} (the per-request timeout)",
            humantime::format_duration(timeout)
        );
    }
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    crate::text::clip(&message, 300)
}
