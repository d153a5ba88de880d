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

/// Loss per epoch (train and validation) on the left, validation score on the right.
pub fn curves(record: &TrainingRecord, score_name: &str) -> CliResult<Vec<u8>> {
    render(1200, 450, |root| {
        let (left, right) = root.split_horizontally(600);
        let mut series = vec![("train loss", record.loss_curve.as_slice(), color(0))];
        if !record.validation_loss_curve.is_empty() {
            series.push(("validation loss", record.validation_loss_curve.as_slice(), color(1)));
        }
        line_chart(&left, "Loss", &series)?;
        if record.validation_scores.is_empty() {
            let style = TextStyle::from((FAMILY, 18).into_font()).color(&BLACK);
            right
                .draw_text("no validation data (train with --early-stopping)", &style, (60, 210))
                .map_err(plot_error)?;
            Ok(())
        } else {
            line_chart(
                &right,
                &format!("Validation {score_name}"),
                &[(score_name, &record.validation_scores, color(2))],
            )
        }
    })
}

fn line_chart(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    title: &str,
    series: &[(&str, &[f64], RGBColor)],
) -> CliResult<()> {
    let n = series.iter().map(|s| s.1.len()).max().unwrap_or(1).max(2);
    let values = series.iter().flat_map(|s| s.1.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo < hi { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
    let pad = (hi - lo) * 0.05;
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(1f64..n as f64, (lo - pad)..(hi + pad))
        .map_err(plot_error)?;
    let whole = |x: &f64| format!("{x:.0}");
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&whole)
        .label_style((FAMILY, 14))
        .draw()
        .map_err(plot_error)?;
    for &(name, values, c) in series {
        let points = values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v));
        chart
            .draw_series(LineSeries::new(points, c.stroke_width(2)))
            .map_err(plot_error)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)
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
