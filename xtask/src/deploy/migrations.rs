//! `cargo xtask migrations check`: a migration must keep the schema usable by the version
//! still serving. During a gradual rollout the old version runs on the new schema, so a
//! migration may add but not take away: dropping or renaming a table or a column is refused
//! unless the migration declares itself a contract step (a `-- contract: <why>` line among
//! its leading comments), and a contract step may only remove names the code no longer
//! mentions (ship the code that stops using them first, in an earlier deploy).

use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::Path;

/// The crates whose code reads the database: a name they mention is still in use.
const CODE_CRATES: [&str; 7] = [
    "domain", "edge", "site", "api", "agent", "analyzer", "facebook",
];

/// What a migration takes away from the schema the serving version uses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Removal {
    DropTable(String),
    DropColumn { table: String, column: String },
    RenameTable { from: String, to: String },
    RenameColumn { table: String, from: String },
}

impl Removal {
    /// The name the serving code could still be using.
    fn removed_name(&self) -> &str {
        match self {
            Self::DropTable(table) | Self::RenameTable { from: table, .. } => table,
            Self::DropColumn { column, .. } | Self::RenameColumn { from: column, .. } => column,
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::DropTable(table) => format!("drops table {table}"),
            Self::DropColumn { table, column } => format!("drops column {table}.{column}"),
            Self::RenameTable { from, to } => format!("renames table {from} to {to}"),
            Self::RenameColumn { table, from } => format!("renames column {table}.{from}"),
        }
    }
}

/// Every migration in `dir` checked: one sentence per problem, empty when all are
/// backward-compatible. `code_words` are the identifiers the code mentions.
pub fn check_dir(dir: &Path, code_words: &BTreeSet<String>) -> Result<Vec<String>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "sql"));
    files.sort();
    let mut problems = Vec::new();
    for path in files {
        let sql = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        problems.extend(check(&name, &sql, code_words));
    }
    Ok(problems)
}

/// One migration checked (see the module's rules).
pub fn check(name: &str, sql: &str, code_words: &BTreeSet<String>) -> Vec<String> {
    let removals = removals(sql);
    match contract_reason(sql) {
        None => removals
            .iter()
            .map(|r| {
                format!(
                    "migrations/{name} {}: the version still serving during the rollout would break; add instead, \
                     or make it a later contract step (`-- contract: <why>` once no code uses it)",
                    r.describe()
                )
            })
            .collect(),
        Some("") => vec![format!(
            "migrations/{name}: `-- contract:` must say why the removal is safe"
        )],
        Some(_) => removals
            .iter()
            .filter(|r| code_words.contains(r.removed_name()))
            .map(|r| {
                format!(
                    "migrations/{name} is a contract step but {} while the code still mentions {}; \
                     deploy the code without it first",
                    r.describe(),
                    r.removed_name()
                )
            })
            .collect(),
    }
}

/// The reason of the `-- contract: <why>` line among the file's leading comments.
fn contract_reason(sql: &str) -> Option<&str> {
    sql.lines()
        .map(str::trim)
        .take_while(|line| line.is_empty() || line.starts_with("--"))
        .filter_map(|line| line.strip_prefix("--"))
        .find_map(|comment| comment.trim().strip_prefix("contract:"))
        .map(str::trim)
}

/// What the SQL drops or renames, found in its tokens (comments and strings skipped).
fn removals(sql: &str) -> Vec<Removal> {
    let tokens = tokens(sql);
    let upper: Vec<String> = tokens.iter().map(|t| t.to_ascii_uppercase()).collect();
    let is = |i: usize, word: &str| upper.get(i).is_some_and(|t| t == word);
    let name_at = |i: usize| -> Option<(String, usize)> {
        // `schema.name` names `name`.
        let mut end = i;
        while is(end + 1, ".") && tokens.get(end + 2).is_some() {
            end += 2;
        }
        tokens.get(end).map(|t| (t.clone(), end + 1))
    };
    let mut found = Vec::new();
    for i in 0..tokens.len() {
        if is(i, "DROP") && is(i + 1, "TABLE") {
            let at = if is(i + 2, "IF") && is(i + 3, "EXISTS") {
                i + 4
            } else {
                i + 2
            };
            found.extend(name_at(at).map(|(table, _)| Removal::DropTable(table)));
        }
        if !(is(i, "ALTER") && is(i + 1, "TABLE")) {
            continue;
        }
        let Some((table, next)) = name_at(i + 2) else {
            continue;
        };
        let after_column = |j: usize| if is(j, "COLUMN") { j + 1 } else { j };
        if is(next, "DROP") {
            if let Some((column, _)) = name_at(after_column(next + 1)) {
                found.push(Removal::DropColumn { table, column });
            }
        } else if is(next, "RENAME") && is(next + 1, "TO") {
            if let Some((to, _)) = name_at(next + 2) {
                found.push(Removal::RenameTable { from: table, to });
            }
        } else if is(next, "RENAME")
            && let Some((from, _)) = name_at(after_column(next + 1))
        {
            found.push(Removal::RenameColumn { table, from });
        }
    }
    found
}

/// SQL split into words, quoted identifiers (unquoted) and single punctuation; comments
/// and string literals are left out.
fn tokens(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let until = |from: usize, end: &str| -> usize {
        let end: Vec<char> = end.chars().collect();
        (from..chars.len())
            .find(|&j| chars[j..].starts_with(&end))
            .map_or(chars.len(), |j| j + end.len())
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            i = until(i, "\n");
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i = until(i + 2, "*/");
        } else if c == '\'' {
            i = until(i + 1, "'");
        } else if let Some(close) = match c {
            '"' => Some("\""),
            '`' => Some("`"),
            '[' => Some("]"),
            _ => None,
        } {
            let end = until(i + 1, close);
            let inner: String = chars[i + 1..end.saturating_sub(1).max(i + 1)]
                .iter()
                .collect();
            tokens.push(inner);
            i = end;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
            i += 1;
        }
    }
    tokens
}

/// Every identifier-like word in the code of the crates that read the database.
pub fn code_words(root: &Path) -> Result<BTreeSet<String>> {
    let mut words = BTreeSet::new();
    for krate in CODE_CRATES {
        for (_, text) in
            super::config::check::rust_sources(&root.join("crates").join(krate).join("src"))?
        {
            words.extend(
                text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(words: &[&str]) -> BTreeSet<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn the_repository_migrations_are_backward_compatible() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let words = code_words(&root).unwrap();

        let problems = check_dir(&root.join("migrations"), &words).unwrap();

        assert_eq!(problems, Vec::<String>::new());
        assert!(
            words.contains("businesses"),
            "the code scan reads the domain's SQL"
        );
    }

    #[test]
    fn adding_tables_columns_and_indexes_passes() {
        let sql = "CREATE TABLE notes (id INTEGER PRIMARY KEY) STRICT;\n\
                   ALTER TABLE businesses ADD COLUMN motto TEXT;\n\
                   CREATE INDEX idx_notes ON notes(id);\nDROP INDEX idx_old;";

        assert_eq!(check("0004_add.sql", sql, &code(&[])), Vec::<String>::new());
    }

    #[test]
    fn dropping_a_table_is_refused() {
        let problems = check("0004_x.sql", "DROP TABLE IF EXISTS main.leads;", &code(&[]));

        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("drops table leads"), "{problems:?}");
    }

    #[test]
    fn dropping_a_column_is_refused() {
        let problems = check(
            "0004_x.sql",
            "alter table \"businesses\" drop column phone;",
            &code(&[]),
        );

        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("drops column businesses.phone"));
    }

    #[test]
    fn renaming_a_table_or_a_column_is_refused() {
        let sql = "ALTER TABLE leads RENAME TO requests;\nALTER TABLE businesses RENAME COLUMN phone TO telephone;";

        let problems = check("0004_x.sql", sql, &code(&[]));

        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("renames table leads to requests"));
        assert!(problems[1].contains("renames column businesses.phone"));
    }

    #[test]
    fn removal_words_inside_comments_and_strings_are_not_removals() {
        let sql = "-- DROP TABLE leads\n/* ALTER TABLE x DROP y */\n\
                   INSERT INTO notes (text) VALUES ('DROP TABLE leads');";

        assert_eq!(check("0004_x.sql", sql, &code(&[])), Vec::<String>::new());
    }

    #[test]
    fn a_contract_step_may_remove_what_the_code_no_longer_mentions() {
        let sql = "-- Retire the fax column.\n-- contract: no code reads fax since 0.4\n\
                   ALTER TABLE businesses DROP COLUMN fax;";

        assert_eq!(
            check("0009_contract.sql", sql, &code(&["businesses", "phone"])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_contract_step_is_refused_while_the_code_still_mentions_the_name() {
        let sql = "-- contract: moving to telephone\nALTER TABLE businesses DROP COLUMN phone;";

        let problems = check("0009_contract.sql", sql, &code(&["businesses", "phone"]));

        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("still mentions phone"));
    }

    #[test]
    fn a_contract_line_must_give_a_reason_and_lead_the_file() {
        let empty = check("0009_x.sql", "-- contract:\nDROP TABLE old;", &code(&[]));
        let late = check(
            "0009_x.sql",
            "DROP TABLE old;\n-- contract: too late to count",
            &code(&[]),
        );

        assert!(empty[0].contains("must say why"), "{empty:?}");
        assert!(late[0].contains("drops table old"), "{late:?}");
    }
}
