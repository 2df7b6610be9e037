//! A connection with a fixed-size read buffer and a write buffer, for the line-based protocols of
//! [`super::smtp`] and [`super::imap`].
//!
//! Reading never buffers more than the caller allows: [`BufConn::read_segment`] hands out at most
//! `max` bytes at a time and says whether they end a line, so a peer that never sends a line feed
//! cannot make us hold more than one buffer plus what the caller keeps. Writes are collected and sent
//! with [`BufConn::flush`], so replies to pipelined commands leave in one packet.
//!
//! The reads are not cancel safe: after a read is cancelled (timeout, shutdown) the connection must
//! be dropped.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How a [`BufConn::read_segment`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// The bytes appended end with a line feed.
    Line,
    /// `max` bytes were appended without reaching a line feed; the line goes on.
    Partial,
    /// The peer closed the connection (anything appended is an unfinished line).
    Eof,
}

pub(crate) struct BufConn<S> {
    stream: S,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    out: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> BufConn<S> {
    pub(crate) fn new(stream: S) -> Self {
        Self { stream, buf: vec![0; 16 * 1024].into_boxed_slice(), start: 0, end: 0, out: Vec::new() }
    }

    /// Bytes received but not read yet (pipelined commands).
    pub(crate) fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Forgets the bytes received but not read yet; returns how many there were.
    pub(crate) fn discard_buffered(&mut self) -> usize {
        let n = self.buffered();
        self.start = 0;
        self.end = 0;
        n
    }

    /// Waits until there are bytes to read; false when the peer closed the connection. Unlike the
    /// other reads this one is cancel safe: cancelled, it has taken nothing.
    pub(crate) async fn wait_readable(&mut self) -> io::Result<bool> {
        if self.buffered() > 0 {
            return Ok(true);
        }
        self.fill().await
    }

    /// Appends to `out` the bytes up to and including the next line feed, but no more than `max`.
    pub(crate) async fn read_segment(&mut self, out: &mut Vec<u8>, max: usize) -> io::Result<Segment> {
        let mut room = max;
        loop {
            if self.start == self.end && !self.fill().await? {
                return Ok(Segment::Eof);
            }
            let avail = &self.buf[self.start..self.end];
            let window = &avail[..avail.len().min(room)];
            if let Some(i) = memchr::memchr(b'\n', window) {
                out.extend_from_slice(&window[..=i]);
                self.start += i + 1;
                return Ok(Segment::Line);
            }
            out.extend_from_slice(window);
            self.start += window.len();
            room -= window.len();
            if room == 0 {
                return Ok(Segment::Partial);
            }
        }
    }

    /// Appends exactly `n` bytes to `out` (an IMAP literal).
    pub(crate) async fn read_exact_into(&mut self, out: &mut Vec<u8>, mut n: usize) -> io::Result<()> {
        while n > 0 {
            if self.start == self.end && !self.fill().await? {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed in the middle of a literal",
                ));
            }
            let take = n.min(self.end - self.start);
            out.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
            n -= take;
        }
        Ok(())
    }

    /// Reads more into the empty buffer; false at end of stream.
    async fn fill(&mut self) -> io::Result<bool> {
        self.start = 0;
        self.end = 0;
        let n = self.stream.read(&mut self.buf).await?;
        self.end = n;
        Ok(n > 0)
    }

    /// Queues bytes to send with the next [`BufConn::flush`].
    pub(crate) fn queue(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Sends what was queued.
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        self.stream.flush().await
    }

    /// The stream, for a TLS handshake. Bytes received but not read are dropped: after STARTTLS,
    /// nothing sent before the handshake may be taken as coming through it.
    pub(crate) fn into_inner(self) -> S {
        self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn segments_are_bounded_and_pipelined_lines_stay_buffered() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut conn = BufConn::new(server);
        client.write_all(b"NOOP\r\nRSET\r\n0123456789abcdef\n").await.unwrap();
        drop(client);
        let mut out = Vec::new();
        assert_eq!(conn.read_segment(&mut out, 100).await.unwrap(), Segment::Line);
        assert_eq!(out, b"NOOP\r\n");
        assert!(conn.buffered() > 0);
        out.clear();
        assert_eq!(conn.read_segment(&mut out, 100).await.unwrap(), Segment::Line);
        assert_eq!(out, b"RSET\r\n");
        out.clear();
        assert_eq!(conn.read_segment(&mut out, 10).await.unwrap(), Segment::Partial);
        assert_eq!(out, b"0123456789");
        assert_eq!(conn.read_segment(&mut out, 10).await.unwrap(), Segment::Line);
        assert_eq!(out, b"0123456789abcdef\n");
        assert_eq!(conn.read_segment(&mut out, 10).await.unwrap(), Segment::Eof);
    }

    #[tokio::test]
    async fn exact_reads_cross_buffer_refills() {
        let (mut client, server) = tokio::io::duplex(7);
        let mut conn = BufConn::new(server);
        let writer = tokio::spawn(async move {
            client.write_all(b"{5}\r\nab\r\nc tail\r\n").await.unwrap();
        });
        let mut out = Vec::new();
        conn.read_segment(&mut out, 100).await.unwrap();
        conn.read_exact_into(&mut out, 5).await.unwrap();
        assert_eq!(conn.read_segment(&mut out, 100).await.unwrap(), Segment::Line);
        assert_eq!(out, b"{5}\r\nab\r\nc tail\r\n");
        writer.await.unwrap();
        let mut rest = Vec::new();
        assert!(conn.read_exact_into(&mut rest, 1).await.is_err());
    }
}
