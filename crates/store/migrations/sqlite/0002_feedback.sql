-- Feedback: what comes back after sending (bounces, complaints, auto-replies, delivery notices),
-- the queue it arrives in, what was done about it, and the alerts it raised. Times are UTC ms.

-- The sending domain (the From address's domain) of each message, for rates per domain.
ALTER TABLE outbox ADD COLUMN from_domain TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_source_created ON outbox(source, created_at);
CREATE INDEX outbox_domain_created ON outbox(from_domain, created_at);
CREATE INDEX outbox_to_hash ON outbox(to_hash, created_at);

-- Everything received, kept as it arrived until the feedback worker has acted on it (lease-based
-- like the outbox). `format` says how to read `payload`: a mail message or a provider's JSON.
CREATE TABLE inbound (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    recipients TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT UNIQUE,
    payload BLOB NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    lease_owner TEXT,
    error TEXT,
    received_at INTEGER NOT NULL,
    processed_at INTEGER
);
CREATE INDEX inbound_due ON inbound(state, next_attempt_at);

-- One row per recipient a piece of feedback names, with the message it was attributed to and the
-- action taken. (inbound_id, seq) is unique, so processing an inbound item twice records it once.
CREATE TABLE feedback_events (
    id INTEGER PRIMARY KEY,
    inbound_id INTEGER REFERENCES inbound(id) ON DELETE SET NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT,
    reply_code INTEGER,
    diagnostic TEXT,
    remote_mta TEXT,
    feedback_type TEXT,
    address TEXT,
    address_hash TEXT,
    outbox_id INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    source TEXT,
    from_domain TEXT,
    attributed_by TEXT NOT NULL,
    action TEXT NOT NULL,
    UNIQUE (inbound_id, seq)
);
CREATE INDEX feedback_address ON feedback_events(address_hash, at);
CREATE INDEX feedback_at ON feedback_events(at);
CREATE INDEX feedback_outbox ON feedback_events(outbox_id);

-- Rate and reputation alerts. A rate alert is raised once per level: a new row only when the level
-- of its scope rises above the highest one still open.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    scope_key TEXT NOT NULL,
    level TEXT NOT NULL,
    count INTEGER NOT NULL,
    total INTEGER NOT NULL,
    detail TEXT,
    resolved_at INTEGER
);
CREATE INDEX alerts_scope ON alerts(kind, scope, scope_key, resolved_at);
CREATE INDEX alerts_at ON alerts(at, id);
