//! `results/chart.svg`: throughput and p99 latency of the steady workloads, every
//! contestant, on log scales (the contestants differ by orders of magnitude).

use std::fmt::Write;

use super::Results;
use super::tables::label;
use crate::contestants::Who;

const BAR: f64 = 14.0;
const GAP: f64 = 18.0;
const LEFT: f64 = 290.0;
const PANEL: f64 = 330.0;
const TOP: f64 = 56.0;

fn colour(who: Who) -> &'static str {
    match who {
        Who::Spate => "#1f77b4",
        Who::SpateSqlite => "#17becf",
        Who::Rmcp => "#ff7f0e",
        Who::Ts => "#2ca02c",
        Who::Python => "#d62728",
        Who::Ceiling => "#7f7f7f",
    }
}

/// Median throughput and p99 of each contestant in each steady variant.
type Rows = Vec<(String, Vec<(Who, f64, f64)>)>;

fn rows(r: &Results) -> Rows {
    r.variants()
        .into_iter()
        .filter(|(w, _)| matches!(*w, "W1" | "W2" | "W3"))
        .map(|(w, v)| {
            let bars = r
                .groups(w, v)
                .iter()
                .filter(|g| g.errors() == 0)
                .filter_map(|g| {
                    let t = g.spread(|c| Some(c.throughput))?.median;
                    let p = g.spread(|c| Some(c.lat.p99))?.median;
                    Some((g.who, t, p))
                })
                .collect();
            (format!("{w} {v}"), bars)
        })
        .collect()
}

fn log_x(value: f64, lo: f64, hi: f64) -> f64 {
    let v = value.max(lo);
    (v.log10() - lo.log10()) / (hi.log10() - lo.log10()) * PANEL
}

fn decades(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, 0.0f64);
    for v in values.filter(|v| *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi == 0.0 {
        return (1.0, 10.0);
    }
    (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
    )
}

/// The chart as SVG text.
pub fn svg(r: &Results) -> String {
    let rows = rows(r);
    let (tlo, thi) = decades(rows.iter().flat_map(|(_, b)| b.iter().map(|x| x.1)));
    let (plo, phi) = decades(rows.iter().flat_map(|(_, b)| b.iter().map(|x| x.2)));
    let height: f64 = TOP
        + rows
            .iter()
            .map(|(_, b)| b.len() as f64 * BAR + GAP)
            .sum::<f64>()
        + 60.0;
    let width = LEFT + 2.0 * PANEL + 140.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let x2 = LEFT + PANEL + 70.0;
    let _ = write!(
        s,
        r#"<text x="{LEFT}" y="20" font-size="13" font-weight="bold">throughput, ops/s (log; longer is better)</text><text x="{x2}" y="20" font-size="13" font-weight="bold">p99 latency, µs (log; shorter is better)</text>"#
    );
    for (x0, lo, hi) in [(LEFT, tlo, thi), (x2, plo, phi)] {
        let mut d = lo;
        while d <= hi * 1.0001 {
            let x = x0 + log_x(d, lo, hi);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
                TOP - 8.0,
                height - 50.0,
                TOP - 12.0,
                short(d)
            );
            d *= 10.0;
        }
    }
    let mut y = TOP;
    for (name, bars) in &rows {
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 8.0,
            y + bars.len() as f64 * BAR / 2.0 + 4.0,
            escape(&wrap(name))
        );
        for (who, t, p) in bars {
            let c = colour(*who);
            let tw = log_x(*t, tlo, thi).max(1.0);
            let pw = log_x(*p, plo, phi).max(1.0);
            let _ = write!(
                s,
                r#"<rect x="{LEFT}" y="{y:.1}" width="{tw:.1}" height="{}" fill="{c}"/><text x="{:.1}" y="{:.1}" font-size="9">{}</text><rect x="{x2}" y="{y:.1}" width="{pw:.1}" height="{}" fill="{c}"/><text x="{:.1}" y="{:.1}" font-size="9">{}</text>"#,
                BAR - 2.0,
                LEFT + tw + 3.0,
                y + BAR - 4.0,
                short(*t),
                BAR - 2.0,
                x2 + pw + 3.0,
                y + BAR - 4.0,
                short(*p)
            );
            y += BAR;
        }
        y += GAP;
    }
    let mut lx = LEFT;
    for who in Who::ALL {
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            height - 30.0,
            colour(who),
            lx + 14.0,
            height - 21.0,
            label(who)
        );
        lx += 150.0;
    }
    s.push_str("</svg>\n");
    s
}

fn wrap(name: &str) -> String {
    if name.len() > 40 {
        format!("{}…", name.chars().take(39).collect::<String>())
    } else {
        name.to_owned()
    }
}

fn short(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
