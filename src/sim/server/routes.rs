//! The axum application: `POST /` (the API), `GET`/`DELETE /_sim/calls`, `GET /_sim/approvals`,
//! a plain 404 for everything else, and a `Date` header from the simulator clock on every
//! response; plus [`Sim::serve`], which runs it on a listener that can drop connections.
//!
//! Owns when the body of `POST /` is read (only after the headers-only checks of
//! [`Sim::begin`] passed, bounded by `body`), marking each request as in flight for the
//! listener's header deadline, and turning a [`Decision`] into an HTTP response (including a
//! dropped connection). It must not verify, decide or record anything itself: `POST /` hands
//! the request to [`Sim::begin`] and [`Sim::finish`].

use std::future::Future;
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::http::header::{CONTENT_TYPE, DATE, HOST};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tokio::net::TcpListener;

use super::faults::UNAVAILABLE_BODY;
use super::listener::{ConnHandle, SimListener};
use super::{Decision, Reply, RequestBody, header};
use crate::sim::Sim;

/// The latest instant an HTTP date can show (9999-12-31 23:59:59 UTC).
const LAST_HTTP_DATE_SECS: u64 = 253_402_300_799;

/// The instant of a unix time, for [`httpdate::fmt_http_date`]; times it cannot show (before
/// 1970 or after 9999) become the epoch.
fn system_time(unix: i64) -> SystemTime {
    u64::try_from(unix)
        .ok()
        .filter(|secs| *secs <= LAST_HTTP_DATE_SECS)
        .map_or(UNIX_EPOCH, |secs| UNIX_EPOCH + Duration::from_secs(secs))
}

impl Sim {
    /// The HTTP application: `POST /` (the API), `GET`/`DELETE /_sim/calls`,
    /// `GET /_sim/approvals`; everything else is a plain 404. Every response carries a `Date`
    /// header from the simulator clock.
    pub(crate) fn router(&self) -> Router {
        Router::new()
            .route("/", any(api))
            .route("/_sim/calls", get(get_calls).delete(clear_calls))
            .route("/_sim/approvals", get(get_approvals))
            .fallback(not_found)
            .method_not_allowed_fallback(not_found)
            .layer(axum::middleware::map_response_with_state(
                self.clone(),
                add_date,
            ))
            .layer(axum::middleware::from_fn(in_flight))
            .with_state(self.clone())
    }

    /// Serves the simulator's HTTP application on `listener` until `shutdown` completes, then
    /// finishes the requests in flight. Connections go through a wrapper that lets an injected
    /// fault close them without a response, and that closes them once they have waited
    /// [`SimConfig::header_timeout`](crate::sim::SimConfig::header_timeout) for a request's
    /// headers.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let app = self
            .router()
            .into_make_service_with_connect_info::<ConnHandle>();
        let listener = SimListener::new(listener, self.inner.config.header_timeout);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

async fn api(AxumState(sim): AxumState<Sim>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method != Method::POST {
        return not_found().await;
    }
    let conn = parts
        .extensions
        .get::<ConnectInfo<ConnHandle>>()
        .map(|info| info.0.clone());
    let host = header(&parts.headers, HOST.as_str())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let begun = sim.begin(&parts.headers, host.as_deref());
    // The body is read only once the headers-only checks passed; otherwise hyper drains what
    // has already arrived, or closes the connection after the reply.
    let body = if begun.wants_body() {
        RequestBody::read(body, &parts.headers, sim.inner.config.body_timeout).await
    } else {
        RequestBody::Skipped
    };
    let decision: Decision = sim.finish(begun, &parts.headers, &body);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    match decision.reply {
        Reply::Json(body) => (
            StatusCode::OK,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body,
        )
            .into_response(),
        Reply::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONTENT_TYPE, HeaderValue::from_static("text/html"))],
            UNAVAILABLE_BODY,
        )
            .into_response(),
        Reply::Drop => match conn {
            Some(conn) => {
                // The connection's writes fail from now on, so hyper closes it without sending
                // a byte of this response.
                conn.trigger();
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
            // Served without `Sim::serve` (no kill switch): abort the body instead; the client
            // sees an incomplete message.
            None => {
                let stream = futures::stream::once(async {
                    Err::<Bytes, io::Error>(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "simulated dropped connection",
                    ))
                });
                (StatusCode::OK, Body::from_stream(stream)).into_response()
            }
        },
    }
}

/// Marks the request as in flight on its connection (when served by [`Sim::serve`]), which
/// suspends the connection's header deadline until the response is ready.
async fn in_flight(request: Request, next: Next) -> Response {
    let _in_flight = request
        .extensions()
        .get::<ConnectInfo<ConnHandle>>()
        .map(|info| info.0.start_request());
    next.run(request).await
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        "Not Found",
    )
        .into_response()
}

async fn get_calls(AxumState(sim): AxumState<Sim>) -> Response {
    axum::Json(sim.calls()).into_response()
}

async fn clear_calls(AxumState(sim): AxumState<Sim>) -> StatusCode {
    sim.clear_calls();
    StatusCode::NO_CONTENT
}

async fn get_approvals(AxumState(sim): AxumState<Sim>) -> Response {
    axum::Json(sim.approvals()).into_response()
}

async fn add_date(AxumState(sim): AxumState<Sim>, mut response: Response) -> Response {
    let date = httpdate::fmt_http_date(system_time(sim.now_unix()));
    if let Ok(value) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(DATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::super::verify::utc_datetime;
    use super::*;

    #[test]
    fn http_dates_are_rfc_7231() {
        let http_date = |unix| httpdate::fmt_http_date(system_time(unix));
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(utc_datetime(784111777), "1994-11-06 08:49:37");
    }

    #[test]
    fn unshowable_instants_become_the_epoch() {
        let http_date = |unix| httpdate::fmt_http_date(system_time(unix));
        assert_eq!(http_date(-1), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(253_402_300_799), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(http_date(253_402_300_800), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(i64::MAX), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
