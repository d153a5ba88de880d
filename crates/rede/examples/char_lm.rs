//! A character-level language model: embedding → LSTM → linear over the characters of a
//! text file, trained to predict each next character (truncated backpropagation through
//! time over random windows), then sampled.
//!
//! ```sh
//! cargo run --release -p rede --example char_lm -- FILE --epochs 5
//! ```
//!
//! Options: `--epochs N` (5), `--seed S` (0), `--seq-len T` (64), `--hidden H` (128),
//! `--batch-size B` (32), `--steps S` (batches per epoch, 100), `--sample N` (characters
//! to sample at the end, 300), `--data-dir` (accepted for symmetry with the MNIST
//! examples; FILE is resolved against it when given). The last 10% of the text is held
//! out: each epoch prints the training loss, the held-out loss and accuracy, and
//! the final JSON line reports that accuracy as `test_accuracy`.

use rede::nn::{loss, Embedding, Linear, Lstm, Module, RnnConfig, RnnState};
use rede::optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use rede::train::on_pool;
use rede::{no_grad, Rng, Tensor};
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    file: PathBuf,
    epochs: usize,
    seed: u64,
    seq_len: usize,
    hidden: usize,
    batch_size: usize,
    steps: usize,
    sample: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        file: PathBuf::new(),
        epochs: 5,
        seed: 0,
        seq_len: 64,
        hidden: 128,
        batch_size: 32,
        steps: 100,
        sample: 300,
    };
    let (mut file, mut dir) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if !flag.starts_with("--") {
            file = Some(PathBuf::from(flag));
            continue;
        }
        let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n = || v.parse::<usize>().map_err(|_| format!("{flag}: '{v}' is not a whole number"));
        match flag.as_str() {
            "--epochs" => a.epochs = n()?,
            "--seed" => a.seed = n()? as u64,
            "--seq-len" => a.seq_len = n()?.max(1),
            "--hidden" => a.hidden = n()?.max(1),
            "--batch-size" => a.batch_size = n()?.max(1),
            "--steps" => a.steps = n()?.max(1),
            "--sample" => a.sample = n()?,
            "--data-dir" => dir = Some(PathBuf::from(&v)),
            other => return Err(format!("unknown option {other} (see the example's header)")),
        }
    }
    let file = file.ok_or("usage: char_lm FILE [--epochs N] [--seed S] ...")?;
    a.file = dir.map_or(file.clone(), |d| d.join(file));
    Ok(a)
}

/// The model: characters → vectors → LSTM → next-character logits.
struct CharModel {
    embed: Embedding,
    lstm: Lstm,
    head: Linear,
}

impl CharModel {
    fn new(vocab: usize, hidden: usize, rng: &mut Rng) -> rede::Result<CharModel> {
        let dim = 32;
        Ok(CharModel {
            embed: Embedding::new(vocab, dim, rng)?,
            lstm: Lstm::new(RnnConfig::new(dim, hidden), rng)?,
            head: Linear::new(hidden, vocab, rng)?,
        })
    }

    fn parameters(&self) -> Vec<Tensor> {
        [self.embed.parameters(), self.lstm.parameters(), self.head.parameters()].concat()
    }

    /// Logits `[N, T, vocab]` for ids `[N, T]`, and the final state.
    fn forward(&self, ids: &Tensor, state: Option<&RnnState>) -> rede::Result<(Tensor, RnnState)> {
        let (h, state) = self.lstm.forward_with_state(&self.embed.forward(ids)?, state)?;
        Ok((self.head.forward(&h)?, state))
    }
}

/// Inputs `[N, T]` and next-character targets `[N·T]` from windows starting at `starts`.
fn windows(ids: &[f32], starts: &[usize], t: usize) -> rede::Result<(Tensor, Tensor)> {
    let x: Vec<f32> = starts.iter().flat_map(|&s| ids[s..s + t].iter().copied()).collect();
    let y: Vec<f32> = starts.iter().flat_map(|&s| ids[s + 1..s + t + 1].iter().copied()).collect();
    Ok((Tensor::from_vec(x, &[starts.len(), t])?, Tensor::from_vec(y, &[starts.len() * t])?))
}

/// Next-character loss (bits per character) and accuracy over consecutive windows of `ids`.
fn evaluate(model: &CharModel, ids: &[f32], t: usize) -> rede::Result<(f64, f64)> {
    let starts: Vec<usize> = (0..ids.len().saturating_sub(t + 1) / t).map(|i| i * t).collect();
    if starts.is_empty() {
        return Ok((f64::NAN, f64::NAN));
    }
    no_grad(|| {
        let (mut right, mut total, mut nats) = (0usize, 0usize, 0.0);
        for chunk in starts.chunks(64) {
            let (x, y) = windows(ids, chunk, t)?;
            let (logits, _) = model.forward(&x, None)?;
            let logits = logits.reshape(&[y.numel(), logits.shape()[2]])?;
            nats += loss::cross_entropy(&logits, &y)?.item()? * y.numel() as f64;
            let guess = logits.argmax(-1)?.to_vec_f32();
            right += guess.iter().zip(y.to_vec_f32()).filter(|(g, y)| *g == y).count();
            total += y.numel();
        }
        Ok((nats / total as f64 / std::f64::consts::LN_2, right as f64 / total as f64))
    })
}

/// The category whose cumulative probability first exceeds `u` in [0, 1).
fn pick(probs: &[f64], mut u: f64) -> usize {
    for (i, &p) in probs.iter().enumerate() {
        u -= p;
        if u < 0.0 {
            return i;
        }
    }
    probs.len() - 1
}

/// Draws `n` characters one at a time, feeding each back in, at temperature 0.8.
fn sample(model: &CharModel, vocab: &[char], first: f32, n: usize, rng: &mut Rng) -> rede::Result<String> {
    no_grad(|| {
        let (mut out, mut id, mut state) = (String::new(), first, None);
        for _ in 0..n {
            let (logits, next) = model.forward(&Tensor::from_vec(vec![id], &[1, 1])?, state.as_ref())?;
            let probs = logits.reshape(&[vocab.len()])?.div_scalar(0.8).softmax(-1)?.to_vec_f64();
            id = pick(&probs, rng.uniform()) as f32;
            out.push(vocab[id as usize]);
            state = Some(next);
        }
        Ok(out)
    })
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let text = std::fs::read_to_string(&args.file).map_err(|e| rede::Error::io(&args.file, e))?;
    let mut vocab: Vec<char> = text.chars().collect();
    vocab.sort_unstable();
    vocab.dedup();
    let ids: Vec<f32> = text.chars().map(|c| vocab.binary_search(&c).expect("in vocabulary") as f32).collect();
    let split = ids.len() * 9 / 10;
    let (train, held_out) = (&ids[..split], &ids[split..]);
    if train.len() < args.seq_len + 2 {
        return Err(rede::Error::file(&args.file, format!("needs more than {} characters", args.seq_len + 2)).into());
    }
    let mut rng = Rng::seed(args.seed);
    let model = CharModel::new(vocab.len(), args.hidden, &mut rng)?;
    let parameters: usize = model.parameters().iter().map(Tensor::numel).sum();
    println!("{} characters, vocabulary of {}, {parameters} parameters", ids.len(), vocab.len());
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 2e-3, ..Default::default() })?;
    let (mut train_seconds, mut acc) = (0.0, f64::NAN);
    for epoch in 1..=args.epochs {
        let started = Instant::now();
        let mut total = 0.0;
        for _ in 0..args.steps {
            let starts: Vec<usize> = (0..args.batch_size).map(|_| rng.below(train.len() - args.seq_len - 1)).collect();
            let (x, y) = windows(train, &starts, args.seq_len)?;
            // The step runs on a pool worker, as `Trainer` runs it (see `rede::train::on_pool`).
            total += on_pool(|| -> rede::Result<f64> {
                let (logits, _) = model.forward(&x, None)?;
                let l = loss::cross_entropy(&logits.reshape(&[y.numel(), vocab.len()])?, &y)?;
                optimizer.zero_grad();
                l.backward()?;
                clip_grad_norm(&model.parameters(), 5.0)?;
                optimizer.step()?;
                l.item()
            })?;
        }
        train_seconds += started.elapsed().as_secs_f64();
        let (val, accuracy) = evaluate(&model, held_out, args.seq_len)?;
        acc = accuracy;
        let bits = total / args.steps as f64 / std::f64::consts::LN_2;
        println!(
            "epoch {epoch:>2}: train loss {bits:.3} bits/char, held-out loss {val:.3} bits/char, accuracy {:.2}%, {:.2} s",
            100.0 * acc,
            started.elapsed().as_secs_f64()
        );
    }
    println!("--- sample ---\n{}\n---", sample(&model, &vocab, ids[0], args.sample, &mut rng)?);
    let summary = serde_json::json!({ "test_accuracy": acc, "epochs": args.epochs, "train_seconds": train_seconds });
    println!("{summary}");
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("char_lm: {e}");
        std::process::exit(1);
    }
}
