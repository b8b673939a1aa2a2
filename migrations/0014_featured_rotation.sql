-- The featured rotation: listings have a plan (plus and premium are the paid tiers, which the
-- rotation serves first), and a slot is either the rotation's (seven days, started by the
-- 00:00 cron) or an admin's lock, which counts against the six places and which the
-- rotation never ends or moves. Both columns have constant defaults, so SQLite (and D1)
-- add them in place, checking the constraint.
ALTER TABLE businesses ADD COLUMN plan TEXT NOT NULL DEFAULT 'free'
    CHECK (plan IN ('free', 'plus', 'premium'));

ALTER TABLE featured_slots ADD COLUMN locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1));
-- Every slot so far was made by an admin ("feature for N days") or the seeder: locks.
UPDATE featured_slots SET locked = 1;

-- A listing's slots, newest end last: whether it is featured now or rested long enough, and
-- when it was featured last.
CREATE INDEX idx_featured_slots_business ON featured_slots(business_id, ends_at);
