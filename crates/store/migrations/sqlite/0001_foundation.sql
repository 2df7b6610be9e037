-- Kurier foundation schema (SQLite). Times are UTC milliseconds since the Unix epoch.
-- Integers are INTEGER (64-bit); flags are 0/1 so both engines decode them alike.

CREATE TABLE lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    double_opt_in INTEGER NOT NULL,
    language TEXT NOT NULL,
    consent_text TEXT NOT NULL,
    form_version TEXT NOT NULL,
    welcome_enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    timezone TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    list_id INTEGER NOT NULL REFERENCES lists(id),
    status TEXT NOT NULL,
    basis TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (contact_id, list_id)
);
CREATE INDEX subscriptions_list ON subscriptions(list_id, status, contact_id);

-- Append-only: rows are inserted, never updated; erasure deletes a person's rows whole.
CREATE TABLE consent_events (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    list_id INTEGER NOT NULL REFERENCES lists(id),
    action TEXT NOT NULL,
    at INTEGER NOT NULL,
    ip TEXT,
    user_agent TEXT,
    consent_text TEXT,
    form_version TEXT,
    source TEXT NOT NULL,
    basis TEXT
);
CREATE INDEX consent_events_contact ON consent_events(contact_id, id);

CREATE TABLE suppressions (
    address_hash TEXT PRIMARY KEY,
    email TEXT,
    reason TEXT NOT NULL,
    detail TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    message_key TEXT NOT NULL UNIQUE,
    dedupe_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    list_id INTEGER,
    contact_id INTEGER,
    to_addr TEXT NOT NULL,
    to_hash TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    lease_owner TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_lease ON outbox(lease_owner);
CREATE INDEX outbox_contact ON outbox(contact_id);
CREATE INDEX outbox_created ON outbox(created_at, id);

-- The message bytes, apart from the row whose state changes at every step: updating the outbox row
-- then never rewrites (SQLite) or copies (PostgreSQL) the message itself.
CREATE TABLE outbox_raw (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,
    raw BLOB NOT NULL
);

CREATE TABLE outbox_events (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    state TEXT NOT NULL,
    cause TEXT
);
CREATE INDEX outbox_events_message ON outbox_events(outbox_id, id);
