//! Charts drawn on the server as inline SVG: no script, no library, nothing fetched. Each point
//! carries its series, epoch and exact value as data attributes and a `<title>` (the numbers of
//! the JSON API, readable by a screen reader and by the browser tests); the two views are told
//! apart by line style and a legend in words, not by colour alone; the term's threshold is a
//! labelled line, and every point that breaks it is ringed.

use maud::{html, Markup};

use crate::data::data_unit::Chart;
use crate::words;

const W: f64 = 480.0;
const H: f64 = 170.0;
const LEFT: f64 = 8.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 22.0;

/// A value in the chart's unit, in words.
pub fn format(unit: &str, v: u64) -> String {
    match unit {
        "us" => words::latency(v),
        "bytes_per_s" => words::speed(v),
        "bps" => words::percent(v),
        _ => v.to_string(),
    }
}

fn breaks(bound: Option<&str>, threshold: Option<u64>, v: u64) -> bool {
    match (bound, threshold) {
        (Some("at_most"), Some(t)) => v > t,
        (Some("at_least"), Some(t)) => v < t,
        _ => false,
    }
}

/// The chart over epochs `first..=last` (the x axis), as an SVG figure with its caption.
pub fn render(chart: &Chart, first: u64, last: u64) -> Markup {
    let values: Vec<u64> = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(chart.threshold)
        .collect();
    let (mut lo, mut hi) = (
        values.iter().copied().min().unwrap_or(0) as f64,
        values.iter().copied().max().unwrap_or(1) as f64,
    );
    if hi - lo < 1.0 {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = ((lo - pad).max(0.0), hi + pad);
    let span = (last.saturating_sub(first)).max(1) as f64;
    let x = |e: u64| LEFT + (e.saturating_sub(first)) as f64 / span * (W - LEFT - RIGHT);
    let y = |v: u64| TOP + (hi - v as f64) / (hi - lo) * (H - TOP - BOTTOM);
    let empty = chart.series.iter().all(|s| s.points.is_empty());
    html! {
        figure.chart id={ "chart-" (chart.id) } data-chart=(chart.id) {
            figcaption { (chart.title) }
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(chart.title) {
                line.axis x1=(LEFT) y1=(H - BOTTOM) x2=(W - RIGHT) y2=(H - BOTTOM) {}
                text.tick x=(LEFT) y=(H - 6.0) { "epoch " (first) }
                text.tick x=(W - RIGHT) y=(H - 6.0) text-anchor="end" { "epoch " (last) }
                text.tick x=(LEFT) y="12" { "max " (format(chart.unit, hi as u64)) }
                @if let (Some(t), Some(b)) = (chart.threshold, chart.bound) {
                    line.threshold x1=(LEFT) x2=(W - RIGHT) y1=(y(t)) y2=(y(t))
                        data-threshold=(t) {}
                    text.threshold-label x=(W - RIGHT) y=(y(t) - 4.0) text-anchor="end" {
                        "limit " (if b == "at_most" { "≤ " } else { "≥ " }) (format(chart.unit, t))
                    }
                }
                @if empty {
                    text.empty x=(W / 2.0) y=(H / 2.0) text-anchor="middle" { "no samples in these epochs" }
                }
                @for s in &chart.series {
                    @if s.points.len() > 1 {
                        polyline class={ "series s-" (s.name) } points=(
                            s.points.iter().map(|(e, v)| format!("{:.1},{:.1}", x(*e), y(*v)))
                                .collect::<Vec<_>>().join(" ")
                        ) {}
                    }
                    @for (e, v) in &s.points {
                        @let bad = breaks(chart.bound, chart.threshold, *v);
                        circle class={ "pt s-" (s.name) @if bad { " breach" } }
                            cx=(format!("{:.1}", x(*e))) cy=(format!("{:.1}", y(*v)))
                            r=(if bad { "4" } else { "2.5" })
                            data-series=(s.name) data-epoch=(e) data-value=(v) {
                            title { (s.name) ", epoch " (e) ": " (format(chart.unit, *v))
                                @if bad { " (breaks the term)" } }
                        }
                    }
                }
            }
            p.legend {
                @for s in &chart.series {
                    span class={ "key s-" (s.name) } { (legend(s.name)) }
                }
                @if chart.threshold.is_some() { span.key.k-threshold { "dashed red: the term's limit" } }
            }
        }
    }
}

fn legend(series: &str) -> &'static str {
    match series {
        "consumer" => "– – consumer's view",
        "provider" => "—— provider's view",
        "window" => "—— over the window (judged)",
        "epoch" => "– – this epoch alone",
        "reputation" => "—— reputation after the epoch's results",
        _ => "——",
    }
}
