-- The owner dashboard: every change to a listing's fields kept as an edit with its author
-- and the state before and after (one-click undo), dated exceptions to the weekly hours,
-- leads an owner works through (read, stage), and new listings that become the
-- submitter's when approved.

CREATE TABLE listing_edits (
    id           INTEGER PRIMARY KEY,
    business_id  INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    -- Who: an owner or an admin (a signed-in person), or one of our workers.
    author_kind  TEXT NOT NULL CHECK (author_kind IN ('owner', 'admin', 'worker')),
    author_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author_label TEXT NOT NULL CHECK (length(author_label) BETWEEN 1 AND 320),
    -- Through what: the dashboard, the console, the assistant or the analyzer.
    means        TEXT NOT NULL CHECK (means IN ('dashboard', 'console', 'assistant', 'analyzer')),
    before_json  TEXT NOT NULL CHECK (json_valid(before_json)),
    after_json   TEXT NOT NULL CHECK (json_valid(after_json)),
    -- The edit this one undid, if it is an undo.
    undoes       INTEGER REFERENCES listing_edits(id) ON DELETE SET NULL,
    undone_at    INTEGER,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_listing_edits_business ON listing_edits(business_id, id DESC);

-- A dated exception to the weekly hours (a holiday, "closed this Friday"): the spans that
-- day instead, as `[[opens, closes], ...]` in minutes after local midnight; `[]` is closed.
CREATE TABLE business_special_days (
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    day         TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    spans       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(spans) AND json_type(spans) = 'array'),
    note        TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 100),
    PRIMARY KEY (business_id, day)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER business_special_days_after_insert AFTER INSERT ON business_special_days BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_special_days_after_update AFTER UPDATE ON business_special_days BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_special_days_after_delete AFTER DELETE ON business_special_days BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

-- Where an owner is with a lead; `status` keeps telling spam apart.
ALTER TABLE leads ADD COLUMN stage TEXT NOT NULL DEFAULT 'new'
    CHECK (stage IN ('new', 'contacted', 'won', 'lost'));
ALTER TABLE leads ADD COLUMN read_at INTEGER;
CREATE INDEX idx_leads_unread ON leads(business_id) WHERE read_at IS NULL AND status <> 'spam';

-- A listing added from the dashboard is the submitter's once approved.
ALTER TABLE submissions ADD COLUMN submitted_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
