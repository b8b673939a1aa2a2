//! Recording provisioned ids in the wrangler configs: a text edit in place, so the
//! files keep their comments and layout.

use anyhow::{Result, bail};

/// Sets `key = "value"` in the `[[env.ENV.ARRAY]]` entry whose `match_key` is
/// `match_value`, editing the text in place so comments and layout survive. Used by
/// provisioning to record ids where the configs read them.
pub fn set_in_entry(
    text: &str,
    header: &str,
    match_key: &str,
    match_value: &str,
    key: &str,
    value: &str,
) -> Result<String> {
    let lines: Vec<&str> = text.lines().collect();
    let wanted_header = format!("[[{header}]]");
    let mut start = 0;
    while start < lines.len() {
        if lines[start].trim() != wanted_header {
            start += 1;
            continue;
        }
        let end = (start + 1..lines.len())
            .find(|&i| lines[i].trim_start().starts_with('['))
            .unwrap_or(lines.len());
        let entry = &lines[start + 1..end];
        let assigned = |line: &str, k: &str| {
            line.trim_start()
                .strip_prefix(k)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        };
        let quoted = format!("\"{match_value}\"");
        if entry
            .iter()
            .any(|l| assigned(l, match_key) && l.contains(&quoted))
        {
            let new_line = format!("{key} = \"{value}\"");
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            match (start + 1..end).find(|&i| assigned(lines[i], key)) {
                Some(i) => out[i] = new_line,
                None => {
                    let after = (start + 1..end)
                        .rev()
                        .find(|&i| !lines[i].trim().is_empty())
                        .unwrap_or(start);
                    out.insert(after + 1, new_line);
                }
            }
            let mut joined = out.join("\n");
            if text.ends_with('\n') {
                joined.push('\n');
            }
            return Ok(joined);
        }
        start = end;
    }
    bail!("no [[{header}]] entry with {match_key} = \"{match_value}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Table;

    #[test]
    fn recording_an_id_edits_only_its_entry_and_twice_is_once() {
        let text = "# production\n\
            [[env.production.d1_databases]]\n\
            binding = \"DB\"\n\
            database_name = \"kbc-directory-production\"\n\
            \n\
            [[env.preview.d1_databases]]\n\
            binding = \"DB\"\n\
            database_name = \"kbc-directory-preview\"\n";
        let header = "env.production.d1_databases";
        let set = |t: &str| {
            set_in_entry(
                t,
                header,
                "database_name",
                "kbc-directory-production",
                "database_id",
                "uuid-1",
            )
            .unwrap()
        };

        let once = set(text);

        assert_eq!(set(&once), once);
        let table: Table = toml::from_str(&once).unwrap();
        let production = &table["env"]["production"]["d1_databases"][0];
        assert_eq!(production["database_id"].as_str(), Some("uuid-1"));
        assert!(
            table["env"]["preview"]["d1_databases"][0]
                .get("database_id")
                .is_none()
        );
        assert!(once.starts_with("# production\n"));
    }
}
