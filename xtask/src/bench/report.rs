//! What a benchmark run concludes: the results table, the verdicts on the search targets,
//! and the generated section of docs/BENCHMARKS.md (between fixed markers, leaving every
//! other line of the file as it was).

use super::load::Measured;
use anyhow::{Context, Result};
use std::path::Path;

const START: &str = "<!-- bench:start -->";
const END: &str = "<!-- bench:end -->";

/// Whether the api answered straight from D1 (`KV_CACHE=off`), or with its cache in front —
/// KV alone, or the Cache API in front of KV (`EDGE_CACHE=on`) — on a first visit to each
/// request (misses that fill it) or on the repeat (hits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Origin,
    FirstVisit,
    Cached,
    EdgeFirstVisit,
    EdgeCached,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Origin => "origin",
            Self::FirstVisit => "KV, first visit",
            Self::Cached => "KV, cached",
            Self::EdgeFirstVisit => "Cache API + KV, first visit",
            Self::EdgeCached => "Cache API + KV, cached",
        }
    }

    /// The pass of the same server process whose `robots` row is this row's ceiling.
    fn ceiling_pass(self) -> Self {
        match self {
            Self::FirstVisit => Self::Cached,
            Self::EdgeFirstVisit => Self::EdgeCached,
            other => other,
        }
    }

    fn is_cached(self) -> bool {
        matches!(self, Self::Cached | Self::EdgeCached)
    }
}

pub struct Row {
    pub businesses: u32,
    pub mode: Mode,
    pub scenario: &'static str,
    pub measured: Measured,
}

pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub pass: bool,
}

/// The project's targets: search on the origin runs (every request reaches D1), and the
/// cache on the cached runs (each beats its origin run, at half the ceiling or more).
pub fn verdicts(rows: &[Row], small: u32, large: u32, ceiling: &str) -> Result<Vec<Verdict>> {
    let find = |businesses: u32, scenario: &str| {
        rows.iter()
            .find(|r| {
                r.businesses == businesses && r.mode == Mode::Origin && r.scenario == scenario
            })
            .map(|r| &r.measured)
            .with_context(|| format!("no origin result for {scenario} at {businesses}"))
    };
    let search_large = find(large, "search-match")?;
    let categories_large = find(large, "categories")?;
    let search_small = find(small, "search-match")?;
    let cache_verdicts = cache_verdicts(rows, ceiling);

    let throughput_floor = 0.8 * categories_large.requests_per_second();
    let throughput = search_large.requests_per_second();
    let p99_ceiling = 1.5 * search_small.percentile_ms(0.99);
    let p99 = search_large.percentile_ms(0.99);
    let mut verdicts = vec![
        Verdict {
            target: format!(
                "search-match req/s at {} ≥ 80% of categories req/s at {}",
                thousands(large),
                thousands(large)
            ),
            measured: format!(
                "{throughput:.0} vs 0.8 × {:.0} = {throughput_floor:.0}",
                categories_large.requests_per_second()
            ),
            pass: throughput >= throughput_floor,
        },
        Verdict {
            target: format!(
                "search-match p99 at {} < 1.5 × its p99 at {}",
                thousands(large),
                thousands(small)
            ),
            measured: format!(
                "{p99:.1} ms vs 1.5 × {:.1} = {p99_ceiling:.1} ms",
                search_small.percentile_ms(0.99)
            ),
            pass: p99 < p99_ceiling,
        },
    ];
    verdicts.extend(cache_verdicts);
    Ok(verdicts)
}

/// The row of `scenario` in the same run (size and mode) as `row`.
fn sibling<'a>(rows: &'a [Row], row: &Row, mode: Mode, scenario: &str) -> Option<&'a Measured> {
    rows.iter()
        .find(|r| r.businesses == row.businesses && r.mode == mode && r.scenario == scenario)
        .map(|r| &r.measured)
}

/// For every cached scenario: it beats its origin run, and reaches half its run's ceiling.
fn cache_verdicts(rows: &[Row], ceiling: &str) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for row in rows
        .iter()
        .filter(|r| r.mode.is_cached() && r.scenario != ceiling)
    {
        let cached = row.measured.requests_per_second();
        let size = thousands(row.businesses);
        if let Some(origin) = sibling(rows, row, Mode::Origin, row.scenario) {
            let origin = origin.requests_per_second();
            verdicts.push(Verdict {
                target: format!(
                    "{} {} beats origin at {size}",
                    row.mode.name(),
                    row.scenario
                ),
                measured: format!("{cached:.0} vs {origin:.0} req/s"),
                pass: cached > origin,
            });
        }
        if let Some(top) = sibling(rows, row, row.mode, ceiling) {
            let top = top.requests_per_second();
            verdicts.push(Verdict {
                target: format!(
                    "{} {} ≥ 50% of the ceiling at {size}",
                    row.mode.name(),
                    row.scenario
                ),
                measured: format!("{cached:.0} vs 0.5 × {top:.0} = {:.0} req/s", top / 2.0),
                pass: cached >= top / 2.0,
            });
        }
    }
    verdicts
}

/// The results as a markdown table, each scenario also as a share of its run's ceiling.
pub fn results_table(rows: &[Row], ceiling: &str) -> String {
    let mut table = String::from(
        "| businesses | mode | scenario | req/s | of ceiling | p50 ms | p99 ms | errors |\n\
         |---:|---|---|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        let m = &row.measured;
        // A first visit shares its process with the repeat, whose ceiling is measured.
        let share = sibling(rows, row, row.mode.ceiling_pass(), ceiling)
            .map(|top| m.requests_per_second() / top.requests_per_second())
            .map_or("–".to_owned(), |share| format!("{:.0}%", share * 100.0));
        table.push_str(&format!(
            "| {} | {} | {} | {:.0} | {share} | {:.1} | {:.1} | {} |\n",
            thousands(row.businesses),
            row.mode.name(),
            row.scenario,
            m.requests_per_second(),
            m.percentile_ms(0.5),
            m.percentile_ms(0.99),
            m.errors
        ));
    }
    table
}

pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let mut table = String::from("| target | measured | verdict |\n|---|---|---|\n");
    for v in verdicts {
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            v.target,
            v.measured,
            if v.pass { "PASS" } else { "FAIL" }
        ));
    }
    table
}

/// Replaces the generated section of `path` with `section`, creating the file (with a short
/// preamble) or appending the markers when they are missing.
pub fn write_section(path: &Path, section: &str) -> Result<()> {
    let generated = format!("{START}\n{section}{END}\n");
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::from(
            "# Benchmarks\n\n\
             How fast the public API and the site's pages answer from local D1 in \
             workerd, measured by \
             `cargo xtask bench` (see `xtask/src/bench/`). Everything between the markers \
             below is regenerated by each run.\n\n",
        ),
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    let updated = splice(&text, &generated);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}

fn splice(text: &str, generated: &str) -> String {
    match (text.find(START), text.find(END)) {
        (Some(start), Some(end)) if start < end => {
            let after = &text[end + END.len()..];
            let after = after.strip_prefix('\n').unwrap_or(after);
            format!("{}{generated}{after}", &text[..start])
        }
        _ => {
            let separator = if text.is_empty() || text.ends_with("\n\n") {
                ""
            } else if text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{text}{separator}{generated}")
        }
    }
}

/// `20,000`.
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mode: Mode, scenario: &'static str, requests_per_second: usize) -> Row {
        Row {
            businesses: 1_000,
            mode,
            scenario,
            measured: Measured::fixed(requests_per_second, std::time::Duration::from_secs(1)),
        }
    }

    #[test]
    fn a_cached_scenario_must_beat_its_origin_and_reach_half_the_ceiling() {
        let rows = [
            row(Mode::Origin, "detail", 300),
            row(Mode::Cached, "robots", 1_000),
            row(Mode::Cached, "detail", 450),
        ];
        let verdicts = cache_verdicts(&rows, "robots");
        assert_eq!(verdicts.len(), 2);
        assert!(verdicts[0].pass, "450 beats 300");
        assert!(!verdicts[1].pass, "450 is under half of 1,000");
    }

    #[test]
    fn each_result_is_shown_as_a_share_of_its_runs_ceiling() {
        let rows = [
            row(Mode::Cached, "robots", 1_000),
            row(Mode::FirstVisit, "detail", 250),
            row(Mode::Cached, "detail", 600),
        ];
        let table = results_table(&rows, "robots");
        assert!(
            table.contains("| KV, first visit | detail | 250 | 25% |"),
            "{table}"
        );
        assert!(
            table.contains("| KV, cached | detail | 600 | 60% |"),
            "{table}"
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_generated_section_is_replaced_and_the_rest_kept() {
        let text = format!("# B\n\nintro\n\n{START}\nold\n{END}\n\nnotes\n");
        let out = splice(&text, &format!("{START}\nnew\n{END}\n"));
        assert_eq!(
            out,
            format!("# B\n\nintro\n\n{START}\nnew\n{END}\n\nnotes\n")
        );
    }

    #[test]
    fn markers_are_appended_when_missing() {
        let out = splice("# B\nintro\n", &format!("{START}\nnew\n{END}\n"));
        assert_eq!(out, format!("# B\nintro\n\n{START}\nnew\n{END}\n"));
    }
}
