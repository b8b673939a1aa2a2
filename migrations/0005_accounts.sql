-- Who may sign in to app.kiamichibizconnect.com and what they may do there: people keyed by
-- their identity provider's subject (never by email alone), roles, sessions stored only as
-- hashes, single-use sign-in attempts, and an audit log of every admin action.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    issuer          TEXT NOT NULL,
    subject         TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    email           TEXT NOT NULL,
    email_verified  INTEGER NOT NULL CHECK (email_verified IN (0, 1)),
    name            TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_sign_in_at INTEGER NOT NULL,
    UNIQUE (issuer, subject)
) STRICT;
CREATE INDEX idx_users_email ON users(email);

CREATE TABLE user_roles (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'owner')),
    granted_at INTEGER NOT NULL,
    granted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, role)
) STRICT, WITHOUT ROWID;

-- A role granted to an email before anyone with it signed in (`cargo xtask admin grant`):
-- it becomes a role of the first user who signs in with that email verified.
CREATE TABLE role_invitations (
    email      TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'owner')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (email, role)
) STRICT, WITHOUT ROWID;

-- The cookie holds the session id; only its SHA-256 is stored. A session ends at whichever
-- comes first: idle_expires_at (slides with use) or expires_at (fixed at sign-in).
CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY CHECK (length(id_hash) = 64),
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_sessions_user ON sessions(user_id);
CREATE INDEX idx_sessions_expiry ON sessions(expires_at);

-- One started sign-in: what the callback needs to finish it, found by the hash of `state`
-- and deleted as it is used, so each works once.
CREATE TABLE sign_in_attempts (
    state_hash    TEXT PRIMARY KEY CHECK (length(state_hash) = 64),
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    next_path     TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_sign_in_attempts_expiry ON sign_in_attempts(expires_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    actor_email TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_audit_log_time ON audit_log(created_at DESC, id DESC);
CREATE INDEX idx_audit_log_actor ON audit_log(actor_id, created_at DESC);

-- A moderation decision carries a token unique to the request that made it: of two
-- concurrent approvals only the one whose token was stored creates the business.
ALTER TABLE submissions ADD COLUMN review_token TEXT;
ALTER TABLE submissions ADD COLUMN reviewed_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
