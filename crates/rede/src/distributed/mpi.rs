//! The [`Communicator`] over MPI (the `mpi` feature), through rsmpi.

use super::Communicator;
use crate::{Error, Result};
use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::environment::{Threading, Universe};
use mpi::topology::{Communicator as _, SimpleCommunicator};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Environment variables a launcher sets in the processes it starts: Open MPI's
/// mpirun, PMIx, and MPICH's Hydra (also Intel MPI's).
const LAUNCHER_VARIABLES: &[&str] = &["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"];

/// The processes of an MPI job (its world communicator). MPI is finalized when it
/// is dropped, and cannot be started again in the same process.
pub struct Mpi {
    // Dropped after `world` (fields drop in order): finalizes MPI.
    world: SimpleCommunicator,
    _universe: Universe,
    /// Time spent inside all-reduces, for the share of a step they take.
    reducing: Cell<Duration>,
}

impl Mpi {
    /// Whether this process was started by an MPI launcher (`mpirun`, `mpiexec`).
    pub fn launched() -> bool {
        LAUNCHER_VARIABLES.iter().any(|v| std::env::var_os(v).is_some())
    }

    /// Joins the job this process was launched in. Fails when no launcher started
    /// it (a lone process would silently train alone) or MPI was started already.
    pub fn init() -> Result<Mpi> {
        if !Mpi::launched() {
            let msg = "this process was not started by an MPI launcher; run it as `mpirun -np N …`";
            return Err(Error::invalid("distributed", msg));
        }
        // The trainer makes its MPI calls one at a time, from the thread that runs the fit.
        let (universe, _) = mpi::initialize_with_threading(Threading::Serialized)
            .ok_or_else(|| Error::invalid("distributed", "MPI was started already in this process"))?;
        Ok(Mpi { world: universe.world(), _universe: universe, reducing: Cell::new(Duration::ZERO) })
    }

    /// Seconds spent in all-reduces so far (waiting for slower ranks included).
    pub fn all_reduce_seconds(&self) -> f64 {
        self.reducing.get().as_secs_f64()
    }

    fn check_root(&self, root: usize) -> Result<i32> {
        match i32::try_from(root) {
            Ok(r) if root < self.size() => Ok(r),
            _ => Err(Error::invalid("broadcast", format!("root {root} is not a rank of {}", self.size()))),
        }
    }
}

impl Communicator for Mpi {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_reduce_sum_f32(&self, values: &mut [f32]) -> Result<()> {
        let started = Instant::now();
        // MPI_Allreduce wants separate send and receive buffers.
        let send = values.to_vec();
        self.world.all_reduce_into(&send[..], values, SystemOperation::sum());
        self.reducing.set(self.reducing.get() + started.elapsed());
        Ok(())
    }

    fn broadcast_f32(&self, values: &mut [f32], root: usize) -> Result<()> {
        let root = self.check_root(root)?;
        self.world.process_at_rank(root).broadcast_into(values);
        Ok(())
    }

    fn broadcast_f64(&self, values: &mut [f64], root: usize) -> Result<()> {
        let root = self.check_root(root)?;
        self.world.process_at_rank(root).broadcast_into(values);
        Ok(())
    }
}
