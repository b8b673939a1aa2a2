-- The business assistant: conversations per person and business, their messages, the
-- changes the assistant proposes (nothing changes before the owner approves one), each
-- person's daily model usage; and the two queues the assistant reads and acts on for the
-- analyzer and the Facebook worker: suggestions for a listing and scheduled social posts.

-- `business_id` NULL: an admin's conversation in the console (admin tools, no business).
CREATE TABLE assistant_conversations (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    business_id INTEGER REFERENCES businesses(id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 80),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_assistant_conversations_owner
    ON assistant_conversations(user_id, business_id, updated_at DESC);

-- The model's view of a conversation, in order: what the person said, what the assistant
-- answered or asked tools for (`tool_calls`, JSON), and each tool's result (`tool_call_id`).
CREATE TABLE assistant_messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES assistant_conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content         TEXT NOT NULL CHECK (length(content) <= 100000),
    tool_calls      TEXT CHECK (tool_calls IS NULL OR json_valid(tool_calls)),
    tool_call_id    TEXT,
    -- 'voice' when the person spoke it (the transcript is the content).
    via             TEXT NOT NULL DEFAULT 'text' CHECK (via IN ('text', 'voice')),
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_assistant_messages_conversation ON assistant_messages(conversation_id, id);

-- A change the assistant proposed: `proposal` is the typed change (JSON, tagged by tool),
-- `changes` what it does as people read it (before -> after), `basis` the state it was
-- proposed against (checked again on approval). Deciding sets `decided_at` once, guarded by
-- `status = 'pending'`, so a double click, a retry or a second tab decides it once.
CREATE TABLE assistant_actions (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES assistant_conversations(id) ON DELETE CASCADE,
    business_id     INTEGER REFERENCES businesses(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tool            TEXT NOT NULL CHECK (length(tool) BETWEEN 1 AND 64),
    summary         TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
    proposal        TEXT NOT NULL CHECK (json_valid(proposal)),
    changes         TEXT NOT NULL CHECK (json_valid(changes)),
    basis           TEXT NOT NULL DEFAULT '' CHECK (length(basis) <= 200000),
    status          TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'approving', 'approved', 'rejected', 'failed')),
    outcome         TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    decided_at      INTEGER,
    CHECK (expires_at > created_at)
) STRICT;
CREATE INDEX idx_assistant_actions_conversation ON assistant_actions(conversation_id, id);

-- Model tokens spent per person and Central-time day (the daily budget).
CREATE TABLE assistant_usage (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day     INTEGER NOT NULL,
    tokens  INTEGER NOT NULL CHECK (tokens >= 0),
    PRIMARY KEY (user_id, day)
) STRICT;

-- A suggested value for one field of a listing (from the analyzer's reading of its website,
-- or a person): the field is one of a closed set, the value already parsed by the domain.
CREATE TABLE listing_suggestions (
    id              INTEGER PRIMARY KEY,
    business_id     INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    field           TEXT NOT NULL CHECK (field IN ('description', 'phone', 'email', 'website', 'street',
                        'city', 'state', 'zip', 'facebook')),
    current_value   TEXT NOT NULL DEFAULT '',
    suggested_value TEXT NOT NULL CHECK (length(suggested_value) BETWEEN 1 AND 5000),
    confidence      REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    source_url      TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '' CHECK (length(evidence) <= 1000),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER
) STRICT;
CREATE INDEX idx_listing_suggestions_business ON listing_suggestions(business_id, status, id);

-- Posts to the business's Facebook Page, waiting for their time (the facebook worker
-- publishes them); cancelled ones are kept for the record.
CREATE TABLE social_posts (
    id           INTEGER PRIMARY KEY,
    business_id  INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    body         TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    scheduled_at INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'scheduled'
                     CHECK (status IN ('scheduled', 'cancelled', 'published', 'failed')),
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_social_posts_business ON social_posts(business_id, status, scheduled_at);
