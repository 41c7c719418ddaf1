//! `plot`: the three figures of `jacobian_oracle::plot_data` as SVG files, drawn with
//! plotters' SVG backend (text as `<text>` elements: no fonts needed), each with its data
//! embedded as JSON in a `<metadata>` element.

use std::io::Write;
use std::path::{Path, PathBuf};

use jacobian_oracle::plot_data::{FD_MAPS, Plot, PlotOptions, SeriesStyle, fd_map, plots};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use serde_json::{Value, json};

use crate::style;

/// The plot command's options.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// The directory for fd_error.svg, vanishing_gradient.svg and sigmoid_precision.svg
    /// (created if missing; existing files are overwritten).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The map of fd_error.svg (a smooth activation).
    #[arg(
        long,
        default_value = "sigmoid",
        value_parser = clap::builder::PossibleValuesParser::new(FD_MAPS.map(|a| a.name()))
    )]
    pub map: String,
    /// The point a of fd_error.svg.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = finite)]
    pub at: f64,
    /// Print JSON Lines: one object per file written.
    #[arg(long)]
    pub json: bool,
}

fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{v} is not a finite number"))
    }
}

/// The figure's size in pixels.
const SIZE: (u32, u32) = (960, 600);

/// Line colours (matplotlib's tab10), in series order; guides are grey.
const COLOURS: [RGBColor; 5] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
];
const GUIDE: RGBColor = RGBColor(0x7f, 0x7f, 0x7f);

/// Writes the three SVG files into `args.out`; one line (or JSON object) per file.
pub fn run(out: &mut impl Write, args: &PlotArgs) -> std::io::Result<bool> {
    let map = fd_map(&args.map).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("no smooth activation named `{}`", args.map),
        )
    })?;
    let options = PlotOptions { map, at: args.at };
    std::fs::create_dir_all(&args.out)?;
    let bar = style::progress(3, "plot", args.json);
    for plot in plots(&options) {
        bar.set_message(plot.name);
        let meta = if plot.name == "fd_error" {
            metadata(&plot, Some(json!({"map": map.name(), "at": options.at})))
        } else {
            metadata(&plot, None)
        };
        let svg = svg(&plot, &meta)?;
        let file = args.out.join(format!("{}.svg", plot.name));
        std::fs::write(&file, svg)?;
        bar.inc(1);
        report(out, &file, &plot, args.json)?;
    }
    bar.finish_and_clear();
    Ok(true)
}

fn report(out: &mut impl Write, file: &Path, plot: &Plot, json: bool) -> std::io::Result<()> {
    if json {
        let series: Vec<Value> = plot
            .series
            .iter()
            .map(|s| json!({"name": s.name, "points": s.points.len()}))
            .collect();
        let line = json!({"kind": "plot", "file": file.display().to_string(), "series": series});
        writeln!(out, "{line}")
    } else {
        let series: Vec<String> = plot
            .series
            .iter()
            .map(|s| format!("{} ({} points)", s.name, s.points.len()))
            .collect();
        writeln!(out, "wrote {}: {}", file.display(), series.join("; "))
    }
}

/// The data of `plot` as JSON: what the figure shows, for a reader or a test to check.
fn metadata(plot: &Plot, options: Option<Value>) -> Value {
    let series: Vec<Value> = plot
        .series
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "style": s.style.name(),
                "points": s.points.iter().map(|&(x, y)| json!([x, y])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let rules: Vec<Value> = plot
        .rules
        .iter()
        .map(|r| json!({"name": r.name, "x": r.x}))
        .collect();
    json!({
        "generator": concat!("jacobian-oracle ", env!("CARGO_PKG_VERSION"), " plot"),
        "name": plot.name,
        "options": options,
        "title": plot.title,
        "x_label": plot.x_label,
        "y_label": plot.y_label,
        "log_x": plot.log_x,
        "log_y": plot.log_y,
        "series": series,
        "rules": rules,
    })
}

fn other(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("drawing the plot: {e}"))
}

/// The SVG document: the chart, with `meta` in a `<metadata>` element after the root's
/// opening tag.
fn svg(plot: &Plot, meta: &Value) -> std::io::Result<String> {
    let mut doc = String::new();
    {
        let root = SVGBackend::with_string(&mut doc, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(other)?;
        let (x0, x1) = x_range(plot);
        let (y0, y1) = y_range(plot);
        match (plot.log_x, plot.log_y) {
            (true, true) => chart(&root, plot, (x0..x1).log_scale(), (y0..y1).log_scale())?,
            (false, true) => chart(&root, plot, x0..x1, (y0..y1).log_scale())?,
            (true, false) => chart(&root, plot, (x0..x1).log_scale(), y0..y1)?,
            (false, false) => chart(&root, plot, x0..x1, y0..y1)?,
        }
        root.present().map_err(other)?;
    }
    let text = meta.to_string();
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let at = doc
        .find("<svg")
        .and_then(|i| doc[i..].find('>').map(|j| i + j + 1))
        .ok_or_else(|| other("no <svg> element"))?;
    doc.insert_str(
        at,
        &format!("\n<metadata id=\"jacobian-oracle-data\">{escaped}</metadata>"),
    );
    Ok(doc)
}

fn all_points(plot: &Plot) -> impl Iterator<Item = (f64, f64)> + '_ {
    plot.series.iter().flat_map(|s| s.points.iter().copied())
}

/// The data's horizontal extent (and the rules'); a log axis gets a margin of a tenth of a
/// decade.
fn x_range(plot: &Plot) -> (f64, f64) {
    let xs = all_points(plot)
        .map(|p| p.0)
        .chain(plot.rules.iter().map(|r| r.x))
        .filter(|&x| !plot.log_x || x > 0.0);
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    match (lo.is_finite() && hi.is_finite() && lo < hi, plot.log_x) {
        (true, true) => (lo / 1.26, hi * 1.26),
        (true, false) => (lo, hi),
        (false, true) if lo.is_finite() => (lo / 10.0, lo * 10.0),
        (false, true) => (1e-3, 1e3),
        (false, false) if lo.is_finite() => (lo - 1.0, lo + 1.0),
        (false, false) => (0.0, 1.0),
    }
}

/// Whole decades around the positive values on a log axis, with two decades of headroom
/// for the legend and, when some values are 0 (which a log axis cannot show: they are drawn
/// on the bottom edge), one decade of room below the smallest positive one; the extent on a
/// linear axis.
fn y_range(plot: &Plot) -> (f64, f64) {
    let ys = all_points(plot)
        .map(|p| p.1)
        .filter(|&y| !plot.log_y || y > 0.0);
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return if plot.log_y { (1e-16, 1.0) } else { (0.0, 1.0) };
    }
    if plot.log_y {
        let below = if zeros(plot) > 0 { 1.0 } else { 0.0 };
        let bottom = 10f64.powf(lo.log10().floor() - below);
        let top = 10f64.powf(hi.log10().ceil() + 2.0);
        (bottom, top)
    } else {
        let pad = 0.05 * (hi - lo).max(1e-300);
        (lo - pad, hi + pad)
    }
}

/// How many points have `y = 0`.
fn zeros(plot: &Plot) -> usize {
    all_points(plot).filter(|p| p.1 == 0.0).count()
}

fn legend_position(plot: &Plot) -> SeriesLabelPosition {
    match plot.name {
        "vanishing_gradient" => SeriesLabelPosition::LowerLeft,
        "sigmoid_precision" => SeriesLabelPosition::UpperLeft,
        _ => SeriesLabelPosition::UpperMiddle,
    }
}

/// Tick labels: `1e-13` on a log axis (the tick values there are computed, and carry
/// rounding: 1.0000000000000001e-11), plain numbers on a linear one.
fn tick(v: f64, log: bool) -> String {
    if log {
        format!("{v:.0e}")
    } else {
        format!("{v}")
    }
}

fn chart<X, Y>(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    plot: &Plot,
    x_spec: X,
    y_spec: Y,
) -> std::io::Result<()>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(&plot.title, ("sans-serif", 22))
        .margin(18)
        .x_label_area_size(52)
        .y_label_area_size(64)
        .build_cartesian_2d(x_spec, y_spec)
        .map_err(other)?;
    let (log_x, log_y) = (plot.log_x, plot.log_y);
    let x_fmt = move |v: &f64| tick(*v, log_x);
    let y_fmt = move |v: &f64| tick(*v, log_y);
    chart
        .configure_mesh()
        .x_desc(plot.x_label.as_str())
        .y_desc(plot.y_label.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .draw()
        .map_err(other)?;

    let (y_lo, y_hi) = y_range(plot);
    // A log axis has no place for 0 (an exact result): it is drawn at the bottom edge.
    let shown = |y: f64| if log_y { y.max(y_lo) } else { y };
    let mut colours = COLOURS.iter().cycle();
    for s in &plot.series {
        let points: Vec<(f64, f64)> = s.points.iter().map(|&(x, y)| (x, shown(y))).collect();
        match s.style {
            SeriesStyle::Line | SeriesStyle::Guide => {
                let (colour, width) = if s.style == SeriesStyle::Guide {
                    (GUIDE, 1)
                } else {
                    (*colours.next().unwrap_or(&BLACK), 2)
                };
                chart
                    .draw_series(LineSeries::new(points, colour.stroke_width(width)))
                    .map_err(other)?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(width))
                    });
            }
            SeriesStyle::Scatter => {
                let colour = GUIDE;
                chart
                    .draw_series(
                        points
                            .into_iter()
                            .map(move |p| Circle::new(p, 2, colour.filled())),
                    )
                    .map_err(other)?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 12, y), 2, colour.filled()));
            }
            SeriesStyle::Markers => {
                let colour = BLACK;
                chart
                    .draw_series(
                        points
                            .into_iter()
                            .map(move |p| Circle::new(p, 5, colour.stroke_width(2))),
                    )
                    .map_err(other)?
                    .label(s.name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 12, y), 5, colour.stroke_width(2)));
            }
        }
    }
    for r in &plot.rules {
        chart
            .draw_series(LineSeries::new(
                vec![(r.x, y_lo), (r.x, y_hi)],
                BLACK.stroke_width(1),
            ))
            .map_err(other)?
            .label(r.name.as_str())
            .legend(|(x, y)| PathElement::new(vec![(x + 12, y - 7), (x + 12, y + 7)], BLACK));
    }
    chart
        .configure_series_labels()
        .position(legend_position(plot))
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(other)?;
    let zeros = zeros(plot);
    if log_y && zeros > 0 {
        let note = format!(
            "{zeros} values of exactly 0 are drawn on the bottom edge (a log axis has no 0)"
        );
        root.draw(&Text::new(
            note,
            (12, SIZE.1 as i32 - 20),
            ("sans-serif", 12),
        ))
        .map_err(other)?;
    }
    Ok(())
}
