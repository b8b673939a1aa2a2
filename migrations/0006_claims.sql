-- Owners and the claims that make them: a signed-in person asks to own a listing; the claim
-- is approved at once when their verified email is the listing's, or its domain is the
-- listing's website's, otherwise an admin decides. An approved claim makes them an owner
-- of exactly that business.

CREATE TABLE claims (
    id            INTEGER PRIMARY KEY,
    business_id   INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    note          TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    -- How an approval was decided: by a rule (`email`, `domain`) or by an admin (`admin`).
    decided_how   TEXT CHECK (decided_how IN ('email', 'domain', 'admin')),
    reason        TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER,
    decided_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    -- Unique to the request that decided: of two racing decisions only one is recorded.
    decision_token TEXT
) STRICT;
-- One open claim per person and listing, decided by the database.
CREATE UNIQUE INDEX ux_claims_open ON claims(business_id, user_id) WHERE status = 'pending';
CREATE INDEX idx_claims_status ON claims(status, created_at);
CREATE INDEX idx_claims_user ON claims(user_id, created_at);

CREATE TABLE business_owners (
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    claim_id    INTEGER REFERENCES claims(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX idx_business_owners_user ON business_owners(user_id);
