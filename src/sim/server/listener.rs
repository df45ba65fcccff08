//! The listener under [`Sim::serve`](crate::sim::Sim::serve): TCP connections that carry a
//! [`ConnHandle`], so that an injected "dropped connection" fault can close a connection without
//! sending a byte of the response, and so that a connection waiting for a request's headers
//! is closed once [`SimConfig::header_timeout`](crate::sim::SimConfig::header_timeout) has
//! passed.
//!
//! Owns accepting connections (with `TCP_NODELAY`, retrying transient accept errors), failing a
//! killed connection's I/O, and the header deadline: armed when the connection is accepted and
//! whenever its last request in flight has been answered, disarmed while a request is handled
//! (from its headers to its response; the body has its own timeout in `body`). Once the deadline
//! has passed, reads fail and hyper closes the connection: an idle connection, or one whose
//! headers trickle in (slowloris), is closed `header_timeout` after it was opened or last
//! answered, however many bytes it sends meanwhile. It must not look at requests or responses.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

use super::lock;

/// What the server shares with one connection: the kill switch of an injected dropped
/// connection and the header deadline. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub(super) struct ConnHandle(Arc<ConnShared>);

#[derive(Debug)]
struct ConnShared {
    killed: AtomicBool,
    /// Zero: no header deadline.
    header_timeout: Duration,
    idle: Mutex<Idle>,
}

/// The header deadline's state.
#[derive(Debug)]
struct Idle {
    /// Requests of this connection being handled (HTTP/2 can have several).
    in_flight: usize,
    /// When the connection's reads start failing; `None` while a request is handled.
    deadline: Option<Instant>,
    /// The task last told to wait for a read, woken when the deadline is re-armed.
    reader: Option<Waker>,
}

impl ConnHandle {
    fn new(header_timeout: Duration) -> ConnHandle {
        let deadline = Self::deadline_after(header_timeout);
        ConnHandle(Arc::new(ConnShared {
            killed: AtomicBool::new(false),
            header_timeout,
            idle: Mutex::new(Idle {
                in_flight: 0,
                deadline,
                reader: None,
            }),
        }))
    }

    fn deadline_after(timeout: Duration) -> Option<Instant> {
        (!timeout.is_zero()).then(|| Instant::now() + timeout)
    }

    /// Makes the connection's I/O fail from now on, so hyper closes it.
    pub(super) fn trigger(&self) {
        self.0.killed.store(true, Ordering::SeqCst);
    }

    fn is_triggered(&self) -> bool {
        self.0.killed.load(Ordering::SeqCst)
    }

    /// A request's headers have arrived: no header deadline until the returned guard is
    /// dropped (the response is ready, or the request was abandoned).
    pub(super) fn start_request(&self) -> InFlight {
        let mut idle = lock(&self.0.idle);
        idle.in_flight += 1;
        idle.deadline = None;
        InFlight(self.clone())
    }

    fn finish_request(&self) {
        let mut idle = lock(&self.0.idle);
        idle.in_flight = idle.in_flight.saturating_sub(1);
        if idle.in_flight == 0 {
            idle.deadline = Self::deadline_after(self.0.header_timeout);
            // A read that is already waiting must learn of the new deadline.
            if let Some(reader) = idle.reader.take() {
                reader.wake();
            }
        }
    }

    /// The current header deadline, remembering `waker` as the task waiting for a read.
    fn read_deadline(&self, waker: &Waker) -> Option<Instant> {
        let mut idle = lock(&self.0.idle);
        match &idle.reader {
            Some(reader) if reader.will_wake(waker) => {}
            _ => idle.reader = Some(waker.clone()),
        }
        idle.deadline
    }
}

/// Marks a request as being handled; dropping it re-arms the header deadline once no request of
/// the connection is left.
#[derive(Debug)]
pub(super) struct InFlight(ConnHandle);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.finish_request();
    }
}

impl Connected<IncomingStream<'_, SimListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.io().conn.clone()
    }
}

/// A TCP listener whose connections carry a [`ConnHandle`].
pub(super) struct SimListener {
    inner: TcpListener,
    header_timeout: Duration,
}

impl SimListener {
    /// `header_timeout`: see [`SimConfig::header_timeout`](crate::sim::SimConfig::header_timeout);
    /// zero disables it.
    pub(super) fn new(inner: TcpListener, header_timeout: Duration) -> SimListener {
        SimListener {
            inner,
            header_timeout,
        }
    }
}

impl Listener for SimListener {
    type Io = SimStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    // Small request/response pairs: avoid Nagle + delayed-ACK stalls.
                    let _ = stream.set_nodelay(true);
                    let io = SimStream {
                        inner: stream,
                        conn: ConnHandle::new(self.header_timeout),
                        timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
                        timer_deadline: None,
                    };
                    return (io, addr);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    tracing::error!("simulator accept error: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails every write once its [`ConnHandle`] is triggered, and every read
/// once its header deadline has passed.
pub(super) struct SimStream {
    inner: TcpStream,
    conn: ConnHandle,
    /// Sleeps until `timer_deadline`; reset when the connection's deadline changes.
    timer: Pin<Box<Sleep>>,
    timer_deadline: Option<Instant>,
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by the simulator",
    )
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "no complete request headers within the simulator's header timeout",
    )
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.conn.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        let deadline = this.conn.read_deadline(cx.waker());
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Poll::Ready(Err(timed_out()));
        }
        if let Poll::Ready(result) = Pin::new(&mut this.inner).poll_read(cx, buf) {
            return Poll::Ready(result);
        }
        let Some(deadline) = deadline else {
            return Poll::Pending;
        };
        if this.timer_deadline != Some(deadline) {
            this.timer.as_mut().reset(deadline);
            this.timer_deadline = Some(deadline);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.conn.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.conn.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.conn.is_triggered() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
