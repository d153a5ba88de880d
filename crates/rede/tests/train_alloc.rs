//! The steady-state training step (forward, cross-entropy, backward, Adam update)
//! reuses its large buffers: after a few warm-up steps, it asks the allocator for
//! no tensor buffer of 64 KiB or more, and for a bounded number of small blocks.
//!
//! The one block a step may still get per matrix product is the `gemm` crate's
//! packing scratch, which it allocates (cache-line aligned) and frees inside
//! the product; it is counted apart, by its alignment (large and small
//! apart), and bounded by one per product.
//!
//! Counting, not timing: a change that starts allocating activations, gradients
//! or optimizer state per step fails here whatever the machine's load.
//!
//! Two models: an MLP, and an LSTM classifier (LSTM, last step, linear layer).
//! The counters are global, so the tests take turns (`ONE_AT_A_TIME`).

use rede::nn::loss::cross_entropy;
use rede::nn::{LastStep, Linear, Lstm, Module, Relu, RnnConfig, Sequential};
use rede::optim::{Adam, AdamConfig, Optimizer};
use rede::{DType, Rng, Tensor};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LARGE_ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LARGE_ALIGNED: AtomicUsize = AtomicUsize::new(0);
static SMALL_ALIGNED: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

/// Blocks at least this big count as large buffers.
const LARGE: usize = 64 << 10;

/// Tensor buffers are vectors of f32/f64 (alignment 4 or 8); `gemm` asks for
/// cache-line (64 bytes or more) alignment for its packing scratch.
const SCRATCH_ALIGN: usize = 64;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(Layout::from_size_align(new_size, layout.align()).unwrap_or(layout));
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn record(layout: Layout) {
    let counter = match (layout.size() >= LARGE, layout.align() >= SCRATCH_ALIGN) {
        (true, true) => &LARGE_ALIGNED,
        (true, false) => &LARGE_ALLOCATIONS,
        (false, true) => &SMALL_ALIGNED,
        (false, false) => {
            BYTES.fetch_add(layout.size(), Ordering::Relaxed);
            &ALLOCATIONS
        }
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

fn counters() -> [usize; 5] {
    [&ALLOCATIONS, &BYTES, &LARGE_ALLOCATIONS, &LARGE_ALIGNED, &SMALL_ALIGNED].map(|c| c.load(Ordering::Relaxed))
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Small blocks (under 64 KiB, gemm's scratch apart) per step. Each recorded op costs about ten:
/// its tensor handle and graph node, the input list, shape and stride vectors
/// of its layouts; a backward rule about as many per product it runs; the
/// backward pass adds its traversal set and gradient map, and the loss its
/// target bookkeeping. Measured when this test was written: 55 for the forward
/// (5 ops), 20 for the fused loss, 174 for the backward, 0 for the Adam update:
/// about 250. The bound leaves a quarter of headroom, yet a change that
/// allocated per element or per row (64 rows here) would exceed it.
const SMALL_PER_STEP: usize = 320;

/// Bytes of those small blocks per step: a few hundred bytes per block.
const BYTES_PER_STEP: usize = 128 << 10;

/// Allocation counts over steady-state training steps of `model` on one fixed batch.
struct StepCounts {
    small: usize,
    bytes: usize,
    large: usize,
    /// gemm's packing scratch of 64 KiB or more.
    scratch: usize,
    /// gemm's packing scratch under 64 KiB.
    small_scratch: usize,
}

/// Trains `model` on `(x, y)` for a few warm-up steps, then counts the
/// allocations of `steps` more, and checks the loss went down.
fn count_steps(model: &dyn Module, x: &Tensor, y: &Tensor, steps: usize) -> StepCounts {
    let mut opt = Adam::new(model.parameters(), AdamConfig::default()).unwrap();
    let mut losses = Vec::with_capacity(16);
    let mut step = || {
        let loss = cross_entropy(&model.forward(x).unwrap(), y).unwrap();
        opt.zero_grad();
        loss.backward().unwrap();
        opt.step().unwrap();
        losses.push(loss.item().unwrap());
    };
    for _ in 0..3 {
        step();
    }
    let before = counters();
    for _ in 0..steps {
        step();
    }
    let after = counters();
    let [small, bytes, large, scratch, small_scratch] = [0, 1, 2, 3, 4].map(|i| after[i] - before[i]);
    // The steps did train: the loss on this fixed batch went down.
    assert!(losses.last().unwrap() < losses.first().unwrap(), "loss did not decrease: {losses:?}");
    StepCounts { small, bytes, large, scratch, small_scratch }
}

#[test]
fn training_steps_reuse_their_buffers() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut rng = Rng::seed(3);
    // Every activation, gradient and weight below is at least 64 KiB, so a
    // per-step allocation of any of them would count as a large one.
    let (batch, inputs, hidden, classes) = (64, 256, 256, 10);
    let model = Sequential::new()
        .with(Linear::new(inputs, hidden, &mut rng).unwrap())
        .with(Relu)
        .with(Linear::new(hidden, hidden, &mut rng).unwrap())
        .with(Relu)
        .with(Linear::new(hidden, classes, &mut rng).unwrap());
    let x = Tensor::rand_uniform(&[batch, inputs], 0.0, 1.0, DType::F32, &mut rng);
    let y = Tensor::from_vec((0..batch).map(|i| (i % classes) as f32).collect(), &[batch]).unwrap();
    let steps = 5;
    let StepCounts { small: count, bytes, large, scratch, .. } = count_steps(&model, &x, &y, steps);
    assert_eq!(large, 0, "{large} allocations of 64 KiB or more in {steps} steady-state steps");
    // 3 products forward, 3 weight gradients and 2 input gradients backward.
    assert!(scratch <= 8 * steps, "{scratch} large aligned blocks in {steps} steps: more than gemm's scratch");
    assert!(count <= SMALL_PER_STEP * steps, "{count} allocations in {steps} steps (bound {SMALL_PER_STEP} per step)");
    assert!(bytes <= BYTES_PER_STEP * steps, "{bytes} bytes allocated in {steps} steps");
}

/// Small blocks per step of the LSTM classifier (T = 8). The fused layer is one
/// op, but each time step adds the list of row blocks handed to the threads in
/// the forward and backward gate passes; the views that unpack its output and
/// the final states (stacked) add a few ops. Measured when this test was
/// written: 433 per step; the bound leaves a quarter of headroom, yet
/// allocating per batch row (64) in each step's two gate passes would exceed it.
const LSTM_SMALL_PER_STEP: usize = 560;

#[test]
fn lstm_training_steps_reuse_their_buffers() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut rng = Rng::seed(4);
    // Hidden states [64, 8, 64], gates [64, 8, 256], W_hh [256, 64]: each at least 64 KiB.
    let (batch, steps_in_time, inputs, hidden, classes) = (64, 8, 16, 64, 10);
    let model = Sequential::new()
        .with(Lstm::new(RnnConfig::new(inputs, hidden), &mut rng).unwrap())
        .with(LastStep)
        .with(Linear::new(hidden, classes, &mut rng).unwrap());
    let x = Tensor::rand_uniform(&[batch, steps_in_time, inputs], 0.0, 1.0, DType::F32, &mut rng);
    let y = Tensor::from_vec((0..batch).map(|i| (i % classes) as f32).collect(), &[batch]).unwrap();
    let steps = 5;
    let StepCounts { small: count, bytes, large, scratch, small_scratch } = count_steps(&model, &x, &y, steps);
    assert_eq!(large, 0, "{large} allocations of 64 KiB or more in {steps} steady-state LSTM steps");
    // Per step: the input projection and T − 1 recurrent products forward, T
    // recurrent products and two weight gradients backward, the linear layer's three.
    let products = 1 + (steps_in_time - 1) + steps_in_time + 2 + 3;
    let scratch = scratch + small_scratch;
    assert!(scratch <= products * steps, "{scratch} aligned blocks in {steps} steps: more than gemm's scratch");
    assert!(count <= LSTM_SMALL_PER_STEP * steps, "{count} allocations in {steps} steps (bound {LSTM_SMALL_PER_STEP})");
    assert!(bytes <= BYTES_PER_STEP * steps, "{bytes} bytes allocated in {steps} steps");
}
