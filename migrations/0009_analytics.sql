-- Listing analytics without personal data: how often each listing was viewed, shown in
-- search results and had its call, website and directions links used, per Central-time
-- day. The public worker sends events to a queue; the consumer folds each batch of queue
-- messages into these daily counters in one D1 batch (kbc_domain::analytics::record_batch).
-- Leads per day are read from `leads`, not counted here.

CREATE TABLE listing_daily_stats (
    business_id        INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    day                TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    views              INTEGER NOT NULL DEFAULT 0 CHECK (views >= 0),
    search_appearances INTEGER NOT NULL DEFAULT 0 CHECK (search_appearances >= 0),
    call_clicks        INTEGER NOT NULL DEFAULT 0 CHECK (call_clicks >= 0),
    website_clicks     INTEGER NOT NULL DEFAULT 0 CHECK (website_clicks >= 0),
    directions_clicks  INTEGER NOT NULL DEFAULT 0 CHECK (directions_clicks >= 0),
    PRIMARY KEY (business_id, day)
) STRICT, WITHOUT ROWID;

-- What made a queue message count exactly once: its (message, business, kind) rows are
-- inserted OR IGNORE, only rows not yet `counted` are added to listing_daily_stats, and
-- they are marked counted in the same batch, so a redelivered message adds nothing. Rows
-- are kept 8 days after they were received, longer than the queue keeps a message.
-- No foreign key: rows are only staged for businesses that exist (a join), are counted in
-- the transaction that stages them, and hold nothing about a person; a cascade would need
-- one more index on every insert.
CREATE TABLE analytics_staged (
    message_id  TEXT NOT NULL CHECK (length(message_id) BETWEEN 1 AND 128),
    business_id INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('view', 'search_appearance', 'call_click', 'website_click', 'directions_click')),
    day         TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    count       INTEGER NOT NULL CHECK (count > 0),
    counted     INTEGER NOT NULL DEFAULT 0 CHECK (counted IN (0, 1)),
    received_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, business_id, kind)
) STRICT, WITHOUT ROWID;
-- The rows of the batch being counted, without reading the 8 days kept.
CREATE INDEX idx_analytics_staged_uncounted ON analytics_staged(business_id, day) WHERE counted = 0;
CREATE INDEX idx_analytics_staged_received ON analytics_staged(received_at);
