//! Listing photos: which R2 objects belong to a business, in what order, with what alt text.
//! Only raster image types are accepted, so no upload can be served as a page or a script.

use crate::FieldError;
use crate::db::{Database, DbResult, Statement, fetch_integer, fetch_optional};
use serde::{Deserialize, Serialize};

/// The image types a photo may have.
pub const ALLOWED_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/avif",
];

/// A photo as shown on a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// The row id, which the page builder's gallery picks photos by; not part of the API.
    #[serde(skip_serializing)]
    pub id: i64,
    /// The R2 object key; served at `/images/{key}`.
    pub key: String,
    pub alt: String,
}

/// Checks a content type against [`ALLOWED_TYPES`].
pub fn parse_content_type(field: &str, raw: &str) -> Result<&'static str, FieldError> {
    let media_type = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ALLOWED_TYPES
        .iter()
        .find(|allowed| **allowed == media_type)
        .copied()
        .ok_or_else(|| FieldError::new(field, "must be a JPEG, PNG, WebP, GIF or AVIF image"))
}

/// Records a stored object as a business's photo.
pub async fn add(
    db: &impl Database,
    business_id: i64,
    key: &str,
    content_type: &'static str,
    alt: &str,
    position: i64,
    now: i64,
) -> DbResult<i64> {
    let statement = Statement::new(
        "INSERT INTO business_photos (business_id, object_key, content_type, alt_text, position, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
    )
    .bind(business_id)
    .bind(key)
    .bind(content_type)
    .bind(alt)
    .bind(position)
    .bind(now);
    fetch_integer(db, &statement).await
}

/// The content type of the photo at `key` if it belongs to a public listing; removed photos
/// and every photo of a hidden or unpublished listing are `None`, whatever R2 still holds.
pub async fn servable(db: &impl Database, key: &str) -> DbResult<Option<&'static str>> {
    #[derive(Deserialize)]
    struct Row {
        content_type: String,
    }
    let row: Option<Row> = fetch_optional(
        db,
        &Statement::new(concat!(
            "SELECT p.content_type FROM business_photos AS p
               JOIN businesses AS b ON b.id = p.business_id
              WHERE p.object_key = ?1 AND ",
            public_listing!("b")
        ))
        .bind(key),
    )
    .await?;
    Ok(row.and_then(|row| parse_content_type("content_type", &row.content_type).ok()))
}

/// Whether a key carries the SHA-256 of its bytes (`.../<64 hex digits>.<ext>`), the form
/// uploads are stored under: a changed photo then always gets a new key.
pub fn is_content_addressed(key: &str) -> bool {
    let file = key.rsplit('/').next().unwrap_or(key);
    let stem = file.split_once('.').map_or(file, |(stem, _)| stem);
    stem.len() == 64
        && stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::{self, tests::*};
    use pollster::block_on;

    #[test]
    fn only_raster_image_types_are_accepted() {
        assert_eq!(
            parse_content_type("type", "image/PNG").unwrap(),
            "image/png"
        );
        assert_eq!(
            parse_content_type("type", "image/jpeg; q=1").unwrap(),
            "image/jpeg"
        );
        for bad in ["image/svg+xml", "text/html", "application/octet-stream", ""] {
            assert!(parse_content_type("type", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn photos_appear_on_the_listing_in_position_order() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let created = insert(&db, &business("Photo Cafe", c));
        block_on(add(
            &db,
            created.id,
            "b/2.png",
            "image/png",
            "Counter",
            2,
            1,
        ))
        .unwrap();
        block_on(add(
            &db,
            created.id,
            "b/1.jpg",
            "image/jpeg",
            "Front door",
            1,
            1,
        ))
        .unwrap();
        let detail = block_on(directory::find_public(&db, &created.slug))
            .unwrap()
            .unwrap();
        let keys: Vec<&str> = detail.photos.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["b/1.jpg", "b/2.png"]);
        assert_eq!(detail.photos[0].alt, "Front door");
    }

    #[test]
    fn the_database_refuses_other_content_types() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let created = insert(&db, &business("Svg Cafe", c));
        let svg = Statement::new(
            "INSERT INTO business_photos (business_id, object_key, content_type, created_at) VALUES (?1,
                'x.svg', 'image/svg+xml', 1)",
        )
        .bind(created.id);
        assert!(block_on(db.execute(&svg)).is_err());
    }

    #[test]
    fn only_recorded_photos_of_public_listings_are_servable() {
        let db = SqliteDatabase::in_memory().unwrap();
        let c = some_category(&db, "food");
        let public = insert(&db, &business("Open Cafe", c));
        let mut draft = business("Draft Cafe", c);
        draft.published = false;
        let draft = insert(&db, &draft);
        block_on(add(&db, public.id, "p/1.png", "image/png", "", 1, 1)).unwrap();
        block_on(add(&db, draft.id, "d/1.png", "image/png", "", 1, 1)).unwrap();
        let shown = block_on(servable(&db, "p/1.png")).unwrap().unwrap();
        let content_addressed = is_content_addressed("p/1.png");
        assert_eq!(shown, "image/png");
        assert!(!content_addressed);
        assert_eq!(
            block_on(servable(&db, "d/1.png")).unwrap(),
            None,
            "draft listing"
        );
        assert_eq!(block_on(servable(&db, "never/recorded.png")).unwrap(), None);
        block_on(db.execute(&Statement::new(
            "DELETE FROM business_photos WHERE object_key = 'p/1.png'",
        )))
        .unwrap();
        assert_eq!(
            block_on(servable(&db, "p/1.png")).unwrap(),
            None,
            "removed photo"
        );
    }

    #[test]
    fn keys_named_by_their_sha256_are_content_addressed() {
        let hash = "a".repeat(64);
        assert!(is_content_addressed(&format!("photos/12/{hash}.webp")));
        assert!(is_content_addressed(&hash));
        assert!(!is_content_addressed("photos/12/front.jpg"));
        assert!(!is_content_addressed(&format!(
            "photos/{}.png",
            "A".repeat(64)
        )));
    }
}
