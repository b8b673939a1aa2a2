-- Facebook: the Pages owners (and admins, for the directory's own Page) connect through
-- Facebook Login, their tokens sealed with AES-GCM (the key id kept for rotation); the
-- posting queue that publishes each post exactly once; comments from Meta's webhooks with
-- the replies owners approve; and the record of Meta's data-deletion requests.

-- One started Facebook Login: found by the hash of `state` and deleted as it is used, so a
-- callback works once. `business_id` NULL: an admin connecting the directory's own Page.
CREATE TABLE facebook_login_attempts (
    state_hash  TEXT PRIMARY KEY CHECK (length(state_hash) = 64),
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    business_id INTEGER REFERENCES businesses(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_facebook_login_attempts_expiry ON facebook_login_attempts(expires_at);

-- The Pages a person may pick from after signing in to Facebook, for a few minutes.
-- `target` is the business id, 0 for the directory's own Page. Tokens are sealed.
CREATE TABLE facebook_page_choices (
    user_id               INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    target                INTEGER NOT NULL CHECK (target >= 0),
    page_id               TEXT NOT NULL CHECK (length(page_id) BETWEEN 1 AND 64),
    page_name             TEXT NOT NULL CHECK (length(page_name) BETWEEN 1 AND 200),
    category              TEXT NOT NULL DEFAULT '',
    facebook_user_id      TEXT NOT NULL CHECK (length(facebook_user_id) BETWEEN 1 AND 64),
    key_id                TEXT NOT NULL,
    page_token            TEXT NOT NULL,
    user_token            TEXT NOT NULL,
    user_token_expires_at INTEGER NOT NULL DEFAULT 0,
    data_access_expires_at INTEGER NOT NULL DEFAULT 0,
    expires_at            INTEGER NOT NULL,
    PRIMARY KEY (user_id, target, page_id)
) STRICT, WITHOUT ROWID;

-- A connected Page. `business_id` NULL is the directory's own Page (at most one).
-- `page_token` and `user_token` are AES-GCM sealed under key `key_id`; `token_expires_at`
-- 0 means the Page token does not expire. `status`: active, expiring (renewal was not
-- possible: the owner must reconnect soon) or invalid (Meta refuses it: reconnect now).
CREATE TABLE facebook_connections (
    id                     INTEGER PRIMARY KEY,
    business_id            INTEGER UNIQUE REFERENCES businesses(id) ON DELETE CASCADE,
    connected_by           INTEGER REFERENCES users(id) ON DELETE SET NULL,
    facebook_user_id       TEXT NOT NULL CHECK (length(facebook_user_id) BETWEEN 1 AND 64),
    page_id                TEXT NOT NULL CHECK (length(page_id) BETWEEN 1 AND 64),
    page_name              TEXT NOT NULL CHECK (length(page_name) BETWEEN 1 AND 200),
    key_id                 TEXT NOT NULL,
    page_token             TEXT NOT NULL,
    user_token             TEXT NOT NULL,
    token_expires_at       INTEGER NOT NULL DEFAULT 0,
    user_token_expires_at  INTEGER NOT NULL DEFAULT 0,
    data_access_expires_at INTEGER NOT NULL DEFAULT 0,
    status                 TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'expiring', 'invalid')),
    status_detail          TEXT NOT NULL DEFAULT '' CHECK (length(status_detail) <= 500),
    review_first           INTEGER NOT NULL DEFAULT 0 CHECK (review_first IN (0, 1)),
    paused_until           INTEGER NOT NULL DEFAULT 0,
    pause_reason           TEXT NOT NULL DEFAULT '' CHECK (length(pause_reason) <= 500),
    checked_at             INTEGER,
    connected_at           INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX idx_facebook_connections_directory
    ON facebook_connections((business_id IS NULL)) WHERE business_id IS NULL;
CREATE INDEX idx_facebook_connections_person ON facebook_connections(facebook_user_id);

-- The posting queue: a Page's posts (0011's `social_posts`, widened). A new table, since
-- SQLite cannot widen a CHECK and the version still serving during a rollout reads
-- `social_posts`: its rows are copied here and it is left for a later contract step.
-- `business_id` NULL: a post for the directory's own Page. A generated post carries
-- `idempotency_key` (target Page, slot, scheduled time): filling the next day twice adds
-- nothing. Publishing leases the row (`lease_token`, `lease_until`) before the Graph call and
-- stores Meta's post id, so each goes out once.
CREATE TABLE facebook_posts (
    id               INTEGER PRIMARY KEY,
    business_id      INTEGER REFERENCES businesses(id) ON DELETE CASCADE,
    subject_id       INTEGER REFERENCES businesses(id) ON DELETE SET NULL,
    kind             TEXT NOT NULL DEFAULT 'custom' CHECK (kind IN ('custom', 'spotlight', 'blog_share',
                         'category_highlight', 'engagement', 'angle')),
    angle            TEXT CHECK (angle IS NULL OR angle IN ('services', 'testimonial', 'seasonal', 'promotion',
                         'new_product', 'behind_the_scenes', 'team', 'community')),
    topic            TEXT NOT NULL DEFAULT '' CHECK (length(topic) <= 200),
    body             TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    link             TEXT NOT NULL DEFAULT '' CHECK (length(link) <= 500),
    written_by       TEXT NOT NULL DEFAULT 'person' CHECK (written_by IN ('person', 'template', 'model')),
    scheduled_at     INTEGER NOT NULL,
    idempotency_key  TEXT UNIQUE CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
    status           TEXT NOT NULL DEFAULT 'scheduled'
                         CHECK (status IN ('draft', 'scheduled', 'publishing', 'published', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  INTEGER NOT NULL DEFAULT 0,
    lease_token      TEXT,
    lease_until      INTEGER,
    leased_at        INTEGER,
    page_id          TEXT,
    graph_post_id    TEXT,
    media            TEXT CHECK (media IS NULL OR media IN ('card', 'cover', 'text')),
    card_key         TEXT,
    last_error       TEXT NOT NULL DEFAULT '' CHECK (length(last_error) <= 500),
    published_at     INTEGER,
    reactions        INTEGER,
    comments         INTEGER,
    reach            INTEGER,
    stats_at         INTEGER,
    created_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((kind = 'angle') = (angle IS NOT NULL)),
    CHECK (status <> 'published' OR graph_post_id IS NOT NULL)
) STRICT;
-- Posts 0011's version scheduled; one it marked published never had a Page to go to.
INSERT INTO facebook_posts (id, business_id, body, scheduled_at, status, created_by, created_at, updated_at)
    SELECT id, business_id, body, scheduled_at,
           CASE WHEN status = 'published' THEN 'failed' ELSE status END, created_by, created_at, updated_at
      FROM social_posts;
CREATE INDEX idx_facebook_posts_business ON facebook_posts(business_id, status, scheduled_at);
CREATE INDEX idx_facebook_posts_due ON facebook_posts(status, scheduled_at) WHERE status IN ('scheduled', 'publishing');
CREATE INDEX idx_facebook_posts_subject ON facebook_posts(subject_id, kind, scheduled_at);
CREATE INDEX idx_facebook_posts_graph ON facebook_posts(graph_post_id) WHERE graph_post_id IS NOT NULL;

-- Comments on a connected Page's posts, as Meta's webhook delivered them, and the owner's
-- reply: drafted (by the model or a person), posted only when the owner approves it.
CREATE TABLE facebook_comments (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES facebook_connections(id) ON DELETE CASCADE,
    comment_id    TEXT NOT NULL UNIQUE CHECK (length(comment_id) BETWEEN 1 AND 128),
    post_id       TEXT NOT NULL CHECK (length(post_id) BETWEEN 1 AND 128),
    parent_id     TEXT,
    from_id       TEXT NOT NULL DEFAULT '',
    from_name     TEXT NOT NULL DEFAULT '' CHECK (length(from_name) <= 200),
    message       TEXT NOT NULL CHECK (length(message) <= 8000),
    created_time  INTEGER NOT NULL,
    reply_draft   TEXT NOT NULL DEFAULT '' CHECK (length(reply_draft) <= 2000),
    reply_status  TEXT NOT NULL DEFAULT 'none'
                      CHECK (reply_status IN ('none', 'drafted', 'posting', 'posted', 'failed')),
    reply_token   TEXT,
    reply_id      TEXT,
    reply_error   TEXT NOT NULL DEFAULT '' CHECK (length(reply_error) <= 500),
    replied_at    INTEGER,
    received_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_facebook_comments_connection ON facebook_comments(connection_id, created_time DESC);
CREATE INDEX idx_facebook_comments_person ON facebook_comments(from_id);

-- Meta's data-deletion requests: what was deleted, under the code Meta shows the person.
-- No Facebook id is kept.
CREATE TABLE facebook_deletions (
    confirmation_code   TEXT PRIMARY KEY CHECK (length(confirmation_code) BETWEEN 8 AND 64),
    connections_deleted INTEGER NOT NULL,
    choices_deleted     INTEGER NOT NULL,
    comments_deleted    INTEGER NOT NULL,
    requested_at        INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
