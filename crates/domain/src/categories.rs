//! Categories: a tree ordered by position, each node with the count of public businesses in
//! it and below it.

use crate::db::{Database, DbResult, Statement, fetch_all, fetch_integer, fetch_optional};
use crate::error::{DomainError, DomainResult};
use crate::values::Slug;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct CategoryRow {
    id: i64,
    parent_id: Option<i64>,
    slug: String,
    name: String,
    description: String,
    icon: String,
    direct_count: i64,
}

/// One node of the public category tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryNode {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub icon: String,
    /// Public businesses in this category and all below it.
    pub business_count: i64,
    pub children: Vec<CategoryNode>,
}

/// A category as referenced from a business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// What it takes to create a category.
#[derive(Debug, Clone)]
pub struct NewCategory<'a> {
    pub slug: &'a Slug,
    pub name: &'a str,
    pub description: &'a str,
    pub icon: &'a str,
    pub parent: Option<i64>,
    pub position: i64,
}

pub async fn create(db: &impl Database, category: &NewCategory<'_>, now: i64) -> DbResult<i64> {
    let statement = Statement::new(
        "INSERT INTO categories (parent_id, slug, name, description, icon, position, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
    )
    .bind(category.parent)
    .bind(category.slug.as_str())
    .bind(category.name)
    .bind(category.description)
    .bind(category.icon)
    .bind(category.position)
    .bind(now);
    fetch_integer(db, &statement).await
}

pub async fn find_by_slug(db: &impl Database, slug: &Slug) -> DbResult<Option<CategoryRef>> {
    fetch_optional(
        db,
        &Statement::new("SELECT id, slug, name FROM categories WHERE slug = ?1")
            .bind(slug.as_str()),
    )
    .await
}

/// The ids of a category and every category below it; `NotFound` names the slug.
pub async fn subtree_ids(db: &impl Database, slug: &Slug) -> DomainResult<Vec<i64>> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let ids: Vec<Id> = fetch_all(
        db,
        &Statement::new(
            "WITH RECURSIVE tree(id) AS (
                 SELECT id FROM categories WHERE slug = ?1
                 UNION ALL
                 SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
             )
             SELECT id FROM tree",
        )
        .bind(slug.as_str()),
    )
    .await?;
    if ids.is_empty() {
        return Err(DomainError::NotFound(format!("category '{slug}'")));
    }
    Ok(ids.into_iter().map(|row| row.id).collect())
}

/// The whole tree, roots first, siblings by position then name.
pub async fn tree(db: &impl Database) -> DbResult<Vec<CategoryNode>> {
    let rows: Vec<CategoryRow> = fetch_all(
        db,
        &Statement::new(concat!(
            "SELECT c.id, c.parent_id, c.slug, c.name, c.description, c.icon,
                    coalesce(n.direct_count, 0) AS direct_count
               FROM categories c
               LEFT JOIN (SELECT category_id, count(*) AS direct_count FROM businesses
                           WHERE ",
            public_listing!(),
            "
                           GROUP BY category_id) n ON n.category_id = c.id
              ORDER BY c.position, c.name, c.id",
        )),
    )
    .await?;
    Ok(build_level(&rows, None))
}

fn build_level(rows: &[CategoryRow], parent: Option<i64>) -> Vec<CategoryNode> {
    rows.iter()
        .filter(|row| row.parent_id == parent)
        .map(|row| {
            let children = build_level(rows, Some(row.id));
            let below: i64 = children.iter().map(|c| c.business_count).sum();
            CategoryNode {
                slug: row.slug.clone(),
                name: row.name.clone(),
                description: row.description.clone(),
                icon: row.icon.clone(),
                business_count: row.direct_count + below,
                children,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sqlite::SqliteDatabase;
    use crate::directory::tests::{business, insert};
    use pollster::block_on;

    fn category(db: &SqliteDatabase, slug: &str, parent: Option<i64>, position: i64) -> i64 {
        let slug = Slug::parse("slug", slug).unwrap();
        let new = NewCategory {
            slug: &slug,
            name: slug.as_str(),
            description: "",
            icon: "",
            parent,
            position,
        };
        block_on(create(db, &new, 1)).unwrap()
    }

    #[test]
    fn tree_nests_children_in_position_order_and_sums_public_counts() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = category(&db, "food", None, 2);
        let home = category(&db, "home", None, 1);
        let bakeries = category(&db, "bakeries", Some(food), 2);
        category(&db, "bbq", Some(food), 1);
        insert(&db, &business("Sweet Bakery", bakeries));
        insert(&db, &business("Diner", food));
        let mut hidden = business("Hidden Bakery", bakeries);
        hidden.published = false;
        insert(&db, &hidden);
        let _ = home;

        let tree = block_on(tree(&db)).unwrap();
        let names: Vec<&str> = tree.iter().map(|n| n.slug.as_str()).collect();
        assert_eq!(names, ["home", "food"]);
        let food = &tree[1];
        assert_eq!(
            food.business_count, 2,
            "own public business plus the public bakery"
        );
        let children: Vec<(&str, i64)> = food
            .children
            .iter()
            .map(|c| (c.slug.as_str(), c.business_count))
            .collect();
        assert_eq!(children, [("bbq", 0), ("bakeries", 1)]);
    }

    #[test]
    fn subtree_ids_include_every_descendant() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = category(&db, "food", None, 0);
        let bakeries = category(&db, "bakeries", Some(food), 0);
        let cakes = category(&db, "cakes", Some(bakeries), 0);
        category(&db, "home", None, 0);
        let mut ids = block_on(subtree_ids(&db, &Slug::parse("s", "food").unwrap())).unwrap();
        ids.sort();
        assert_eq!(ids, [food, bakeries, cakes]);
    }

    #[test]
    fn subtree_of_an_unknown_category_is_not_found_naming_it() {
        let db = SqliteDatabase::in_memory().unwrap();
        let err = block_on(subtree_ids(&db, &Slug::parse("s", "nope").unwrap())).unwrap_err();
        assert!(matches!(err, DomainError::NotFound(ref what) if what == "category 'nope'"));
    }

    #[test]
    fn find_by_slug_returns_the_reference_or_none() {
        let db = SqliteDatabase::in_memory().unwrap();
        let id = category(&db, "food", None, 0);
        let found = block_on(find_by_slug(&db, &Slug::parse("s", "food").unwrap()))
            .unwrap()
            .unwrap();
        assert_eq!(
            found,
            CategoryRef {
                id,
                slug: "food".into(),
                name: "food".into()
            }
        );
        assert!(
            block_on(find_by_slug(&db, &Slug::parse("s", "none").unwrap()))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_category_cannot_be_its_own_parent_or_reuse_a_slug() {
        let db = SqliteDatabase::in_memory().unwrap();
        let food = category(&db, "food", None, 0);
        let same = Statement::new("UPDATE categories SET parent_id = id WHERE id = ?1").bind(food);
        assert!(block_on(db.execute(&same)).is_err());
        let slug = Slug::parse("slug", "food").unwrap();
        let dup = NewCategory {
            slug: &slug,
            name: "Food",
            description: "",
            icon: "",
            parent: None,
            position: 0,
        };
        assert!(block_on(create(&db, &dup, 1)).is_err());
    }
}
