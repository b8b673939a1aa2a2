-- The analyzer: how complete each listing is, when each was last read from its website, the
-- counts of every run, the analyses that kept failing (for admins to see and replay), and
-- suggestions over a wider closed set of fields (hours, map location, every social network).

-- Suggestions move to `field_suggestions`: SQLite cannot widen a CHECK in place, and a
-- rebuilt `listing_suggestions` would be a drop the serving version still reads during the
-- rollout. The old table stays, unused, until a later contract step removes it; its rows
-- are copied with their ids (a pending assistant card names a suggestion by id).
CREATE TABLE field_suggestions (
    id              INTEGER PRIMARY KEY,
    business_id     INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    field           TEXT NOT NULL CHECK (field IN ('description', 'phone', 'email', 'website', 'street',
                        'city', 'state', 'zip', 'location', 'hours', 'facebook', 'instagram', 'x',
                        'youtube', 'tiktok', 'linkedin', 'yelp', 'google')),
    current_value   TEXT NOT NULL DEFAULT '',
    suggested_value TEXT NOT NULL CHECK (length(suggested_value) BETWEEN 1 AND 5000),
    confidence      REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    source_url      TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '' CHECK (length(evidence) <= 1000),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    -- What was saved when it was accepted, when the reviewer edited it first.
    accepted_value  TEXT,
    -- 1 when the analyzer applied it itself (an empty field, high confidence, capped per day).
    auto_applied    INTEGER NOT NULL DEFAULT 0 CHECK (auto_applied IN (0, 1)),
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER
) STRICT;
INSERT INTO field_suggestions (id, business_id, field, current_value, suggested_value, confidence,
                               source_url, evidence, status, created_at, decided_at)
    SELECT id, business_id, field, current_value, suggested_value, confidence, source_url, evidence,
           status, created_at, decided_at
      FROM listing_suggestions;
CREATE INDEX idx_field_suggestions_business ON field_suggestions(business_id, status, id);
CREATE INDEX idx_field_suggestions_pending ON field_suggestions(status, id);
CREATE INDEX idx_field_suggestions_auto ON field_suggestions(business_id, decided_at) WHERE auto_applied = 1;

-- Completeness, 0–100, always current because it is computed from the listing itself. The
-- analyzer's selection orders by it and the dashboard shows what is missing.
CREATE VIEW listing_completeness AS
SELECT business_id, has_name, has_description, has_phone, has_email, has_website, has_address,
       has_city, has_state, has_zip, has_facebook, has_photo, has_hours,
       10 * has_name + 15 * has_description + 10 * has_phone + 10 * has_email + 10 * has_website
     + 10 * has_address + 5 * has_city + 5 * has_state + 5 * has_zip + 5 * has_facebook
     + 10 * has_photo + 5 * has_hours AS score
  FROM (SELECT b.id AS business_id,
               length(trim(b.name)) > 0 AS has_name,
               length(trim(b.description)) > 0 AS has_description,
               coalesce(b.phone, '') <> '' AS has_phone,
               coalesce(b.email, '') <> '' AS has_email,
               coalesce(b.website, '') <> '' AS has_website,
               length(trim(b.street)) > 0 AS has_address,
               length(trim(b.city)) > 0 AS has_city,
               length(trim(b.state)) > 0 AS has_state,
               length(trim(b.zip)) > 0 AS has_zip,
               EXISTS (SELECT 1 FROM business_social_links s
                        WHERE s.business_id = b.id AND s.network = 'facebook') AS has_facebook,
               EXISTS (SELECT 1 FROM business_photos p WHERE p.business_id = b.id) AS has_photo,
               EXISTS (SELECT 1 FROM business_hours h WHERE h.business_id = b.id) AS has_hours
          FROM businesses b);

-- One row per listing the analyzer has selected: when a run last queued it, when its last
-- analysis ended and how. Selection skips a listing still in flight (queued after its last
-- analysis, less than a day ago) and one analyzed within the last seven days.
CREATE TABLE listing_analyses (
    business_id  INTEGER PRIMARY KEY REFERENCES businesses(id) ON DELETE CASCADE,
    queued_at    INTEGER,
    queued_run   INTEGER,
    analyzed_at  INTEGER,
    outcome      TEXT CHECK (outcome IN ('read', 'nothing_to_read', 'failed')),
    -- For operators and owners: what was read or why nothing was (never a secret).
    detail       TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
    -- Why the current analysis's last attempt failed (for the dead-letter list), if it did.
    last_error   TEXT NOT NULL DEFAULT '' CHECK (length(last_error) <= 500),
    attempts     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX idx_listing_analyses_analyzed ON listing_analyses(analyzed_at);

-- The counts of one enrichment run (a `job_runs` row), kept as its queue's messages finish.
CREATE TABLE analysis_runs (
    run_id       INTEGER PRIMARY KEY REFERENCES job_runs(id) ON DELETE CASCADE,
    selected     INTEGER NOT NULL DEFAULT 0,
    analyzed     INTEGER NOT NULL DEFAULT 0,
    suggested    INTEGER NOT NULL DEFAULT 0,
    auto_applied INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    -- What the run did beside reading websites (the model's part, or why it was skipped).
    note         TEXT NOT NULL DEFAULT ''
) STRICT;

-- Analyses that kept failing after the queue's retries (its dead-letter queue), for admins
-- to see and replay. A replay is requested in the console and picked up by the analyzer.
CREATE TABLE analysis_dead_letters (
    id                  INTEGER PRIMARY KEY,
    -- The queue's id of the message: a redelivered dead letter is recorded once.
    message_id          TEXT NOT NULL UNIQUE,
    business_id         INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    run_id              INTEGER,
    reason              TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    attempts            INTEGER NOT NULL,
    failed_at           INTEGER NOT NULL,
    replay_requested_at INTEGER,
    replay_requested_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    replayed_at         INTEGER
) STRICT;
CREATE INDEX idx_analysis_dead_letters_recent ON analysis_dead_letters(failed_at DESC);
CREATE INDEX idx_analysis_dead_letters_replay ON analysis_dead_letters(replay_requested_at)
    WHERE replay_requested_at IS NOT NULL AND replayed_at IS NULL;
