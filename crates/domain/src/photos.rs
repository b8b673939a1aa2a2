//! Listing photos: which R2 objects belong to a business, in what order, with what alt text,
//! and what its owner may do with them (upload, describe, reorder, choose the cover,
//! remove). Only raster image types are accepted, so no upload can be served as a page or a
//! script. Every owner operation is scoped by the business id and the photo id together, so
//! a neighbour's photo id matches nothing.

use crate::FieldError;
use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::images::Inspected;
use crate::ordering::{self, Direction};
use crate::values::{check_length, clean_line};
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

/// The most photos one listing holds.
pub const MAX_PER_BUSINESS: i64 = 30;

/// A photo as its owner manages it. The first in [`of_business`] order is the cover.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OwnedPhoto {
    pub id: i64,
    pub key: String,
    pub alt: String,
    pub position: i64,
    pub content_type: String,
    /// Pixel size; `None` for photos recorded before uploads were inspected.
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// A business's photos in the order its public page shows them (position, then id), the
/// cover first.
pub async fn of_business(db: &impl Database, business_id: i64) -> DbResult<Vec<OwnedPhoto>> {
    fetch_all(
        db,
        &Statement::new(format!(
            "{SELECT_OWNED} WHERE business_id = ?1 ORDER BY position, id"
        ))
        .bind(business_id),
    )
    .await
}

/// Photo `photo_id` of `business_id`; a photo of another business is `None`.
pub async fn find(
    db: &impl Database,
    business_id: i64,
    photo_id: i64,
) -> DbResult<Option<OwnedPhoto>> {
    fetch_optional(
        db,
        &Statement::new(format!("{SELECT_OWNED} WHERE business_id = ?1 AND id = ?2"))
            .bind(business_id)
            .bind(photo_id),
    )
    .await
}

/// The columns of an [`OwnedPhoto`]; the readers add which photos.
const SELECT_OWNED: &str =
    "SELECT id, object_key AS key, alt_text AS alt, position, content_type, width, height
       FROM business_photos";

/// A photo's alt text: what it shows, for people who cannot see it. One line, 1 to 200
/// characters.
pub fn parse_alt(raw: &str) -> Result<String, FieldError> {
    let alt = clean_line("alt", raw)?;
    check_length("alt", &alt, 1, 200)?;
    Ok(alt)
}

/// Records an inspected upload as the business's last photo, with its alt text (parsed
/// here) and pixel size, and returns its id.
///
/// Order of work: the caller first puts `inspected.bytes` into R2 under `key`
/// ([`crate::images::content_key`]), then calls this, so no public page ever links an
/// object that is not there yet. When this fails, the caller deletes the object again,
/// unless [`is_recorded`] says a row holds that key: the same image uploaded twice has the
/// same key, so the object of a refused duplicate is the recorded photo's.
pub async fn upload(
    db: &impl Database,
    business_id: i64,
    inspected: &Inspected,
    key: &str,
    alt: &str,
    now: i64,
) -> DomainResult<i64> {
    let alt = parse_alt(alt)?;
    if !is_key_for(business_id, inspected, key) {
        return Err(DomainError::invalid(
            "photo",
            "is not stored under this listing's key for it",
        ));
    }
    // Decided by the one statement: the listing exists and holds fewer than the most photos,
    // and no row has the key yet (racing uploads of the same image record one).
    let recorded = db
        .query(
            &Statement::new(
                "INSERT INTO business_photos
                        (business_id, object_key, content_type, alt_text, position, width, height, created_at)
                 SELECT ?1, ?2, ?3, ?4,
                        (SELECT coalesce(max(position) + 1, 0) FROM business_photos WHERE business_id = ?1),
                        ?5, ?6, ?7
                  WHERE EXISTS (SELECT 1 FROM businesses WHERE id = ?1)
                    AND (SELECT count(*) FROM business_photos WHERE business_id = ?1) < ?8
                 ON CONFLICT (object_key) DO NOTHING
                 RETURNING id",
            )
            .bind(business_id)
            .bind(key)
            .bind(inspected.kind.content_type())
            .bind(alt)
            .bind(inspected.width)
            .bind(inspected.height)
            .bind(now)
            .bind(MAX_PER_BUSINESS),
        )
        .await?;
    if let Some(id) = recorded
        .first()
        .and_then(|row| row.get("id"))
        .and_then(serde_json::Value::as_i64)
    {
        return Ok(id);
    }
    Err(why_not_recorded(db, business_id, key).await?)
}

/// Whether `key` has the form of [`crate::images::content_key`] for this business and image
/// type. The digest itself is not computed again: the caller has just hashed these bytes.
fn is_key_for(business_id: i64, inspected: &Inspected, key: &str) -> bool {
    key.strip_prefix(&format!("photos/{business_id}/"))
        .and_then(|file| file.strip_suffix(inspected.kind.extension()))
        .and_then(|stem| stem.strip_suffix('.'))
        .is_some_and(|digest| !digest.contains('/') && is_content_addressed(digest))
}

/// Why [`upload`]'s insert stored nothing.
async fn why_not_recorded(
    db: &impl Database,
    business_id: i64,
    key: &str,
) -> DbResult<DomainError> {
    #[derive(Deserialize)]
    struct Reasons {
        listed: i64,
        duplicate: i64,
        photos: i64,
    }
    let reasons: Option<Reasons> = fetch_optional(
        db,
        &Statement::new(
            "SELECT EXISTS (SELECT 1 FROM businesses WHERE id = ?1) AS listed,
                    EXISTS (SELECT 1 FROM business_photos WHERE object_key = ?2) AS duplicate,
                    (SELECT count(*) FROM business_photos WHERE business_id = ?1) AS photos",
        )
        .bind(business_id)
        .bind(key),
    )
    .await?;
    Ok(match reasons {
        Some(Reasons { listed: 0, .. }) => DomainError::NotFound("business".into()),
        Some(Reasons { duplicate: 1, .. }) => {
            DomainError::invalid("photo", "this photo is already on the listing")
        }
        Some(Reasons { photos, .. }) if photos >= MAX_PER_BUSINESS => DomainError::invalid(
            "photo",
            format!("a listing holds at most {MAX_PER_BUSINESS} photos"),
        ),
        // A photo removed between the two statements: nothing stands in the way any more.
        _ => DomainError::invalid("photo", "could not be added; please try again"),
    })
}

/// Whether any photo row holds `key`: an object that one does not is safe to delete.
pub async fn is_recorded(db: &impl Database, key: &str) -> DbResult<bool> {
    fetch_integer(
        db,
        &Statement::new("SELECT EXISTS (SELECT 1 FROM business_photos WHERE object_key = ?1)")
            .bind(key),
    )
    .await
    .map(|found| found == 1)
}

/// Replaces a photo's alt text (parsed here).
pub async fn set_alt(
    db: &impl Database,
    business_id: i64,
    photo_id: i64,
    alt: &str,
) -> DomainResult<()> {
    let alt = parse_alt(alt)?;
    let changed = db
        .query(
            &Statement::new(
                "UPDATE business_photos SET alt_text = ?3 WHERE id = ?1 AND business_id = ?2
                 RETURNING id",
            )
            .bind(photo_id)
            .bind(business_id)
            .bind(alt),
        )
        .await?;
    if changed.is_empty() {
        return Err(not_found());
    }
    Ok(())
}

/// Makes a photo the cover: first, the others keeping their order after it.
pub async fn make_cover(db: &impl Database, business_id: i64, photo_id: i64) -> DomainResult<()> {
    let ids = ordered_ids(db, business_id).await?;
    index_of(&ids, photo_id)?;
    let others = ids.into_iter().filter(|id| *id != photo_id);
    let ids: Vec<i64> = std::iter::once(photo_id).chain(others).collect();
    renumber(db, business_id, &ids).await
}

/// Swaps a photo with its neighbour in `direction`; the first moved earlier or the last
/// moved later stays where it is.
pub async fn nudge(
    db: &impl Database,
    business_id: i64,
    photo_id: i64,
    direction: Direction,
) -> DomainResult<()> {
    let mut ids = ordered_ids(db, business_id).await?;
    let index = index_of(&ids, photo_id)?;
    if !ordering::step(&mut ids, index, direction) {
        return Ok(());
    }
    renumber(db, business_id, &ids).await
}

/// Puts a business's photos in the order given, cover first. `ordered_ids` must be exactly
/// the business's photos, each once.
pub async fn reorder(
    db: &impl Database,
    business_id: i64,
    ordered_ids: &[i64],
) -> DomainResult<()> {
    let current = self::ordered_ids(db, business_id).await?;
    if !ordering::is_reordering(&current, ordered_ids) {
        return Err(DomainError::invalid(
            "order",
            "must list each of the listing's photos once",
        ));
    }
    renumber(db, business_id, ordered_ids).await
}

/// Removes a photo from its listing and returns its object key. The row goes first, so the
/// public page stops showing the photo at once; the caller then deletes the object from R2.
pub async fn remove(db: &impl Database, business_id: i64, photo_id: i64) -> DomainResult<String> {
    #[derive(Deserialize)]
    struct Removed {
        key: String,
    }
    let removed: Option<Removed> = fetch_optional(
        db,
        &Statement::new(
            "DELETE FROM business_photos WHERE id = ?1 AND business_id = ?2
             RETURNING object_key AS key",
        )
        .bind(photo_id)
        .bind(business_id),
    )
    .await?;
    removed.map(|removed| removed.key).ok_or_else(not_found)
}

fn not_found() -> DomainError {
    DomainError::NotFound("photo".into())
}

async fn ordered_ids(db: &impl Database, business_id: i64) -> DbResult<Vec<i64>> {
    Ok(of_business(db, business_id)
        .await?
        .into_iter()
        .map(|photo| photo.id)
        .collect())
}

fn index_of(ids: &[i64], photo_id: i64) -> DomainResult<usize> {
    ids.iter()
        .position(|id| *id == photo_id)
        .ok_or_else(not_found)
}

/// Writes positions 0, 1, 2… in the order of `ids`, in one batch.
async fn renumber(db: &impl Database, business_id: i64, ids: &[i64]) -> DomainResult<()> {
    let statements: Vec<Statement> = ids
        .iter()
        .zip(0_i64..)
        .map(|(id, position)| {
            Statement::new(
                "UPDATE business_photos SET position = ?3 WHERE id = ?1 AND business_id = ?2",
            )
            .bind(*id)
            .bind(business_id)
            .bind(position)
        })
        .collect();
    if !statements.is_empty() {
        db.batch(&statements).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::{self, tests::*};
    use crate::images::{ImageKind, Limits, content_key, inspect};
    use crate::values::Slug;
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

    const NOW: i64 = 1_767_225_600;

    /// A public listing: (id, slug).
    fn listing(db: &SqliteDatabase, name: &str) -> (i64, Slug) {
        let category = some_category(db, &Slug::from_text(name).unwrap().to_string());
        let created = insert(db, &business(name, category));
        (created.id, created.slug)
    }

    /// An inspected image; `n` tells its bytes, and so its key, apart.
    fn image(n: u8) -> Inspected {
        Inspected {
            kind: ImageKind::Webp,
            width: 640,
            height: 480,
            orientation: 1,
            bytes: vec![n; 16],
        }
    }

    fn try_upload(db: &SqliteDatabase, business_id: i64, n: u8, alt: &str) -> DomainResult<i64> {
        let image = image(n);
        let key = content_key(business_id, &image);
        block_on(upload(db, business_id, &image, &key, alt, NOW))
    }

    fn uploaded(db: &SqliteDatabase, business_id: i64, n: u8) -> i64 {
        try_upload(db, business_id, n, &format!("Photo {n}")).unwrap()
    }

    fn ids(db: &SqliteDatabase, business_id: i64) -> Vec<i64> {
        block_on(of_business(db, business_id))
            .unwrap()
            .iter()
            .map(|photo| photo.id)
            .collect()
    }

    /// The alt texts the public page shows, in its order.
    fn public(db: &SqliteDatabase, slug: &Slug) -> Vec<String> {
        block_on(directory::find_public(db, slug))
            .unwrap()
            .unwrap()
            .photos
            .into_iter()
            .map(|photo| photo.alt)
            .collect()
    }

    fn refusal<T: std::fmt::Debug>(result: DomainResult<T>) -> FieldError {
        match result {
            Err(DomainError::Invalid(mut errors)) if errors.len() == 1 => errors.remove(0),
            other => panic!("expected one field error, got {other:?}"),
        }
    }

    fn not_found<T: std::fmt::Debug>(result: DomainResult<T>) {
        assert!(
            matches!(result, Err(DomainError::NotFound(ref what)) if what == "photo"),
            "{result:?}"
        );
    }

    #[test]
    fn an_upload_is_added_last_with_its_type_size_and_alt_text() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Upload Cafe");
        let first = uploaded(&db, id, 1);
        let png = inspect(
            include_bytes!("../tests/fixtures/meta.png"),
            &Limits::UPLOAD,
        )
        .unwrap();
        let key = content_key(id, &png);
        let second = block_on(upload(&db, id, &png, &key, "  The   counter ", NOW)).unwrap();
        let photos = block_on(of_business(&db, id)).unwrap();
        assert_eq!(
            photos.iter().map(|p| p.id).collect::<Vec<_>>(),
            [first, second]
        );
        assert_eq!(
            photos[1],
            OwnedPhoto {
                id: second,
                key,
                alt: "The counter".into(),
                position: 1,
                content_type: "image/png".into(),
                width: Some(3),
                height: Some(2),
            }
        );
        assert_eq!(photos[0].position, 0);
        assert_eq!(photos[0].content_type, "image/webp");
    }

    #[test]
    fn the_first_photo_is_the_cover_on_the_public_page() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, slug) = listing(&db, "Cover Cafe");
        for n in 1..=3 {
            uploaded(&db, id, n);
        }
        assert_eq!(public(&db, &slug), ["Photo 1", "Photo 2", "Photo 3"]);
    }

    #[test]
    fn photos_recorded_before_uploads_were_inspected_have_no_size() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Old Cafe");
        block_on(add(&db, id, "old/1.png", "image/png", "Old", 0, NOW)).unwrap();
        let photos = block_on(of_business(&db, id)).unwrap();
        assert_eq!((photos[0].width, photos[0].height), (None, None));
    }

    #[test]
    fn alt_text_is_one_line_of_1_to_200_characters() {
        assert_eq!(parse_alt("  Front   door ").unwrap(), "Front door");
        assert_eq!(parse_alt(&"é".repeat(200)).unwrap().chars().count(), 200);
        for bad in ["", "   ", "two\nlines", &"a".repeat(201)] {
            assert_eq!(parse_alt(bad).unwrap_err().field, "alt", "{bad:?}");
        }
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Alt Cafe");
        assert_eq!(refusal(try_upload(&db, id, 1, " ")).field, "alt");
        assert!(ids(&db, id).is_empty());
    }

    #[test]
    fn a_listing_holds_at_most_30_photos() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Full Cafe");
        for n in 1..=30 {
            uploaded(&db, id, n);
        }
        assert_eq!(
            refusal(try_upload(&db, id, 31, "One more")),
            FieldError::new("photo", "a listing holds at most 30 photos")
        );
        assert_eq!(ids(&db, id).len(), 30);
    }

    #[test]
    fn the_same_image_twice_is_refused_as_a_duplicate_and_its_object_stays_recorded() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Twice Cafe");
        uploaded(&db, id, 1);
        assert_eq!(
            refusal(try_upload(&db, id, 1, "Again")),
            FieldError::new("photo", "this photo is already on the listing")
        );
        assert_eq!(ids(&db, id).len(), 1);
        let key = content_key(id, &image(1));
        assert!(
            block_on(is_recorded(&db, &key)).unwrap(),
            "the caller must keep the object"
        );
        assert!(!block_on(is_recorded(&db, &content_key(id, &image(2)))).unwrap());
    }

    #[test]
    fn an_upload_is_stored_only_under_its_own_listings_key() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Key Cafe");
        let (neighbour, _) = listing(&db, "Next Door");
        let image = image(1);
        let png_key = content_key(id, &image).replace(".webp", ".png");
        for key in [
            content_key(neighbour, &image),
            png_key,
            "photos/1/front.webp".into(),
        ] {
            let result = block_on(upload(&db, id, &image, &key, "Front", NOW));
            assert_eq!(refusal(result).field, "photo", "{key}");
        }
        assert!(ids(&db, id).is_empty());
    }

    #[test]
    fn uploading_to_a_missing_listing_is_not_found() {
        let db = SqliteDatabase::in_memory().unwrap();
        let result = try_upload(&db, 404, 1, "Front");
        assert!(matches!(result, Err(DomainError::NotFound(ref what)) if what == "business"));
    }

    #[test]
    fn set_alt_changes_the_named_photo_of_the_named_listing_only() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, slug) = listing(&db, "Alt Change Cafe");
        let (neighbour, neighbour_slug) = listing(&db, "Alt Next Door");
        let photo = uploaded(&db, id, 1);
        let theirs = uploaded(&db, neighbour, 2);
        block_on(set_alt(&db, id, photo, " Our   porch ")).unwrap();
        assert_eq!(public(&db, &slug), ["Our porch"]);
        not_found(block_on(set_alt(&db, id, theirs, "Mine now")));
        assert_eq!(public(&db, &neighbour_slug), ["Photo 2"]);
        assert_eq!(refusal(block_on(set_alt(&db, id, photo, ""))).field, "alt");
    }

    #[test]
    fn make_cover_puts_the_photo_first_and_keeps_the_others_in_order() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, slug) = listing(&db, "Cover Change Cafe");
        let [a, b, c] = [1, 2, 3].map(|n| uploaded(&db, id, n));
        block_on(make_cover(&db, id, c)).unwrap();
        assert_eq!(ids(&db, id), [c, a, b]);
        assert_eq!(public(&db, &slug), ["Photo 3", "Photo 1", "Photo 2"]);
        let positions: Vec<i64> = block_on(of_business(&db, id))
            .unwrap()
            .iter()
            .map(|p| p.position)
            .collect();
        assert_eq!(positions, [0, 1, 2]);
    }

    #[test]
    fn a_photo_is_found_only_through_its_own_business() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Find Own Cafe");
        let (neighbour, _) = listing(&db, "Find Next Door");
        let ours = uploaded(&db, id, 1);
        let found = block_on(find(&db, id, ours)).unwrap().unwrap();
        assert_eq!((found.id, found.alt.as_str()), (ours, "Photo 1"));
        assert_eq!(block_on(find(&db, neighbour, ours)).unwrap(), None);
    }

    #[test]
    fn a_neighbours_photo_cannot_be_made_the_cover() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Cover Own Cafe");
        let (neighbour, _) = listing(&db, "Cover Next Door");
        let ours = [1, 2].map(|n| uploaded(&db, id, n));
        let theirs = [3, 4].map(|n| uploaded(&db, neighbour, n));
        not_found(block_on(make_cover(&db, id, theirs[1])));
        assert_eq!(ids(&db, id), ours);
        assert_eq!(ids(&db, neighbour), theirs);
    }

    #[test]
    fn nudge_swaps_a_photo_with_its_neighbour_and_stops_at_the_ends() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, slug) = listing(&db, "Nudge Cafe");
        let [a, b, c] = [1, 2, 3].map(|n| uploaded(&db, id, n));
        block_on(nudge(&db, id, b, Direction::Earlier)).unwrap();
        assert_eq!(ids(&db, id), [b, a, c]);
        block_on(nudge(&db, id, b, Direction::Earlier)).unwrap();
        assert_eq!(ids(&db, id), [b, a, c], "the cover cannot move earlier");
        block_on(nudge(&db, id, a, Direction::Later)).unwrap();
        assert_eq!(ids(&db, id), [b, c, a]);
        block_on(nudge(&db, id, a, Direction::Later)).unwrap();
        assert_eq!(ids(&db, id), [b, c, a], "the last cannot move later");
        assert_eq!(public(&db, &slug), ["Photo 2", "Photo 3", "Photo 1"]);
    }

    #[test]
    fn a_neighbours_photo_cannot_be_nudged() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Nudge Own Cafe");
        let (neighbour, _) = listing(&db, "Nudge Next Door");
        let ours = [1, 2].map(|n| uploaded(&db, id, n));
        let theirs = [3, 4].map(|n| uploaded(&db, neighbour, n));
        not_found(block_on(nudge(&db, id, theirs[1], Direction::Earlier)));
        not_found(block_on(nudge(&db, neighbour, ours[0], Direction::Later)));
        assert_eq!(ids(&db, id), ours);
        assert_eq!(ids(&db, neighbour), theirs);
    }

    #[test]
    fn reorder_puts_the_photos_in_the_given_order() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, slug) = listing(&db, "Reorder Cafe");
        // Older rows may share a position; a reorder numbers them all afresh.
        block_on(add(&db, id, "old/1.png", "image/png", "Old 1", 0, NOW)).unwrap();
        block_on(add(&db, id, "old/2.png", "image/png", "Old 2", 0, NOW)).unwrap();
        let [a, b] = ids(&db, id)[..] else { panic!() };
        let c = uploaded(&db, id, 3);
        block_on(reorder(&db, id, &[c, b, a])).unwrap();
        assert_eq!(ids(&db, id), [c, b, a]);
        assert_eq!(public(&db, &slug), ["Photo 3", "Old 2", "Old 1"]);
        let positions: Vec<i64> = block_on(of_business(&db, id))
            .unwrap()
            .iter()
            .map(|p| p.position)
            .collect();
        assert_eq!(positions, [0, 1, 2]);
    }

    #[test]
    fn reorder_needs_exactly_the_listings_photos_each_once() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Reorder Own Cafe");
        let (neighbour, _) = listing(&db, "Reorder Next Door");
        let [a, b] = [1, 2].map(|n| uploaded(&db, id, n));
        let theirs = uploaded(&db, neighbour, 3);
        for wrong in [
            vec![b],
            vec![b, a, theirs],
            vec![b, theirs],
            vec![b, b, a],
            vec![],
        ] {
            let error = refusal(block_on(reorder(&db, id, &wrong)));
            assert_eq!(error.field, "order", "{wrong:?}");
        }
        assert_eq!(ids(&db, id), [a, b]);
        assert_eq!(ids(&db, neighbour), [theirs]);
        let empty = listing(&db, "Reorder Empty").0;
        block_on(reorder(&db, empty, &[])).unwrap();
    }

    #[test]
    fn remove_returns_the_key_and_the_public_page_stops_showing_the_photo() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, slug) = listing(&db, "Remove Cafe");
        let [a, _] = [1, 2].map(|n| uploaded(&db, id, n));
        let key = content_key(id, &image(1));
        assert_eq!(block_on(servable(&db, &key)).unwrap(), Some("image/webp"));
        assert_eq!(block_on(remove(&db, id, a)).unwrap(), key);
        assert_eq!(public(&db, &slug), ["Photo 2"]);
        assert_eq!(block_on(servable(&db, &key)).unwrap(), None);
        assert!(!block_on(is_recorded(&db, &key)).unwrap());
        not_found(block_on(remove(&db, id, a)));
    }

    #[test]
    fn a_neighbours_photo_cannot_be_removed() {
        let db = SqliteDatabase::in_memory().unwrap();
        let (id, _) = listing(&db, "Remove Own Cafe");
        let (neighbour, neighbour_slug) = listing(&db, "Remove Next Door");
        uploaded(&db, id, 1);
        let theirs = uploaded(&db, neighbour, 2);
        not_found(block_on(remove(&db, id, theirs)));
        assert_eq!(public(&db, &neighbour_slug), ["Photo 2"]);
    }
}
