//! `--plot`: loss curves and validation scores, and for 2-D classification
//! data the decision regions with the points over them. Drawn with plotters
//! into memory and encoded as PNG, so the caller can write files atomically.

use crate::error::CliError;
use crate::CliResult;
use plotters::prelude::*;
use rede::data::{Column, Table};
use rede::estimator::{Estimator, TrainingRecord};
use std::sync::Once;

/// DejaVu Sans (licence in `assets/DejaVuSans-LICENSE.txt`), so text renders the same everywhere.
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

fn register_font() -> CliResult<()> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        result = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| CliError::new("the embedded plot font is unreadable"));
    });
    result
}

/// Class colours: the Tableau 10 palette.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

fn plot_error(e: impl std::fmt::Display) -> CliError {
    CliError::new(format!("cannot draw the plot: {e}"))
}

/// A `width`×`height` RGB picture drawn by `draw`, as PNG bytes.
fn render(
    width: u32,
    height: u32,
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>) -> CliResult<()>,
) -> CliResult<Vec<u8>> {
    register_font()?;
    let mut pixels = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        draw(&root)?;
        root.present().map_err(plot_error)?;
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(plot_error)?;
    writer.write_image_data(&pixels).map_err(plot_error)?;
    writer.finish().map_err(plot_error)?;
    Ok(png_bytes)
}

/// Loss per epoch (train and validation) and, when there was validation data, the
/// validation score beside it.
pub fn curves(record: &TrainingRecord, score_name: &str) -> CliResult<Vec<u8>> {
    let mut losses = vec![("train loss", record.loss_curve.as_slice(), color(0))];
    if !record.validation_loss_curve.is_empty() {
        losses.push(("validation loss", record.validation_loss_curve.as_slice(), color(1)));
    }
    if record.validation_scores.is_empty() {
        return render(700, 450, |root| line_chart(root, "Loss", "loss", &losses, SeriesLabelPosition::UpperRight));
    }
    render(1200, 450, |root| {
        let (left, right) = root.split_horizontally(600);
        line_chart(&left, "Loss", "loss", &losses, SeriesLabelPosition::UpperRight)?;
        let scores = [(score_name, record.validation_scores.as_slice(), color(2))];
        line_chart(&right, &format!("Validation {score_name}"), score_name, &scores, SeriesLabelPosition::LowerRight)
    })
}

/// A series drawn with markers too when it has at most this many points, so a
/// run of one epoch (or a few) still shows its values.
const MARKED_POINTS: usize = 20;

fn line_chart(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    title: &str,
    y_name: &str,
    series: &[(&str, &[f64], RGBColor)],
    // Where the curves usually are not: losses fall, scores rise.
    legend: SeriesLabelPosition,
) -> CliResult<()> {
    let epochs = series.iter().map(|s| s.1.len()).max().unwrap_or(0).max(1);
    let values: Vec<f64> = series.iter().flat_map(|s| s.1.iter().copied()).filter(|v| v.is_finite()).collect();
    let y = ValueAxis::new(&values);
    let x = EpochAxis::new(epochs);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(76)
        .build_cartesian_2d(Ticked::new(x.range.clone(), &x.ticks), Ticked::new(y.range.clone(), &y.ticks))
        .map_err(plot_error)?;
    let epoch_label = |e: &f64| format!("{e:.0}");
    let value_label = |v: &f64| y.label(*v);
    let y_desc = if y.log { format!("{y_name} (log scale)") } else { y_name.to_string() };
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .x_label_formatter(&epoch_label)
        .y_label_formatter(&value_label)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(plot_error)?;
    for &(name, values, c) in series {
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| ((i + 1) as f64, y.to_axis(v)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .map_err(plot_error)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        if points.len() <= MARKED_POINTS {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(plot_error)?;
        }
    }
    chart
        .configure_series_labels()
        .position(legend)
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)
}

/// A linear f64 axis with the ticks we chose, rather than plotters' own (which
/// puts ticks between whole epochs).
struct Ticked {
    inner: plotters::coord::types::RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(range: std::ops::Range<f64>, ticks: &[f64]) -> Ticked {
        Ticked { inner: range.into(), ticks: ticks.to_vec() }
    }
}

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    /// The chosen ticks as the bold mesh lines, and no light ones between them.
    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The x axis: epochs 1..=n with ticks on whole numbers only.
struct EpochAxis {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl EpochAxis {
    fn new(epochs: usize) -> EpochAxis {
        // Few epochs get half an epoch of room on each side, so the end points are not on the frame.
        let pad = if epochs <= 20 { 0.5 } else { 0.0 };
        let step = nice_step(epochs as f64 / 8.0).max(1.0) as usize;
        let mut ticks: Vec<f64> = (1..=epochs).filter(|e| e % step == 0).map(|e| e as f64).collect();
        if step >= 5 || ticks.is_empty() {
            ticks.insert(0, 1.0);
        }
        EpochAxis { range: (1.0 - pad)..(epochs as f64 + pad), ticks }
    }
}

/// The y axis: linear, or log10 when the values are positive and span more than
/// two decades (a long run's loss would otherwise look flat after the first epochs).
struct ValueAxis {
    log: bool,
    /// In axis units: the values themselves, or their log10.
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
    /// Decimals of the linear labels, from the tick step.
    decimals: usize,
}

impl ValueAxis {
    fn new(values: &[f64]) -> ValueAxis {
        let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if !lo.is_finite() {
            return ValueAxis::linear(0.0, 1.0);
        }
        if lo > 0.0 && hi / lo > 100.0 {
            return ValueAxis::logarithmic(lo, hi);
        }
        ValueAxis::linear(lo, hi)
    }

    fn linear(lo: f64, hi: f64) -> ValueAxis {
        let half = if hi > lo { (hi - lo) * 0.05 } else { lo.abs().max(1.0) * 0.05 };
        let (lo, hi) = (lo - half, hi + half);
        let step = nice_step((hi - lo) / 6.0);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        let ticks = (first..=last).map(|k| k as f64 * step).collect();
        let decimals = (-step.log10().floor()).max(0.0) as usize;
        ValueAxis { log: false, range: lo..hi, ticks, decimals }
    }

    fn logarithmic(lo: f64, hi: f64) -> ValueAxis {
        let (lo, hi) = (lo.log10() - 0.05, hi.log10() + 0.05);
        let ticks = (lo.ceil() as i64..=hi.floor() as i64).map(|k| k as f64).collect();
        ValueAxis { log: true, range: lo..hi, ticks, decimals: 0 }
    }

    /// Where value `v` sits on the axis.
    fn to_axis(&self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
        }
    }

    /// The label of the tick at axis position `t`.
    fn label(&self, t: f64) -> String {
        if !self.log {
            // Ticks are whole multiples of the step; rounding keeps "-0.0" away.
            let text = format!("{:.*}", self.decimals, t);
            return if text.trim_start_matches(['-', '0', '.']).is_empty() {
                format!("{:.*}", self.decimals, 0.0)
            } else {
                text
            };
        }
        let exponent = t.round() as i32;
        match exponent {
            0..=4 => format!("{}", 10f64.powi(exponent)),
            -4..=-1 => format!("{:.*}", (-exponent) as usize, 10f64.powi(exponent)),
            _ => format!("1e{exponent}"),
        }
    }
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw > 0.0 && raw.is_finite()) {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|&s| s >= raw * (1.0 - 1e-9)).unwrap_or(10.0 * power)
}

/// Whether the data can be drawn as a plane: a classifier with two numeric inputs.
pub fn is_planar(model: &Estimator, table: &Table) -> bool {
    let columns = model.pipeline().input_columns();
    matches!(model, Estimator::Classifier(_))
        && columns.len() == 2
        && columns.iter().all(|c| table.column(c).is_some_and(Column::is_numeric))
}

/// The decision regions of a 2-input classifier over the range of `table`'s
/// points, with the points (coloured by their true class) over them.
pub fn boundary(model: &Estimator, table: &Table) -> CliResult<Vec<u8>> {
    let Estimator::Classifier(clf) = model else { return Err(CliError::new("decision regions need a classifier")) };
    let pipeline = model.pipeline();
    let names: Vec<String> = pipeline.input_columns().iter().map(|s| s.to_string()).collect();
    let column = |name: &str| match table.column(name) {
        Some(Column::Numeric(v)) => Ok(v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>()),
        _ => Err(CliError::new(format!("column '{name}' is not numeric"))),
    };
    let (xs, ys) = (column(&names[0])?, column(&names[1])?);
    let range = |v: &[f64]| {
        let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let pad = ((hi - lo) * 0.08).max(1e-6);
        (lo - pad, hi + pad)
    };
    let ((x0, x1), (y0, y1)) = (range(&xs), range(&ys));
    const GRID: usize = 150;
    let at = |lo: f64, hi: f64, i: usize| lo + (hi - lo) * (i as f64 + 0.5) / GRID as f64;
    let (mut gx, mut gy) = (Vec::with_capacity(GRID * GRID), Vec::with_capacity(GRID * GRID));
    for j in 0..GRID {
        for i in 0..GRID {
            gx.push(at(x0, x1, i));
            gy.push(at(y0, y1, j));
        }
    }
    let grid = Table::new(vec![
        (names[0].clone(), Column::Numeric(gx.iter().map(|&x| x as f32).collect())),
        (names[1].clone(), Column::Numeric(gy.iter().map(|&y| y as f32).collect())),
    ])?;
    let regions = clf.predict_indices_table(&grid)?;
    let truth: Vec<usize> = pipeline.targets(table)?.to_vec_f64().iter().map(|&v| v as usize).collect();
    render(700, 640, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Decision regions", (FAMILY, 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc(&names[0])
            .y_desc(&names[1])
            .label_style((FAMILY, 14))
            .draw()
            .map_err(plot_error)?;
        let (dx, dy) = ((x1 - x0) / GRID as f64 / 2.0, (y1 - y0) / GRID as f64 / 2.0);
        let cells =
            gx.iter().zip(&gy).zip(&regions).map(|((&x, &y), &c)| {
                Rectangle::new([(x - dx, y - dy), (x + dx, y + dy)], color(c).mix(0.25).filled())
            });
        chart.draw_series(cells).map_err(plot_error)?;
        let points = xs.iter().zip(&ys).zip(&truth).map(|((&x, &y), &c)| Circle::new((x, y), 3, color(c).filled()));
        chart.draw_series(points).map_err(plot_error)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(loss: Vec<f64>, scores: Vec<f64>) -> TrainingRecord {
        TrainingRecord { n_iter: loss.len(), loss_curve: loss, validation_scores: scores, ..Default::default() }
    }

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        (info.width, info.height, pixels)
    }

    /// How many pixels have exactly this colour.
    fn count(pixels: &[u8], c: RGBColor) -> usize {
        pixels.chunks(3).filter(|p| p == &[c.0, c.1, c.2]).count()
    }

    #[test]
    fn epoch_ticks_are_whole_numbers_for_any_length() {
        assert_eq!(EpochAxis::new(1).ticks, [1.0]);
        assert_eq!(EpochAxis::new(2).ticks, [1.0, 2.0]);
        let thirty = EpochAxis::new(30).ticks;
        assert_eq!(thirty, [1.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]);
        let long = EpochAxis::new(200).ticks;
        assert!(long.len() <= 12 && long.iter().all(|t| t.fract() == 0.0 && (1.0..=200.0).contains(t)), "{long:?}");
    }

    #[test]
    fn value_labels_have_the_precision_their_spread_needs() {
        let axis = ValueAxis::new(&[0.0123, 0.0127]);
        assert!(!axis.log && axis.ticks.len() >= 3);
        let labels: Vec<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
        assert!(labels.windows(2).all(|w| w[0] != w[1]), "distinct labels: {labels:?}");
        let flat = ValueAxis::new(&[0.0, 0.0]);
        let labels: Vec<String> = flat.ticks.iter().map(|&t| flat.label(t)).collect();
        let negative_zero = |l: &String| l.starts_with('-') && l.parse::<f64>() == Ok(0.0);
        assert!(labels.contains(&"0.00".to_string()) && !labels.iter().any(negative_zero), "{labels:?}");
    }

    #[test]
    fn a_loss_spanning_more_than_two_decades_gets_a_log_axis() {
        let axis = ValueAxis::new(&[2.3, 0.5, 0.01, 0.004]);
        assert!(axis.log);
        let labels: Vec<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
        assert_eq!(labels, ["0.01", "0.1", "1"]);
        assert!(!ValueAxis::new(&[2.3, 0.05]).log, "under two decades stays linear");
    }

    #[test]
    fn one_epoch_shows_its_point_and_no_empty_half_without_validation() {
        let (width, _, pixels) = decode(&curves(&record(vec![0.7], vec![]), "accuracy").unwrap());
        assert_eq!(width, 700, "one chart when there is no validation score");
        assert!(count(&pixels, color(0)) > 20, "the single loss value is drawn as a marker");
        let (width, _, pixels) = decode(&curves(&record(vec![0.7, 0.5], vec![0.8, 0.9]), "accuracy").unwrap());
        assert_eq!(width, 1200, "loss and validation score side by side");
        assert!(count(&pixels, color(2)) > 20, "the validation scores are drawn");
    }
}
