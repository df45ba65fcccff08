//! The rate limit per action, injected faults (before and after the state change, seeded), and
//! latency.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::support::*;
use crate::sim::error::codes;
use crate::sim::{Sim, SimConfig};
use crate::tcmpp::model::CREATE_MNP_APPROVAL;

#[tokio::test]
async fn rate_limit_admits_exactly_the_limit_per_action() {
    let (h, api) = start(SimConfig::default()).await;
    h.sim.freeze_rate_clock();
    let replies = futures::future::join_all((1..=25).map(|v| api.submit(v))).await;
    let ok = replies.iter().filter(|r| r.code().is_none()).count();
    let limited: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.code().as_deref() == Some(codes::REQUEST_LIMIT_EXCEEDED))
        .collect();
    assert_eq!((ok, limited.len()), (20, 5));
    for r in &limited {
        assert!(
            assert_error(r, codes::REQUEST_LIMIT_EXCEEDED)
                .starts_with("Your current request times exceeds the limit")
        );
    }
    assert_eq!(h.sim.approvals().len(), 20);
    let calls = h.sim.calls();
    assert_eq!(calls.len(), 25);
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.code.as_deref() == Some(codes::REQUEST_LIMIT_EXCEEDED))
            .count(),
        5
    );
    // The limit is per action: another action is still admitted.
    assert!(
        api.list(json!({"Offset": 0, "Limit": 1, "PlatformId": P}))
            .await
            .code()
            .is_none()
    );
    // Rate limiting comes after authentication: a bad signature is not "limited".
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.secret_key = "wrong".into();
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
}

#[tokio::test]
async fn no_limit_when_rate_limit_is_zero() {
    let (h, api) = start(SimConfig {
        rate_limit: 0,
        ..SimConfig::default()
    })
    .await;
    h.sim.freeze_rate_clock();
    let replies = futures::future::join_all((1..=30).map(|v| api.submit(v))).await;
    assert!(replies.iter().all(|r| r.code().is_none()));
}

#[derive(Debug, PartialEq, Eq, Clone, Copy, PartialOrd, Ord)]
enum Outcome {
    Ok,
    Error,
    InternalError,
    Http503,
    Dropped,
}

async fn outcome(api: &Api, version: i64) -> Outcome {
    match api
        .send(api.req(
            CREATE_MNP_APPROVAL,
            json!({"MNPVersionId": version, "ApplyAction": "submit", "PlatformId": P}),
        ))
        .await
    {
        Err(e) => {
            assert!(!e.is_timeout() && !e.is_decode(), "{e:?}");
            Outcome::Dropped
        }
        Ok(r) if r.status == 503 => {
            assert!(
                serde_json::from_str::<Value>(&r.text).is_err(),
                "{}",
                r.text
            );
            assert!(r.date.is_some());
            Outcome::Http503
        }
        Ok(r) => match r.code().as_deref() {
            None => Outcome::Ok,
            Some(codes::INTERNAL_ERROR) => {
                assert_error(&r, codes::INTERNAL_ERROR);
                Outcome::InternalError
            }
            Some(_) => Outcome::Error,
        },
    }
}

fn fault_code(o: Outcome) -> Option<&'static str> {
    match o {
        Outcome::InternalError => Some(codes::INTERNAL_ERROR),
        Outcome::Http503 => Some(codes::FAULT_HTTP_503),
        Outcome::Dropped => Some(codes::FAULT_CONNECTION_DROPPED),
        Outcome::Ok | Outcome::Error => None,
    }
}

#[tokio::test]
async fn faults_of_every_kind_never_change_state() {
    let config = SimConfig {
        fault_rate: 1.0,
        seed: Some(42),
        rate_limit: 0,
        ..SimConfig::default()
    };
    let (h, api) = start(config.clone()).await;
    let mut outcomes = Vec::new();
    for v in 1..=24 {
        outcomes.push(outcome(&api, v).await);
    }
    let kinds: std::collections::BTreeSet<Outcome> = outcomes.iter().copied().collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [Outcome::InternalError, Outcome::Http503, Outcome::Dropped]
    );
    assert!(h.sim.approvals().is_empty(), "faults must not mutate state");
    let calls = h.sim.calls();
    assert_eq!(
        codes_of(&calls),
        outcomes.iter().map(|o| fault_code(*o)).collect::<Vec<_>>()
    );
    assert_eq!(
        calls
            .iter()
            .map(|c| c.params["MNPVersionId"].as_i64())
            .collect::<Vec<_>>(),
        (1..=24).map(Some).collect::<Vec<_>>()
    );

    // Same seed, same sequence.
    let (h2, api2) = start(config).await;
    let mut again = Vec::new();
    for v in 1..=24 {
        again.push(outcome(&api2, v).await);
    }
    assert_eq!(again, outcomes);
    assert_eq!(
        h2.sim
            .calls()
            .iter()
            .map(|c| &c.request_id)
            .collect::<Vec<_>>(),
        calls.iter().map(|c| &c.request_id).collect::<Vec<_>>()
    );

    // Verification failures are answered before any fault roll.
    let mut r = api.req(CREATE_MNP_APPROVAL, json!({}));
    r.secret_key = "wrong".into();
    assert_error(&api.send(r).await.unwrap(), codes::SIGNATURE_FAILURE);
}

#[tokio::test]
async fn post_commit_faults_change_state_but_lose_the_reply() {
    let (h, api) = start(SimConfig {
        fault_rate: 1.0,
        fault_after_commit: true,
        seed: Some(3),
        rate_limit: 0,
        ..SimConfig::default()
    })
    .await;
    let mut outcomes = Vec::new();
    for v in 1..=20 {
        outcomes.push(outcome(&api, v).await);
    }
    assert!(
        outcomes.iter().all(|o| fault_code(*o).is_some()),
        "{outcomes:?}"
    );
    let committed = h.sim.approvals().len();
    assert!(
        committed > 0 && committed < 20,
        "{committed} of 20 committed"
    );
}

#[tokio::test]
async fn partial_fault_rate_lets_some_requests_through() {
    let (h, api) = start(SimConfig {
        fault_rate: 0.5,
        seed: Some(9),
        rate_limit: 0,
        ..SimConfig::default()
    })
    .await;
    let mut ok = 0;
    for v in 1..=20 {
        if outcome(&api, v).await == Outcome::Ok {
            ok += 1;
        }
    }
    assert!(ok > 0 && ok < 20, "{ok}");
    assert_eq!(h.sim.approvals().len(), ok);
}

#[tokio::test]
async fn dropped_connection_without_kill_switch_aborts_the_body() {
    // Served by plain `axum::serve`, the router cannot close the connection itself.
    let sim = Sim::new(SimConfig {
        fault_rate: 1.0,
        seed: Some(0),
        rate_limit: 0,
        ..SimConfig::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, sim.router()).into_future());
    let api = Api {
        url: format!("http://{addr}"),
        host: addr.to_string(),
        http: reqwest::Client::new(),
        sim: sim.clone(),
    };
    let mut dropped = 0;
    for v in 1..=12 {
        if outcome(&api, v).await == Outcome::Dropped {
            dropped += 1;
        }
    }
    assert!(dropped > 0);
    assert_eq!(
        sim.calls()
            .iter()
            .filter(|c| c.code.as_deref() == Some(codes::FAULT_CONNECTION_DROPPED))
            .count(),
        dropped
    );
    server.abort();
}

#[tokio::test(start_paused = true)]
async fn latency_delays_the_reply_in_virtual_time() {
    let (h, _) = start(SimConfig {
        latency_ms: Some((250, 250)),
        ..SimConfig::default()
    })
    .await;
    let mut api = Api::new(&h);
    // No pooled connections: no idle timers that could move the paused clock.
    api.http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let reply = api.submit(1).await;
    let elapsed = start.elapsed();
    assert_result_true(&reply);
    assert!(
        elapsed >= std::time::Duration::from_millis(250),
        "{elapsed:?}"
    );
    // Recorded before the delay, with the same request id as the reply.
    assert_eq!(h.sim.calls()[0].request_id, reply.request_id());
}

#[test]
fn latency_is_sampled_within_bounds_and_seeded() {
    let sample = |seed| {
        let sim = Sim::new(SimConfig {
            latency_ms: Some((300, 100)),
            seed: Some(seed),
            ..SimConfig::default()
        });
        (0..50)
            .map(|_| sim.decide(&HeaderMap::new(), None, Some(b"{}")).delay)
            .collect::<Vec<_>>()
    };
    let a = sample(5);
    assert!(a.iter().all(|d| (100..=300).contains(&d.as_millis())));
    assert!(a.iter().any(|d| *d != a[0]), "uniform, not constant");
    assert_eq!(a, sample(5));
    let none = Sim::new(SimConfig::default());
    assert!(none.decide(&HeaderMap::new(), None, None).delay.is_zero());
}
