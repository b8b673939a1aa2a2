//! Charts of a listing's analytics, drawn on the server as inline SVG: no script, no
//! library, nothing the CSP has to allow. [`Chart`] is the view model — every coordinate is
//! computed here, so the template (`chart.html`, macro `chart`) only writes numbers and
//! auto-escaped text — and every chart carries its numbers as a table for screen readers.
//!
//! One small bar chart per metric: on a phone they stack in one column, on a wide screen
//! they sit three abreast, and each keeps its own scale, so a few calls stay readable next
//! to hundreds of search appearances.

use kbc_domain::analytics::{DayCounts, Metric};
use kbc_domain::hours;

/// The drawing's size in SVG units; the stylesheet scales it to the column's width.
pub const WIDTH: u32 = 320;
pub const HEIGHT: u32 = 160;
/// Room for the value labels on the left and the dates below.
const PLOT_LEFT: f64 = 36.0;
const PLOT_RIGHT: f64 = WIDTH as f64 - 6.0;
const PLOT_TOP: f64 = 8.0;
const PLOT_BOTTOM: f64 = HEIGHT as f64 - 22.0;
/// The most value gridlines above the baseline.
const MAX_STEPS: i64 = 4;
/// How many dates are written under the bars.
const DATE_LABELS: usize = 4;
/// The share of a day's slot its bar fills.
const BAR_FILL: f64 = 0.7;

/// One day's bar; `label` is its date, written out.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub label: String,
    pub value: i64,
}

/// A horizontal line at a round value, labelled on the left.
#[derive(Debug, Clone, PartialEq)]
pub struct Gridline {
    pub y: f64,
    /// Where the label's baseline sits (centred on the line).
    pub label_y: f64,
    pub label: String,
}

/// A date under the bars.
#[derive(Debug, Clone, PartialEq)]
pub struct DateLabel {
    pub x: f64,
    /// `start`, `middle` or `end`, so the first and last stay inside the drawing.
    pub anchor: &'static str,
    pub text: String,
}

/// One metric of a series as a bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Unique on the page; the SVG's title and description ids derive from it.
    pub id: String,
    pub title: &'static str,
    /// What the chart shows in one sentence, for screen readers (the SVG's `<desc>`).
    pub description: String,
    pub total: i64,
    pub width: u32,
    pub height: u32,
    /// The value at the top of the plot (a round number at or above the largest day).
    pub y_max: i64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    /// Where the value labels end and where the dates' baseline sits.
    pub value_label_x: f64,
    pub date_label_y: f64,
    pub gridlines: Vec<Gridline>,
    pub bars: Vec<Bar>,
    pub dates: Vec<DateLabel>,
}

impl Chart {
    /// `metric` of each day of `days` (oldest first, as `analytics::series` returns them).
    pub fn new(days: &[DayCounts], metric: Metric) -> Self {
        let values: Vec<i64> = days
            .iter()
            .map(|day| day.counts.get(metric).max(0))
            .collect();
        let total = values.iter().fold(0_i64, |sum, v| sum.saturating_add(*v));
        let (y_max, step) = axis(values.iter().copied().max().unwrap_or(0));
        let plot_height = PLOT_BOTTOM - PLOT_TOP;
        let y_of = |value: i64| {
            if y_max == 0 {
                PLOT_BOTTOM
            } else {
                round(PLOT_BOTTOM - value as f64 / y_max as f64 * plot_height)
            }
        };
        let gridlines = (0..=y_max / step)
            .map(|k| {
                let value = k * step;
                Gridline {
                    y: y_of(value),
                    label_y: round(y_of(value) + 4.0),
                    label: compact(value),
                }
            })
            .collect();
        let slot = (PLOT_RIGHT - PLOT_LEFT) / days.len().max(1) as f64;
        let bars: Vec<Bar> = days
            .iter()
            .zip(&values)
            .enumerate()
            .map(|(index, (day, &value))| Bar {
                x: round(PLOT_LEFT + index as f64 * slot + slot * (1.0 - BAR_FILL) / 2.0),
                y: y_of(value),
                width: round(slot * BAR_FILL),
                height: round(PLOT_BOTTOM - y_of(value)),
                label: long_date(&day.day),
                value,
            })
            .collect();
        let dates = date_positions(days.len())
            .into_iter()
            .filter_map(|index| {
                let (day, bar) = days.get(index).zip(bars.get(index))?;
                let (x, anchor) = match index {
                    0 => (bar.x, "start"),
                    i if i + 1 == days.len() => (round(bar.x + bar.width), "end"),
                    _ => (round(bar.x + bar.width / 2.0), "middle"),
                };
                Some(DateLabel {
                    x,
                    anchor,
                    text: short_date(&day.day),
                })
            })
            .collect();
        Self {
            id: format!("chart-{}", metric.as_str()),
            title: metric.label(),
            description: describe(metric, &bars, total),
            total,
            width: WIDTH,
            height: HEIGHT,
            y_max,
            plot_left: PLOT_LEFT,
            plot_right: PLOT_RIGHT,
            plot_top: PLOT_TOP,
            plot_bottom: PLOT_BOTTOM,
            value_label_x: PLOT_LEFT - 5.0,
            date_label_y: f64::from(HEIGHT) - 6.0,
            gridlines,
            bars,
            dates,
        }
    }

    /// One chart per metric, in `Metric::ALL`'s order.
    pub fn all(days: &[DayCounts]) -> Vec<Self> {
        Metric::ALL
            .into_iter()
            .map(|metric| Self::new(days, metric))
            .collect()
    }
}

/// The top of the scale and the step between gridlines for a largest value: the smallest
/// multiple of 1, 2 or 5 × 10ⁿ that reaches it in at most [`MAX_STEPS`] steps. Nothing but
/// zeros gives a zero scale, drawn flat on the baseline.
fn axis(max: i64) -> (i64, i64) {
    if max <= 0 {
        return (0, 1);
    }
    let step = (0..=18_u32)
        .flat_map(|exponent| [1, 2, 5].map(|m| m * 10_i64.pow(exponent)))
        .find(|step| steps(max, *step) <= MAX_STEPS)
        .unwrap_or(max);
    (steps(max, step).saturating_mul(step), step)
}

/// How many `step`s it takes to reach `max` (rounded up).
fn steps(max: i64, step: i64) -> i64 {
    max / step + i64::from(max % step != 0)
}

/// Coordinates to a hundredth of a unit: short attributes, no float noise.
fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `950`, `2500`, `15k`, `2.5M`: value labels that fit left of the plot.
fn compact(value: i64) -> String {
    let scaled = |unit: i64, suffix: &str| {
        let (whole, tenths) = (value / unit, value % unit * 10 / unit);
        if tenths == 0 {
            format!("{whole}{suffix}")
        } else {
            format!("{whole}.{tenths}{suffix}")
        }
    };
    if value < 10_000 {
        value.to_string()
    } else if value < 1_000_000 {
        scaled(1_000, "k")
    } else {
        scaled(1_000_000, "M")
    }
}

/// Which days get a date under them: the first, the last and evenly between.
fn date_positions(days: usize) -> Vec<usize> {
    let last = days.saturating_sub(1);
    let mut positions: Vec<usize> = (0..DATE_LABELS)
        .map(|k| k * last / (DATE_LABELS - 1))
        .collect();
    positions.dedup();
    positions.retain(|index| *index < days);
    positions
}

/// (year, month, day) of a `2026-11-23` date.
fn date_parts(iso: &str) -> Option<(i64, u8, u8)> {
    let mut parts = iso.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some((year, month, day))
}

/// "November 23, 2026".
fn long_date(iso: &str) -> String {
    date_parts(iso).map_or_else(
        || iso.to_owned(),
        |(year, month, day)| format!("{} {day}, {year}", hours::month_name(month)),
    )
}

/// "Nov 23".
fn short_date(iso: &str) -> String {
    date_parts(iso).map_or_else(
        || iso.to_owned(),
        |(_, month, day)| {
            let name: String = hours::month_name(month).chars().take(3).collect();
            format!("{name} {day}")
        },
    )
}

fn describe(metric: Metric, bars: &[Bar], total: i64) -> String {
    let (Some(first), Some(last)) = (bars.first(), bars.last()) else {
        return format!("{}: no days to show.", metric.label());
    };
    let span = format!(
        "{} per day from {} to {}",
        metric.label(),
        first.label,
        last.label
    );
    // The first of the busiest days.
    let busiest = bars
        .iter()
        .rev()
        .max_by_key(|bar| bar.value)
        .filter(|bar| bar.value > 0);
    match busiest {
        Some(bar) => format!(
            "{span}: {total} in all, the most on {} with {}.",
            bar.label, bar.value
        ),
        None => format!("{span}: none."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::Template;
    use kbc_domain::analytics::Counts;

    const HOSTILE: &str = "<script>alert(1)</script> \"Quoted\" & 'Co'";

    #[derive(Template)]
    #[template(
        source = r#"{% import "chart.html" as charts %}{% call charts::chart(chart) %}{% endcall %}"#,
        ext = "html"
    )]
    struct One {
        chart: Chart,
    }

    #[derive(Template)]
    #[template(
        source = r#"{% import "chart.html" as charts %}{% call charts::charts(list) %}{% endcall %}"#,
        ext = "html"
    )]
    struct All {
        list: Vec<Chart>,
    }

    /// Days from 2026-11-01 on with these views.
    fn days(views: &[i64]) -> Vec<DayCounts> {
        views
            .iter()
            .enumerate()
            .map(|(i, &views)| DayCounts {
                day: format!("2026-11-{:02}", i + 1),
                counts: Counts {
                    views,
                    ..Counts::default()
                },
            })
            .collect()
    }

    fn views(values: &[i64]) -> Chart {
        Chart::new(&days(values), Metric::Views)
    }

    #[test]
    fn the_largest_day_reaches_the_top_when_it_is_a_round_number() {
        let chart = views(&[3, 20, 7]);
        assert_eq!(chart.y_max, 20);
        assert_eq!(chart.bars[1].y, PLOT_TOP);
        assert_eq!(chart.bars[1].height, PLOT_BOTTOM - PLOT_TOP);
        assert_eq!(
            chart.bars[0].height,
            round((PLOT_BOTTOM - PLOT_TOP) * 3.0 / 20.0)
        );
    }

    #[test]
    fn the_scale_ends_at_the_next_round_number_with_few_gridlines() {
        let chart = views(&[17, 2]);
        assert_eq!(chart.y_max, 20);
        let labels: Vec<&str> = chart.gridlines.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["0", "5", "10", "15", "20"]);
        assert_eq!(chart.gridlines[0].y, PLOT_BOTTOM);
        assert_eq!(chart.gridlines[4].y, PLOT_TOP);
        assert_eq!(axis(1), (1, 1));
        assert_eq!(axis(3), (3, 1));
        assert_eq!(axis(9), (10, 5));
        assert_eq!(axis(101), (150, 50));
        assert_eq!(axis(38_000), (40_000, 10_000));
        assert_eq!(
            axis(i64::MAX),
            (i64::MAX, 5_000_000_000_000_000_000),
            "saturates instead of overflowing"
        );
    }

    #[test]
    fn days_without_events_sit_on_the_baseline() {
        let chart = views(&[0, 4, 0]);
        for bar in [&chart.bars[0], &chart.bars[2]] {
            assert_eq!((bar.y, bar.height, bar.value), (PLOT_BOTTOM, 0.0, 0));
        }
    }

    #[test]
    fn no_events_at_all_draw_a_flat_chart_without_dividing_by_zero() {
        for chart in [views(&[0; 30]), views(&[])] {
            assert_eq!(chart.y_max, 0);
            assert_eq!(chart.gridlines.len(), 1, "the baseline alone");
            assert_eq!(chart.gridlines[0].y, PLOT_BOTTOM);
            assert!(
                chart
                    .bars
                    .iter()
                    .all(|b| b.height == 0.0 && b.y == PLOT_BOTTOM)
            );
            let svg = One { chart }.render().unwrap();
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
        assert_eq!(views(&[]).description, "Listing views: no days to show.");
    }

    #[test]
    fn ninety_bars_fit_inside_the_plot_in_order() {
        let chart = views(&(0..90).collect::<Vec<_>>());
        assert_eq!(chart.bars.len(), 90);
        assert!(chart.bars[0].x >= PLOT_LEFT);
        assert!(chart.bars[89].x + chart.bars[89].width <= PLOT_RIGHT);
        assert!(chart.bars.windows(2).all(|w| w[0].x + w[0].width < w[1].x));
    }

    #[test]
    fn dates_are_written_under_the_first_the_last_and_two_between() {
        let chart = views(&[1; 30]);
        let dates: Vec<(&str, &str)> = chart
            .dates
            .iter()
            .map(|d| (d.text.as_str(), d.anchor))
            .collect();
        assert_eq!(
            dates,
            [
                ("Nov 1", "start"),
                ("Nov 10", "middle"),
                ("Nov 20", "middle"),
                ("Nov 30", "end")
            ]
        );
        assert_eq!(views(&[1]).dates.len(), 1);
        assert_eq!(views(&[1, 1]).dates.len(), 2);
    }

    #[test]
    fn the_description_says_the_period_the_total_and_the_busiest_day() {
        let chart = views(&[2, 5, 5]);
        assert_eq!(
            chart.description,
            "Listing views per day from November 1, 2026 to November 3, 2026: 12 in all, \
             the most on November 2, 2026 with 5."
        );
        assert!(views(&[0, 0]).description.ends_with(": none."));
        assert_eq!(chart.total, 12);
    }

    #[test]
    fn large_values_get_short_labels() {
        assert_eq!(compact(950), "950");
        assert_eq!(compact(2_500), "2500");
        assert_eq!(compact(15_000), "15k");
        assert_eq!(compact(12_500), "12.5k");
        assert_eq!(compact(2_500_000), "2.5M");
    }

    #[test]
    fn every_metric_gets_its_own_chart_and_id() {
        let mut series = days(&[1, 2]);
        series[1].counts.leads = 3;
        let charts = Chart::all(&series);
        let ids: Vec<&str> = charts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "chart-views",
                "chart-search_appearances",
                "chart-call_clicks",
                "chart-website_clicks",
                "chart-directions_clicks",
                "chart-leads"
            ]
        );
        assert_eq!(charts[5].total, 3);
        assert_eq!(charts[5].y_max, 3);
    }

    #[test]
    fn the_svg_is_an_image_named_by_its_title_and_description_with_a_table_of_its_numbers() {
        let html = One {
            chart: views(&[2, 0, 5]),
        }
        .render()
        .unwrap();
        assert!(
            html.contains(r#"role="img" aria-labelledby="chart-views-title chart-views-desc""#)
        );
        assert!(html.contains(r#"<title id="chart-views-title">Listing views</title>"#));
        assert!(html.contains(r#"<desc id="chart-views-desc">Listing views per day"#));
        assert_eq!(html.matches("<rect ").count(), 3);
        assert!(html.contains("<title>November 3, 2026: 5</title>"));
        assert!(html.contains(r#"<table class="visually-hidden">"#));
        assert!(html.contains(r#"<th scope="row">November 2, 2026</th><td>0</td>"#));
        assert!(!html.contains("style="), "the CSP allows no inline style");
        assert!(!html.contains("<script"));
    }

    #[test]
    fn every_text_is_escaped() {
        let mut chart = views(&[1]);
        chart.description = HOSTILE.into();
        chart.bars[0].label = HOSTILE.into();
        chart.dates[0].text = HOSTILE.into();
        chart.gridlines[0].label = HOSTILE.into();
        let html = One { chart }.render().unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("\"Quoted\""), "{html}");
        assert!(
            html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn the_charts_sit_in_one_grid() {
        let html = All {
            list: Chart::all(&days(&[1, 2, 3])),
        }
        .render()
        .unwrap();
        assert!(
            html.trim_start().starts_with(r#"<div class="charts">"#),
            "{html}"
        );
        assert_eq!(html.matches("<svg ").count(), 6);
    }
}
