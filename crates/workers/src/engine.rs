//! The delivery engine: claims due messages from the outbox by lease, hands them to the transport's
//! connections in parallel, and records the outcomes in batches.
//!
//! One dispatcher task talks to the store; `N` worker tasks (one per connection of the pool) take
//! messages from a shared queue and report each outcome back. The dispatcher claims a new batch
//! whenever no more than one batch is left in flight, so the workers never wait for the database,
//! and at most two batches are ever held in memory or under lease.
//!
//! When nothing is due it sleeps until [`Store::next_due`], or until [`Store::outbox_wakeup`] says
//! something was enqueued, but never longer than [`EngineConfig::max_idle_sleep`]: other nodes on a
//! shared PostgreSQL database cannot wake us.
//!
//! Leases: a worker only starts on a message while comfortably more of its lease is left than an
//! attempt may take ([`EngineConfig::lease`] less [`EngineConfig::record_margin`]; the attempt is cut
//! off there). Otherwise it gives the message back untried, so a message is never sent by us after
//! another node may have taken it over.
//!
//! Shutdown: stop claiming, let attempts under way finish, record them, release what was claimed but
//! not tried, say QUIT on every connection. Nothing claimed is lost; if recording fails for good, the
//! leases run out and the messages are tried again (at least once, never silently dropped).

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use kurier_core::RetryPolicy;
use kurier_store::{ClaimedMessage, DeliveryOutcome, Store};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout};

use crate::transport::{Session, Transport, defer_or_give_up};

/// How the engine claims, leases and waits.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// This node's name in leases: `host/pid/random` by default ([`default_node_id`]).
    pub node_id: String,
    /// Messages claimed per transaction.
    pub batch_size: u32,
    /// How long a claim holds a message. Must comfortably exceed the time to send two batches.
    pub lease: Duration,
    /// Kept free at the end of a lease for recording the outcome: an attempt is cut off (and
    /// deferred) when it would run into it, and not started at all when less than
    /// `record_margin` plus [`EngineConfig::min_attempt_time`] is left.
    pub record_margin: Duration,
    /// The least time an attempt is started with.
    pub min_attempt_time: Duration,
    /// Longest sleep while nothing is due (other nodes on a shared database cannot wake us).
    pub max_idle_sleep: Duration,
    /// Outcomes are recorded once this many are waiting, or `flush_interval` after the first.
    pub flush_batch: usize,
    pub flush_interval: Duration,
    /// A connection unused for this long is closed (QUIT) instead of running into the relay's timeout.
    pub idle_close: Duration,
    pub retry: RetryPolicy,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            node_id: default_node_id(),
            batch_size: 256,
            lease: Duration::from_secs(15 * 60),
            record_margin: Duration::from_secs(60),
            min_attempt_time: Duration::from_secs(120),
            max_idle_sleep: Duration::from_secs(5),
            flush_batch: 256,
            flush_interval: Duration::from_millis(100),
            idle_close: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// `host/pid/random`: unique per process, and readable in `outbox.lease_owner`.
pub fn default_node_id() -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    let host = crate::host_name().unwrap_or_else(|| "localhost".to_string());
    format!("{host}/{}/{:06x}", std::process::id(), h.finish() & 0xff_ffff)
}

/// What a run or a drain did. Counts are of attempts (a message deferred and tried again in the
/// same run counts twice).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Messages leased (messages cancelled at hand-off for suppression or consent are not).
    pub claimed: u64,
    pub sent: u64,
    pub captured: u64,
    pub deferred: u64,
    pub failed: u64,
    pub bounced: u64,
    /// Given back untried (shutdown, or too little lease left).
    pub released: u64,
    /// Outcomes the store did not take because the lease had passed to someone else.
    pub lost_leases: u64,
}

impl DrainReport {
    /// Attempts that ended one way or another.
    pub fn attempted(&self) -> u64 {
        self.sent + self.captured + self.deferred + self.failed + self.bounced
    }

    fn count(&mut self, outcome: &DeliveryOutcome) {
        match outcome {
            DeliveryOutcome::Sent { .. } => self.sent += 1,
            DeliveryOutcome::Captured => self.captured += 1,
            DeliveryOutcome::Deferred { .. } => self.deferred += 1,
            DeliveryOutcome::Failed { .. } => self.failed += 1,
            DeliveryOutcome::Bounced { .. } => self.bounced += 1,
        }
    }
}

/// The delivery engine. Cheap to share; [`DeliveryEngine::run`] and [`DeliveryEngine::drain`] each
/// open their own connections and close them when they return.
#[derive(Clone, Debug)]
pub struct DeliveryEngine {
    store: Store,
    transport: Arc<Transport>,
    config: EngineConfig,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Until told to stop, sleeping while nothing is due.
    Run,
    /// Until nothing is due now.
    Drain,
}

struct Job {
    msg: ClaimedMessage,
    /// When the lease runs out (by our clock; claimed with `Utc::now()` just before).
    lease_end: Instant,
}

enum Done {
    Tried(ClaimedMessage, DeliveryOutcome),
    Untried(ClaimedMessage),
}

/// The dispatcher's books.
struct Books {
    in_flight: usize,
    outcomes: Vec<(ClaimedMessage, DeliveryOutcome)>,
    untried: Vec<ClaimedMessage>,
    flush_at: Option<Instant>,
    report: DrainReport,
}

impl DeliveryEngine {
    pub fn new(store: Store, transport: Transport, config: EngineConfig) -> Self {
        let mut config = config;
        config.batch_size = config.batch_size.max(1);
        config.flush_batch = config.flush_batch.max(1);
        let least = config.record_margin + config.min_attempt_time;
        if config.lease < least * 2 {
            tracing::warn!(lease = ?config.lease, "lease too short for the record margin and attempt time; using {:?}", least * 2);
            config.lease = least * 2;
        }
        Self { store, transport: Arc::new(transport), config }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Delivers until `shutdown` completes, then stops cleanly (see the module documentation).
    /// Store errors are logged and retried; only a failure to record the last outcomes is returned.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> anyhow::Result<DrainReport> {
        tracing::info!(node = %self.config.node_id, transport = %self.transport.describe(), "delivery engine started");
        let report = self.pump(Mode::Run, shutdown).await;
        tracing::info!(?report, "delivery engine stopped");
        report
    }

    /// Delivers until nothing is due now (deferred messages wait for their retry time), then returns.
    /// Any store error ends the drain after the attempts under way are recorded.
    pub async fn drain(&self) -> anyhow::Result<DrainReport> {
        self.pump(Mode::Drain, std::future::pending()).await
    }

    async fn pump(&self, mode: Mode, shutdown: impl Future<Output = ()>) -> anyhow::Result<DrainReport> {
        let cfg = &self.config;
        let batch = cfg.batch_size as usize;
        let stopping = Arc::new(AtomicBool::new(false));
        let (job_tx, job_rx) = mpsc::unbounded_channel::<Job>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
        let mut workers = JoinSet::new();
        for _ in 0..self.transport.connections() {
            let worker = Worker {
                session: self.transport.session(),
                jobs: job_rx.clone(),
                done: done_tx.clone(),
                stopping: stopping.clone(),
                config: cfg.clone(),
            };
            workers.spawn(worker.run());
        }
        drop(done_tx);

        let wakeup = self.store.outbox_wakeup();
        let mut books = Books {
            in_flight: 0,
            outcomes: Vec::new(),
            untried: Vec::new(),
            flush_at: None,
            report: DrainReport::default(),
        };
        // When to claim next; `None` (drain only): once nothing is in flight.
        let mut next_claim = Some(Instant::now());
        let mut stop = false;
        let mut error: Option<anyhow::Error> = None;
        let mut shutdown = std::pin::pin!(shutdown);

        loop {
            if next_claim.is_none() && books.in_flight == 0 {
                next_claim = Some(Instant::now());
            }
            if !stop && books.in_flight <= batch && next_claim.is_some_and(|t| t <= Instant::now()) {
                // Taken before the claim, so our idea of the lease's end is never later than the store's.
                let lease_end = Instant::now() + cfg.lease;
                match self.claim().await {
                    Ok(msgs) => {
                        let n = msgs.len();
                        books.report.claimed += n as u64;
                        books.in_flight += n;
                        for msg in msgs {
                            // Workers only go away after `job_tx` is dropped, so this cannot fail.
                            let _ = job_tx.send(Job { msg, lease_end });
                        }
                        next_claim = match (n, mode) {
                            _ if n == batch => Some(Instant::now()),
                            (0, Mode::Drain) if books.in_flight == 0 => break,
                            (_, Mode::Drain) => None,
                            (_, Mode::Run) => Some(Instant::now() + self.idle_sleep().await),
                        };
                    }
                    Err(e) if mode == Mode::Drain => {
                        error = Some(e.context("claiming messages"));
                        stop = true;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming messages failed; trying again shortly");
                        next_claim = Some(Instant::now() + cfg.max_idle_sleep);
                    }
                }
                continue;
            }
            if stop && books.in_flight == 0 {
                break;
            }
            let may_claim = !stop && books.in_flight <= batch;
            let claim_at = next_claim.filter(|_| may_claim);
            tokio::select! {
                biased;
                () = &mut shutdown, if !stop => {
                    tracing::info!(in_flight = books.in_flight, "delivery engine stopping");
                    stop = true;
                    stopping.store(true, Ordering::SeqCst);
                }
                done = done_rx.recv(), if books.in_flight > 0 => {
                    let Some(done) = done else {
                        error.get_or_insert_with(|| anyhow::anyhow!("all delivery workers ended unexpectedly"));
                        break;
                    };
                    books.take(done);
                    while let Ok(done) = done_rx.try_recv() {
                        books.take(done);
                    }
                    if books.outcomes.len() + books.untried.len() >= cfg.flush_batch || books.in_flight == 0 {
                        self.flush_or_log(&mut books, mode, &mut error).await;
                    } else if books.flush_at.is_none() {
                        books.flush_at = Some(Instant::now() + cfg.flush_interval);
                    }
                }
                () = sleep_until(books.flush_at.unwrap_or_else(far_future)), if books.flush_at.is_some() => {
                    self.flush_or_log(&mut books, mode, &mut error).await;
                }
                () = wakeup.notified(), if mode == Mode::Run && claim_at.is_some() => {
                    next_claim = Some(Instant::now());
                }
                () = sleep_until(claim_at.unwrap_or_else(far_future)), if claim_at.is_some() => {}
            }
        }

        stopping.store(true, Ordering::SeqCst);
        let flushed = self.flush_with_retries(&mut books).await;
        drop(job_tx);
        while let Some(joined) = workers.join_next().await {
            if let Err(e) = joined {
                tracing::error!(error = %e, "a delivery worker panicked");
            }
        }
        match (error, flushed) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(books.report),
        }
    }

    async fn claim(&self) -> anyhow::Result<Vec<ClaimedMessage>> {
        let cfg = &self.config;
        Ok(self.store.claim_batch(&cfg.node_id, Utc::now(), cfg.lease, cfg.batch_size).await?)
    }

    /// How long to sleep when nothing is due: until the next message is, within bounds.
    async fn idle_sleep(&self) -> Duration {
        const MIN: Duration = Duration::from_millis(20);
        let max = self.config.max_idle_sleep;
        match self.store.next_due().await {
            Ok(Some(t)) => (t - Utc::now()).to_std().unwrap_or(Duration::ZERO).clamp(MIN, max.max(MIN)),
            Ok(None) => max,
            Err(e) => {
                tracing::warn!(error = %e, "asking the store for the next due message failed");
                max
            }
        }
    }

    async fn flush_or_log(&self, books: &mut Books, mode: Mode, error: &mut Option<anyhow::Error>) {
        if let Err(e) = self.flush(books).await {
            if mode == Mode::Drain {
                error.get_or_insert(e);
            } else {
                tracing::warn!(error = %e, "recording outcomes failed; keeping them to try again");
                books.flush_at = Some(Instant::now() + self.config.max_idle_sleep);
            }
        }
    }

    /// The final flush: a few tries, since what is not recorded now is only retried after the lease.
    async fn flush_with_retries(&self, books: &mut Books) -> anyhow::Result<()> {
        let mut last = Ok(());
        for wait in [0, 100, 500, 2000] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            last = self.flush(books).await;
            if last.is_ok() {
                break;
            }
        }
        last.context("recording the last outcomes failed; their leases will expire and they will be tried again")
    }

    /// Records outcomes and releases untried messages; on error, keeps whatever was not stored.
    async fn flush(&self, books: &mut Books) -> anyhow::Result<()> {
        books.flush_at = None;
        if !books.outcomes.is_empty() {
            let results: Vec<(&ClaimedMessage, DeliveryOutcome)> =
                books.outcomes.iter().map(|(m, o)| (m, o.clone())).collect();
            let recorded = self.store.record_outcomes(&results, Utc::now()).await?;
            books.report.lost_leases += (results.len() - recorded.min(results.len())) as u64;
            if recorded < results.len() {
                tracing::warn!(lost = results.len() - recorded, "outcomes not recorded: their leases had passed on");
            }
            for (_, outcome) in &results {
                books.report.count(outcome);
            }
            drop(results);
            books.outcomes.clear();
        }
        if !books.untried.is_empty() {
            let msgs: Vec<&ClaimedMessage> = books.untried.iter().collect();
            self.store.release(&msgs, Utc::now()).await?;
            books.report.released += msgs.len() as u64;
            drop(msgs);
            books.untried.clear();
        }
        Ok(())
    }
}

impl Books {
    fn take(&mut self, done: Done) {
        self.in_flight -= 1;
        match done {
            Done::Tried(msg, outcome) => self.outcomes.push((msg, outcome)),
            Done::Untried(msg) => self.untried.push(msg),
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86400)
}

/// One connection of the pool: takes messages off the shared queue until it is closed.
struct Worker {
    session: Session,
    jobs: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>,
    done: mpsc::UnboundedSender<Done>,
    stopping: Arc<AtomicBool>,
    config: EngineConfig,
}

impl Worker {
    async fn run(mut self) {
        loop {
            let next = async { self.jobs.lock().await.recv().await };
            let job = if self.session.is_connected() {
                match timeout(self.config.idle_close, next).await {
                    Ok(job) => job,
                    Err(_) => {
                        self.session.close().await;
                        continue;
                    }
                }
            } else {
                next.await
            };
            let Some(job) = job else { break };
            let done = self.attempt(job).await;
            if self.done.send(done).is_err() {
                break;
            }
        }
        self.session.close().await;
    }

    async fn attempt(&mut self, job: Job) -> Done {
        let cfg = &self.config;
        let budget = job.lease_end.saturating_duration_since(Instant::now()).saturating_sub(cfg.record_margin);
        if self.stopping.load(Ordering::SeqCst) || budget < cfg.min_attempt_time {
            return Done::Untried(job.msg);
        }
        let outcome = match timeout(budget, self.session.deliver(&job.msg, &cfg.retry)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                let error = format!("attempt cut off after {}s to stay within its lease", budget.as_secs());
                defer_or_give_up(error, job.msg.attempts, &cfg.retry, Utc::now())
            }
        };
        tracing::debug!(key = %job.msg.key, attempt = job.msg.attempts, ?outcome, "delivery attempt");
        Done::Tried(job.msg, outcome)
    }
}
