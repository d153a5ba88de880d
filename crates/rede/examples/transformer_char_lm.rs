//! A character-level Transformer decoder: embedding + learned positions → 2 pre-LN
//! blocks (causal multi-head self-attention, then a GELU MLP, each around a residual)
//! → layer norm → linear over the characters of a text file, trained to predict each
//! next character, then sampled. Written with `#[derive(Module)]`.
//!
//! ```sh
//! cargo run --release -p rede --example transformer_char_lm -- FILE --epochs 5
//! ```
//!
//! Options: `--epochs N` (5), `--seed S` (0), `--seq-len T` (64), `--width D` (64),
//! `--heads H` (4), `--batch-size B` (32), `--steps S` (batches per epoch, 100),
//! `--sample N` (characters to sample at the end, 300), `--lr` (Adam's step, 3e-3). The last 10% of the text is
//! held out, as in the `char_lm` LSTM example: each epoch prints the training loss and
//! the held-out loss in bits per character, and the final JSON line reports the
//! held-out loss as `val_bits_per_char`.

use rede::nn::{loss, Embedding, LayerNorm, Linear, Module, MultiheadAttention, PositionalEmbedding};
use rede::optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use rede::{no_grad, Rng, Tensor};
use std::path::PathBuf;
use std::time::Instant;

struct Args {
    file: PathBuf,
    epochs: usize,
    seed: u64,
    seq_len: usize,
    width: usize,
    heads: usize,
    batch_size: usize,
    steps: usize,
    sample: usize,
    lr: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        file: PathBuf::new(),
        epochs: 5,
        seed: 0,
        seq_len: 64,
        width: 64,
        heads: 4,
        batch_size: 32,
        steps: 100,
        sample: 300,
        lr: 3e-3,
    };
    let mut file = None;
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
            "--width" => a.width = n()?.max(1),
            "--heads" => a.heads = n()?.max(1),
            "--batch-size" => a.batch_size = n()?.max(1),
            "--steps" => a.steps = n()?.max(1),
            "--sample" => a.sample = n()?,
            "--lr" => a.lr = v.parse().map_err(|_| format!("--lr: '{v}' is not a number"))?,
            other => return Err(format!("unknown option {other} (see the example's header)")),
        }
    }
    a.file = file.ok_or("usage: transformer_char_lm FILE [--epochs N] [--seed S] ...")?;
    Ok(a)
}

/// x + attention(LN(x)), then h + MLP(LN(h)): a pre-LN decoder block.
#[derive(Module)]
#[module(forward = residual)]
struct Block {
    ln1: LayerNorm,
    attn: MultiheadAttention,
    ln2: LayerNorm,
    up: Linear,
    down: Linear,
}

impl Block {
    fn new(width: usize, heads: usize, rng: &mut Rng) -> rede::Result<Block> {
        Ok(Block {
            ln1: LayerNorm::new(&[width])?,
            attn: MultiheadAttention::new(width, heads, true, rng)?,
            ln2: LayerNorm::new(&[width])?,
            up: Linear::new(width, 3 * width, rng)?,
            down: Linear::new(3 * width, width, rng)?,
        })
    }

    fn residual(&self, x: &Tensor) -> rede::Result<Tensor> {
        let h = x.add(&self.attn.forward(&self.ln1.forward(x)?)?)?;
        h.add(&self.down.forward(&self.up.forward(&self.ln2.forward(&h)?)?.gelu())?)
    }
}

/// Ids `[N, T]` to next-character logits `[N, T, vocab]`.
#[derive(Module)]
#[module(forward = logits)]
struct CharTransformer {
    embed: Embedding,
    pos: PositionalEmbedding,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    head: Linear,
}

impl CharTransformer {
    fn new(vocab: usize, args: &Args, rng: &mut Rng) -> rede::Result<CharTransformer> {
        let d = args.width;
        let weight = Tensor::rand_normal(&[vocab, d], 0.0, 0.1, rede::DType::F32, rng);
        Ok(CharTransformer {
            embed: Embedding::from_tensor(weight)?,
            pos: PositionalEmbedding::new(args.seq_len, d, rng)?,
            blocks: vec![Block::new(d, args.heads, rng)?, Block::new(d, args.heads, rng)?],
            ln_f: LayerNorm::new(&[d])?,
            head: Linear::new(d, vocab, rng)?,
        })
    }

    fn logits(&self, ids: &Tensor) -> rede::Result<Tensor> {
        let mut h = self.pos.forward(&self.embed.forward(ids)?)?;
        for block in &self.blocks {
            h = block.forward(&h)?;
        }
        self.head.forward(&self.ln_f.forward(&h)?)
    }
}

/// Inputs `[N, T]` and next-character targets `[N·T]` from windows starting at `starts`.
fn windows(ids: &[f32], starts: &[usize], t: usize) -> rede::Result<(Tensor, Tensor)> {
    let x: Vec<f32> = starts.iter().flat_map(|&s| ids[s..s + t].iter().copied()).collect();
    let y: Vec<f32> = starts.iter().flat_map(|&s| ids[s + 1..s + t + 1].iter().copied()).collect();
    Ok((Tensor::from_vec(x, &[starts.len(), t])?, Tensor::from_vec(y, &[starts.len() * t])?))
}

/// Mean next-character loss in bits over consecutive windows of `ids`.
fn held_out_bits(model: &CharTransformer, ids: &[f32], t: usize, vocab: usize) -> rede::Result<f64> {
    let starts: Vec<usize> = (0..ids.len().saturating_sub(t + 1) / t).map(|i| i * t).collect();
    if starts.is_empty() {
        return Ok(f64::NAN);
    }
    no_grad(|| {
        let (mut total, mut count) = (0.0, 0usize);
        for chunk in starts.chunks(64) {
            let (x, y) = windows(ids, chunk, t)?;
            let logits = model.forward(&x)?.reshape(&[y.numel(), vocab])?;
            total += loss::cross_entropy(&logits, &y)?.item()? * y.numel() as f64;
            count += y.numel();
        }
        Ok(total / count as f64 / std::f64::consts::LN_2)
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

/// Draws `n` characters at temperature 0.8, each from the last `t` characters of context.
fn sample(
    model: &CharTransformer,
    vocab: &[char],
    first: f32,
    n: usize,
    t: usize,
    rng: &mut Rng,
) -> rede::Result<String> {
    no_grad(|| {
        let (mut context, mut out) = (vec![first], String::new());
        for _ in 0..n {
            let window = &context[context.len().saturating_sub(t)..];
            let logits = model.forward(&Tensor::from_vec(window.to_vec(), &[1, window.len()])?)?;
            let last = logits.narrow(1, window.len() - 1, 1)?.reshape(&[vocab.len()])?;
            let id = pick(&last.div_scalar(0.8).softmax(-1)?.to_vec_f64(), rng.uniform());
            out.push(vocab[id]);
            context.push(id as f32);
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
    let model = CharTransformer::new(vocab.len(), &args, &mut rng)?;
    println!("{} characters, vocabulary of {}, {} parameters", ids.len(), vocab.len(), model.num_parameters());
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: args.lr, ..Default::default() })?;
    let (mut train_seconds, mut val) = (0.0, f64::NAN);
    for epoch in 1..=args.epochs {
        let started = Instant::now();
        let mut total = 0.0;
        for _ in 0..args.steps {
            let starts: Vec<usize> = (0..args.batch_size).map(|_| rng.below(train.len() - args.seq_len - 1)).collect();
            let (x, y) = windows(train, &starts, args.seq_len)?;
            let l = loss::cross_entropy(&model.forward(&x)?.reshape(&[y.numel(), vocab.len()])?, &y)?;
            optimizer.zero_grad();
            l.backward()?;
            clip_grad_norm(&model.parameters(), 1.0)?;
            optimizer.step()?;
            total += l.item()?;
        }
        train_seconds += started.elapsed().as_secs_f64();
        val = held_out_bits(&model, held_out, args.seq_len, vocab.len())?;
        let bits = total / args.steps as f64 / std::f64::consts::LN_2;
        println!(
            "epoch {epoch:>2}: train loss {bits:.3} bits/char, held-out loss {val:.3} bits/char, {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    let text = sample(&model, &vocab, ids[0], args.sample, args.seq_len, &mut rng)?;
    println!("--- sample ---\n{text}\n---");
    let summary = serde_json::json!({
        "val_bits_per_char": val,
        "epochs": args.epochs,
        "parameters": model.num_parameters(),
        "train_seconds": train_seconds,
    });
    println!("{summary}");
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("transformer_char_lm: {e}");
        std::process::exit(1);
    }
}
