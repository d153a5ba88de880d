//! Running work on rede's thread pool with the calling thread as one of its workers.
//!
//! Every kernel that splits its work (matrix products, Adam, large elementwise
//! ops) hands the pieces to rayon. Called from a thread outside the pool, each
//! such call posts its work, wakes the workers and puts the caller to sleep
//! until they finish: two context switches per kernel, some 20 per training
//! step. Run from a worker instead, the kernel keeps one piece on the calling
//! thread and only the other workers are woken, so short kernels stay cheap.

/// Runs `f` on a worker of the current rayon pool (at once if this thread is
/// one already) and returns its result.
///
/// Use it around a unit of work that calls many kernels in a row, such as one
/// training step. `f` runs in the caller's [`crate::no_grad`] mode: a worker
/// can pick the job up while it waits inside another task that turned
/// recording off (rayon runs queued jobs while a task waits), so the mode is
/// set for `f` and the worker's own restored afterwards.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        return f();
    }
    let grad = crate::autograd::is_grad_enabled();
    // `scope` called from outside the pool runs its closure on a worker and
    // blocks until it returns; the scope itself spawns nothing.
    rayon::scope(|_| crate::autograd::with_grad_mode(grad, f))
}

#[cfg(test)]
mod tests {
    use super::on_pool;

    #[test]
    fn runs_on_a_pool_worker_and_returns_the_result() {
        assert!(rayon::current_thread_index().is_none(), "the test thread is not a worker");
        let (index, value) = on_pool(|| (rayon::current_thread_index(), 6 * 7));
        assert!(index.is_some(), "the closure ran outside the pool");
        assert_eq!(value, 42);
    }

    #[test]
    fn nested_calls_run_in_place() {
        let same = on_pool(|| {
            let outer = std::thread::current().id();
            on_pool(|| std::thread::current().id() == outer)
        });
        assert!(same);
    }
}
