//! An optimizer step allocates nothing: the update runs in place over buffers
//! allocated when the optimizer was built.

mod optim_common;

use optim_common::{build, Problem};
use rede::DType;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn optimizer_steps_do_not_allocate() {
    for dtype in [DType::F32, DType::F64] {
        for name in ["sgd_nesterov", "rmsprop_all", "adam_wd_amsgrad", "adamw_weights_only", "adagrad_all"] {
            let problem = Problem::new(dtype);
            let mut opt = build(name, problem.params()).unwrap();
            problem.backward().unwrap();
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            opt.step().unwrap();
            let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
            assert_eq!(allocated, 0, "{name} ({dtype:?}) allocated {allocated} times in one step");
        }
    }
}
