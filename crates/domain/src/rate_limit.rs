//! Fixed-window rate limits for public writes, counted in D1 so every isolate sees the same
//! count. Clients are identified by a salted hash, never by a stored address.

use crate::db::{Database, Statement, fetch_integer};
use crate::error::{DomainError, DomainResult};
use std::net::{IpAddr, Ipv6Addr};

/// How many writes a client may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub bucket: &'static str,
    pub max_hits: i64,
    pub window_seconds: i64,
}

/// Listings submitted by one client per hour.
pub const SUBMISSIONS: Limit = Limit {
    bucket: "submissions",
    max_hits: 5,
    window_seconds: 3600,
};
/// Requests to businesses sent by one client per hour.
pub const LEADS: Limit = Limit {
    bucket: "leads",
    max_hits: 20,
    window_seconds: 3600,
};

/// A stable, non-reversible identifier for a client address. An IPv6 client is its /64:
/// one subscriber gets a whole /64 and could otherwise pick a fresh address per request.
pub fn client_hash(address: &str, salt: &str) -> String {
    let client = client_network(address);
    crate::fingerprint::sha256_hex(format!("{salt}\u{0}{client}").as_bytes(), 16)
}

/// The address an IPv4 client uses, or the /64 network of an IPv6 one; text that is no
/// address at all stays as it is (it still counts, just on its own).
fn client_network(address: &str) -> String {
    match address.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
        Err(_) => address.to_owned(),
    }
}

/// Counts one hit; `RateLimited` (with seconds until the window ends) past the limit.
pub async fn hit(db: &impl Database, limit: Limit, client: &str, now: i64) -> DomainResult<()> {
    let window_start = now - now.rem_euclid(limit.window_seconds);
    let hits = fetch_integer(
        db,
        &Statement::new(
            "INSERT INTO rate_limits (bucket, client_hash, window_start, hits) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (bucket, client_hash, window_start) DO UPDATE SET hits = hits + 1
             RETURNING hits",
        )
        .bind(limit.bucket)
        .bind(client)
        .bind(window_start),
    )
    .await?;
    if hits == 1 {
        // First hit of a client in this window: drop every client's ended windows of this
        // bucket, so rows of clients who never come back do not pile up.
        db.execute(
            &Statement::new("DELETE FROM rate_limits WHERE bucket = ?1 AND window_start < ?2")
                .bind(limit.bucket)
                .bind(window_start),
        )
        .await?;
    }
    if hits > limit.max_hits {
        return Err(DomainError::RateLimited {
            retry_after: window_start + limit.window_seconds - now,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use pollster::block_on;

    const LIMIT: Limit = Limit {
        bucket: "leads",
        max_hits: 2,
        window_seconds: 60,
    };

    #[test]
    fn hits_past_the_limit_are_refused_until_the_window_ends() {
        let db = SqliteDatabase::in_memory().unwrap();
        assert!(block_on(hit(&db, LIMIT, "a", 120)).is_ok());
        assert!(block_on(hit(&db, LIMIT, "a", 130)).is_ok());
        let err = block_on(hit(&db, LIMIT, "a", 135)).unwrap_err();
        assert!(
            matches!(err, DomainError::RateLimited { retry_after: 45 }),
            "{err}"
        );
        assert!(block_on(hit(&db, LIMIT, "a", 180)).is_ok(), "new window");
    }

    #[test]
    fn clients_and_buckets_are_counted_separately() {
        let db = SqliteDatabase::in_memory().unwrap();
        for _ in 0..2 {
            block_on(hit(&db, LIMIT, "a", 120)).unwrap();
        }
        assert!(block_on(hit(&db, LIMIT, "b", 121)).is_ok());
        assert!(
            block_on(hit(
                &db,
                Limit {
                    bucket: "submissions",
                    ..LIMIT
                },
                "a",
                121
            ))
            .is_ok()
        );
    }

    #[test]
    fn old_windows_are_pruned() {
        let db = SqliteDatabase::in_memory().unwrap();
        block_on(hit(&db, LIMIT, "a", 0)).unwrap();
        block_on(hit(&db, LIMIT, "a", 600)).unwrap();
        let rows = block_on(fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM rate_limits"),
        ))
        .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn ended_windows_of_clients_who_never_return_are_pruned() {
        let db = SqliteDatabase::in_memory().unwrap();
        block_on(hit(&db, LIMIT, "gone", 0)).unwrap();
        block_on(hit(&db, LIMIT, "other", 600)).unwrap();
        let gone = block_on(fetch_integer(
            &db,
            &Statement::new("SELECT count(*) FROM rate_limits WHERE client_hash = 'gone'"),
        ))
        .unwrap();
        assert_eq!(gone, 0);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64() {
        let one = client_hash("2001:db8:1:2:aaaa::1", "salt");
        assert_eq!(one, client_hash("2001:db8:1:2:ffff:ffff:ffff:ffff", "salt"));
        assert_ne!(one, client_hash("2001:db8:1:3::1", "salt"));
        assert_eq!(
            client_hash("::ffff:203.0.113.9", "salt"),
            client_hash("203.0.113.9", "salt")
        );
    }

    #[test]
    fn client_hashes_are_stable_salted_and_hide_the_address() {
        let h = client_hash("203.0.113.9", "salt");
        assert_eq!(h, client_hash("203.0.113.9", "salt"));
        assert_ne!(h, client_hash("203.0.113.9", "pepper"));
        assert_ne!(h, client_hash("203.0.113.10", "salt"));
        assert!(!h.contains("203") && h.len() == 32);
    }
}
