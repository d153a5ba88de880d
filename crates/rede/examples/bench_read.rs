//! Times `rede::data::read_table` on a file (CSV, `.npy`, `.npz`, or `.parquet`
//! with `--features parquet`): `cargo run --release -p rede --example bench_read
//! [--features parquet] -- FILE [RUNS]`. Prints each run's time and the table's size.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: bench_read FILE [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    for run in 1..=runs {
        let started = Instant::now();
        let table =
            rede::data::read_table(&path, &rede::data::CsvOptions { allow_missing: true, ..Default::default() })?;
        let seconds = started.elapsed().as_secs_f64();
        println!("run {run}: {} rows x {} columns in {seconds:.3} s", table.n_rows(), table.n_columns());
    }
    Ok(())
}
