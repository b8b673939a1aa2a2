-- The pixel size of each photo, read from the uploaded image itself (kbc_domain::images);
-- empty for photos recorded before uploads were inspected.

ALTER TABLE business_photos ADD COLUMN width INTEGER CHECK (width > 0);
ALTER TABLE business_photos ADD COLUMN height INTEGER CHECK (height > 0);
