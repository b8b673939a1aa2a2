-- Photos of a listing, stored in R2 under keys our code chooses; only raster image types
-- are accepted so nothing uploaded can be served as a page or a script.

CREATE TABLE business_photos (
    id           INTEGER PRIMARY KEY,
    business_id  INTEGER NOT NULL REFERENCES businesses(id) ON DELETE CASCADE,
    object_key   TEXT NOT NULL UNIQUE CHECK (length(object_key) BETWEEN 1 AND 200),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif')),
    alt_text     TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX idx_business_photos_business ON business_photos(business_id, position);

CREATE TRIGGER business_photos_after_insert AFTER INSERT ON business_photos BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_photos_after_update AFTER UPDATE ON business_photos BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER business_photos_after_delete AFTER DELETE ON business_photos BEGIN
    UPDATE cache_generation SET generation = generation + 1 WHERE id = 1;
END;
