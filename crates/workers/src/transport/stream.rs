//! Implicit TLS (`smtps://`) over a TCP stream we opened ourselves.
//!
//! lettre's `AsyncSmtpConnection::connect_with_transport` takes any stream but reads the greeting at
//! once, so for implicit TLS the stream must already be encrypted. lettre's own `connect_tokio1`
//! would do that, but it opens the socket itself and leaves Nagle's algorithm on, which stalls every
//! command on the peer's delayed ACK. So we connect, set `TCP_NODELAY`, let lettre's
//! `AsyncNetworkStream` do the TLS handshake with the same [`TlsParameters`] STARTTLS uses, and hand
//! the encrypted stream back to lettre through this adapter (futures-io traits to tokio traits).
//!
//! `AsyncNetworkStream` is public but deprecated in lettre 0.11 ("not meant to be made public"); when
//! lettre 0.12 removes it, this adapter moves to tokio-rustls directly.
#![allow(deprecated)]

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncTokioStream, TlsParameters};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub(crate) struct TlsStream {
    inner: AsyncNetworkStream,
    peer: SocketAddr,
}

impl TlsStream {
    /// Performs the TLS handshake on `tcp` (which should have `TCP_NODELAY` set already).
    pub(crate) async fn handshake(tcp: TcpStream, tls: TlsParameters) -> Result<Self, String> {
        let peer = tcp.peer_addr().map_err(|e| format!("connection lost before TLS: {e}"))?;
        let mut inner = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        inner.upgrade_tls(tls).await.map_err(|e| format!("TLS handshake failed: {}", super::smtp::error_text(&e)))?;
        Ok(Self { inner, peer })
    }
}

impl fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream").field("peer", &self.peer).finish_non_exhaustive()
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = ready!(Pin::new(&mut self.inner).poll_read(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }
}
