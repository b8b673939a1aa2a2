-- The owner's page builder: a business's one-page site is a list of typed sections the
-- owner edits (private until published); publishing renders them into an HTML snapshot
-- stored in R2 under `pages/{business_id}/{number}.html`; one snapshot per business is
-- current and served at /business/{slug}/page while the listing is public.

-- `content` is the section as JSON, tagged with its kind (`{"kind":"hero",...}`); the kind
-- column repeats the tag so the database can check both agree.
CREATE TABLE page_sections (
    id          INTEGER PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('hero', 'services', 'gallery', 'testimonials', 'hours', 'contact',
                    'faq', 'about', 'call_to_action')),
    content     TEXT NOT NULL CHECK (length(content) <= 60000 AND json_valid(content)
                    AND json_extract(content, '$.kind') = kind),
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_page_sections_business ON page_sections(business_id, position);

-- Every publication, kept so any of them can be made current again. A number is taken
-- once per business: of two publishes racing for it the second insert fails.
CREATE TABLE page_snapshots (
    business_id  INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL CHECK (number >= 1),
    object_key   TEXT NOT NULL CHECK (length(object_key) BETWEEN 1 AND 200),
    published_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (business_id, number)
) STRICT;

-- Which snapshot is served; no row: the business has no page. The foreign key makes the
-- current snapshot one of this business's own.
CREATE TABLE published_pages (
    business_id  INTEGER PRIMARY KEY REFERENCES businesses(id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    FOREIGN KEY (business_id, number) REFERENCES page_snapshots(business_id, number) ON DELETE CASCADE
) STRICT;

-- The served page and the listing's link to it change with this table alone.
CREATE TRIGGER published_pages_after_insert AFTER INSERT ON published_pages BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER published_pages_after_update AFTER UPDATE ON published_pages BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER published_pages_after_delete AFTER DELETE ON published_pages BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
