-- The directory model: categories, businesses and everything hanging off them,
-- moderation queues, content, background job bookkeeping and the search index.
-- Timestamps are integer unix seconds everywhere.

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES categories(id) ON DELETE RESTRICT,
    slug        TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 80),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    description TEXT NOT NULL DEFAULT '',
    icon        TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
) STRICT;
CREATE INDEX idx_categories_parent ON categories(parent_id, position, name);

CREATE TABLE businesses (
    id                INTEGER PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 120),
    name              TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    description       TEXT NOT NULL DEFAULT '',
    category_id       INTEGER NOT NULL REFERENCES categories(id) ON DELETE RESTRICT,
    phone             TEXT,
    email             TEXT,
    website           TEXT,
    street            TEXT NOT NULL DEFAULT '',
    city              TEXT NOT NULL CHECK (length(city) BETWEEN 1 AND 80),
    city_slug         TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('OK', 'TX', 'AR')),
    zip               TEXT NOT NULL DEFAULT '',
    latitude          REAL CHECK (latitude BETWEEN -90 AND 90),
    longitude         REAL CHECK (longitude BETWEEN -180 AND 180),
    service_radius_km INTEGER CHECK (service_radius_km BETWEEN 0 AND 500),
    rating_average    REAL CHECK (rating_average BETWEEN 0 AND 5),
    rating_count      INTEGER NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    status            TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'suspended')),
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_verified       INTEGER NOT NULL DEFAULT 0 CHECK (is_verified IN (0, 1)),
    is_featured       INTEGER NOT NULL DEFAULT 0 CHECK (is_featured IN (0, 1)),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    CHECK ((latitude IS NULL) = (longitude IS NULL))
) STRICT;
CREATE INDEX idx_businesses_category ON businesses(category_id);
-- Covers the per-category counts of public listings without touching table rows.
CREATE INDEX idx_businesses_public_category ON businesses(category_id)
    WHERE status = 'published' AND is_active = 1;
CREATE INDEX idx_businesses_city ON businesses(city_slug);
CREATE INDEX idx_businesses_geo ON businesses(latitude, longitude);
CREATE INDEX idx_businesses_browse ON businesses(is_featured DESC, name COLLATE NOCASE, id)
    WHERE status = 'published' AND is_active = 1;

-- Minutes after midnight, local time; closes_at may pass midnight (up to 48h) for late venues.
CREATE TABLE business_hours (
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    day_of_week INTEGER NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    opens_at    INTEGER NOT NULL CHECK (opens_at BETWEEN 0 AND 1439),
    closes_at   INTEGER NOT NULL CHECK (closes_at BETWEEN 1 AND 2880),
    CHECK (closes_at > opens_at),
    PRIMARY KEY (business_id, day_of_week, opens_at)
) STRICT, WITHOUT ROWID;

CREATE TABLE business_service_areas (
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    city        TEXT NOT NULL CHECK (length(city) BETWEEN 1 AND 80),
    PRIMARY KEY (business_id, city)
) STRICT, WITHOUT ROWID;

CREATE TABLE business_social_links (
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    network     TEXT NOT NULL CHECK (network IN ('facebook', 'instagram', 'x', 'youtube', 'tiktok', 'linkedin', 'yelp', 'google')),
    url         TEXT NOT NULL,
    PRIMARY KEY (business_id, network)
) STRICT, WITHOUT ROWID;

CREATE TABLE business_keywords (
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    keyword     TEXT NOT NULL CHECK (length(keyword) BETWEEN 1 AND 60),
    PRIMARY KEY (business_id, keyword)
) STRICT, WITHOUT ROWID;

-- Public "add my business" requests; nothing here is public until a moderator approves it.
-- business_id is UNIQUE so a second approval can never create a second business.
CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY,
    business_name TEXT NOT NULL,
    category_id   INTEGER NOT NULL REFERENCES categories(id) ON DELETE RESTRICT,
    description   TEXT NOT NULL DEFAULT '',
    phone         TEXT,
    email         TEXT NOT NULL,
    website       TEXT,
    street        TEXT NOT NULL DEFAULT '',
    city          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('OK', 'TX', 'AR')),
    zip           TEXT NOT NULL DEFAULT '',
    contact_name  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
    reviewer_note TEXT NOT NULL DEFAULT '',
    business_id   INTEGER UNIQUE REFERENCES businesses(id) ON DELETE SET NULL,
    client_hash   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    reviewed_at   INTEGER
) STRICT;
CREATE INDEX idx_submissions_status ON submissions(status, created_at);

CREATE TABLE leads (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    message     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'closed', 'spam')),
    client_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
) STRICT;
CREATE INDEX idx_leads_business ON leads(business_id, created_at);

CREATE TABLE blog_posts (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    author       TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    published_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK (status = 'draft' OR published_at IS NOT NULL)
) STRICT;
CREATE INDEX idx_blog_posts_published ON blog_posts(status, published_at DESC);

CREATE TABLE featured_slots (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL DEFAULT 0,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX idx_featured_slots_window ON featured_slots(starts_at, ends_at);

CREATE TABLE ad_placements (
    id              INTEGER PRIMARY KEY,
    placement       TEXT NOT NULL CHECK (placement IN ('home_banner', 'search_sidebar', 'category_top', 'business_detail')),
    business_id     INTEGER REFERENCES businesses(id) ON DELETE SET NULL,
    advertiser_name TEXT NOT NULL,
    headline        TEXT NOT NULL,
    image_key       TEXT,
    target_url      TEXT NOT NULL,
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    impressions     INTEGER NOT NULL DEFAULT 0,
    clicks          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX idx_ad_placements_window ON ad_placements(placement, starts_at, ends_at);

-- One row per background run. (worker, job, scheduled_at) is the idempotency key: a cron
-- delivered twice for the same scheduled time finds its row and does nothing.
CREATE TABLE job_runs (
    id           INTEGER PRIMARY KEY,
    worker       TEXT NOT NULL,
    job          TEXT NOT NULL,
    cron         TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    outcome      TEXT NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'success', 'failure', 'skipped')),
    detail       TEXT NOT NULL DEFAULT '',
    UNIQUE (worker, job, scheduled_at)
) STRICT;
CREATE INDEX idx_job_runs_recent ON job_runs(worker, started_at DESC);

-- Fixed-window request counters for abuse protection; client is a salted hash, never an IP.
CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    client_hash  TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, client_hash, window_start)
) STRICT, WITHOUT ROWID;

-- A single counter bumped by triggers whenever public data changes; caches key on it.
CREATE TABLE cache_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
) STRICT;
INSERT INTO cache_generation (id, generation) VALUES (1, 1);

-- Search index: one row per public business, rowid = businesses.id.
CREATE VIRTUAL TABLE business_search USING fts5(
    name, description, keywords, category, city,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER businesses_after_insert AFTER INSERT ON businesses BEGIN
    INSERT INTO business_search (rowid, name, description, keywords, category, city)
    SELECT NEW.id, NEW.name, NEW.description,
           coalesce((SELECT group_concat(keyword, ' ') FROM business_keywords WHERE business_id = NEW.id), ''),
           (SELECT name FROM categories WHERE id = NEW.category_id), NEW.city
    WHERE NEW.status = 'published' AND NEW.is_active = 1;
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER businesses_after_update AFTER UPDATE ON businesses BEGIN
    DELETE FROM business_search WHERE rowid = OLD.id;
    INSERT INTO business_search (rowid, name, description, keywords, category, city)
    SELECT NEW.id, NEW.name, NEW.description,
           coalesce((SELECT group_concat(keyword, ' ') FROM business_keywords WHERE business_id = NEW.id), ''),
           (SELECT name FROM categories WHERE id = NEW.category_id), NEW.city
    WHERE NEW.status = 'published' AND NEW.is_active = 1;
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER businesses_after_delete AFTER DELETE ON businesses BEGIN
    DELETE FROM business_search WHERE rowid = OLD.id;
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER business_keywords_after_insert AFTER INSERT ON business_keywords BEGIN
    UPDATE business_search
       SET keywords = (SELECT group_concat(keyword, ' ') FROM business_keywords WHERE business_id = NEW.business_id)
     WHERE rowid = NEW.business_id;
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER business_keywords_after_delete AFTER DELETE ON business_keywords BEGIN
    UPDATE business_search
       SET keywords = coalesce((SELECT group_concat(keyword, ' ') FROM business_keywords WHERE business_id = OLD.business_id), '')
     WHERE rowid = OLD.business_id;
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER categories_after_update AFTER UPDATE ON categories BEGIN
    UPDATE business_search SET category = NEW.name
     WHERE NEW.name <> OLD.name AND rowid IN (SELECT id FROM businesses WHERE category_id = NEW.id);
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER categories_after_insert AFTER INSERT ON categories BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER categories_after_delete AFTER DELETE ON categories BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;

-- Everything else a public page shows from these tables also moves the cache generation.
CREATE TRIGGER business_hours_after_insert AFTER INSERT ON business_hours BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_hours_after_delete AFTER DELETE ON business_hours BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_service_areas_after_insert AFTER INSERT ON business_service_areas BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_service_areas_after_delete AFTER DELETE ON business_service_areas BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_social_links_after_insert AFTER INSERT ON business_social_links BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_social_links_after_delete AFTER DELETE ON business_social_links BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_posts_after_insert AFTER INSERT ON blog_posts BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_posts_after_update AFTER UPDATE ON blog_posts BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER blog_posts_after_delete AFTER DELETE ON blog_posts BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
