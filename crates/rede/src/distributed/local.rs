//! Ranks as threads of one process, to test distributed code without MPI.

use super::Communicator;
use crate::{Error, Result};
use std::sync::{Arc, Barrier, Mutex};

/// One rank of a group of threads that exchange values through shared memory.
/// Make the group with [`LocalGroup::new`] and move each handle to its thread.
pub struct LocalGroup {
    rank: usize,
    shared: Arc<Shared>,
}

/// Each rank's contribution to the collective under way, and the barrier that
/// separates writing the contributions from reading them.
struct Shared {
    slots: Mutex<Vec<Vec<f64>>>,
    barrier: Barrier,
}

impl LocalGroup {
    /// A group of `size` ranks (at least 1): one handle per rank, rank order.
    pub fn new(size: usize) -> Vec<LocalGroup> {
        let size = size.max(1);
        let shared = Arc::new(Shared { slots: Mutex::new(vec![Vec::new(); size]), barrier: Barrier::new(size) });
        (0..size).map(|rank| LocalGroup { rank, shared: Arc::clone(&shared) }).collect()
    }

    /// Posts `values`, waits for every rank's, and hands them all (rank order) to
    /// `read`; a second barrier keeps the next collective from overwriting them early.
    fn exchange<R>(&self, values: Vec<f64>, read: impl FnOnce(&[Vec<f64>]) -> R) -> Result<R> {
        let poisoned = || Error::invalid("LocalGroup", "another rank panicked");
        self.shared.slots.lock().map_err(|_| poisoned())?[self.rank] = values;
        self.shared.barrier.wait();
        let result = read(&self.shared.slots.lock().map_err(|_| poisoned())?);
        self.shared.barrier.wait();
        Ok(result)
    }

    fn check_root(&self, root: usize) -> Result<()> {
        match root < self.size() {
            true => Ok(()),
            false => Err(Error::invalid("broadcast", format!("root {root} is not a rank of {}", self.size()))),
        }
    }
}

impl Communicator for LocalGroup {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.shared.slots.lock().map_or(0, |s| s.len())
    }

    fn all_reduce_sum_f32(&self, values: &mut [f32]) -> Result<()> {
        let mine = values.iter().map(|&v| f64::from(v)).collect();
        // Summed in f32 and in rank order, as a reduction over processes would.
        self.exchange(mine, |all| {
            for (i, v) in values.iter_mut().enumerate() {
                *v = all.iter().fold(0.0f32, |sum, rank| sum + rank[i] as f32);
            }
        })
    }

    fn broadcast_f32(&self, values: &mut [f32], root: usize) -> Result<()> {
        self.check_root(root)?;
        let mine = values.iter().map(|&v| f64::from(v)).collect();
        self.exchange(mine, |all| values.iter_mut().zip(&all[root]).for_each(|(v, &r)| *v = r as f32))
    }

    fn broadcast_f64(&self, values: &mut [f64], root: usize) -> Result<()> {
        self.check_root(root)?;
        self.exchange(values.to_vec(), |all| values.copy_from_slice(&all[root]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_sum_and_broadcast() {
        let handles: Vec<_> = LocalGroup::new(3)
            .into_iter()
            .map(|comm| {
                std::thread::spawn(move || {
                    let r = comm.rank() as f32;
                    let mut sum = [r, 1.0];
                    comm.all_reduce_sum_f32(&mut sum).unwrap();
                    let mut from_two = [r * 10.0];
                    comm.broadcast_f32(&mut from_two, 2).unwrap();
                    let any = comm.any(comm.rank() == 1).unwrap();
                    (sum, from_two, any, comm.size())
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), ([3.0, 3.0], [20.0], true, 3));
        }
    }
}
