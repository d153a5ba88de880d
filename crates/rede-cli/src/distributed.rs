//! `--distributed`: joining the MPI job `mpirun` started, agreeing on whether
//! every rank got ready, and ending the other ranks quietly (rank 0 alone reports).

use crate::error::{CliError, BAD_INPUT};
use crate::CliResult;
use rede::distributed::Communicator;

/// The job this process trains in, with the other ranks `mpirun` started.
// Without the feature no job is ever made: `join` refuses first.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub struct Job {
    #[cfg(feature = "mpi")]
    mpi: rede::distributed::Mpi,
    /// Set by [`Job::agree`] when a rank failed: every rank then knows the job
    /// failed, and [`finish`] can let rank 0 speak before the others exit.
    failed_together: std::cell::Cell<bool>,
}

/// Joins the MPI job when `wanted`; an error (exit status 2) in a build without
/// the `mpi` feature or in a process no MPI launcher started.
pub fn join(wanted: bool) -> CliResult<Option<Job>> {
    if !wanted {
        return Ok(None);
    }
    join_mpi().map(Some)
}

#[cfg(feature = "mpi")]
fn join_mpi() -> CliResult<Job> {
    use rede::distributed::Mpi;
    if !Mpi::launched() {
        return Err(CliError::new(
            "--distributed trains with the other processes of an MPI job, and this process is not in one; \
             launch it as `mpirun -np N rede train … --distributed`",
        ));
    }
    Ok(Job { mpi: Mpi::init()?, failed_together: Default::default() })
}

#[cfg(not(feature = "mpi"))]
fn join_mpi() -> CliResult<Job> {
    Err(CliError::new(
        "--distributed needs a rede built with MPI support: `cargo install --path crates/rede-cli --features mpi` \
         (see the README's section on distributed training)",
    ))
}

impl Job {
    /// The communicator the trainer uses.
    pub fn comm(&self) -> &dyn Communicator {
        #[cfg(feature = "mpi")]
        return &self.mpi;
        #[cfg(not(feature = "mpi"))]
        unreachable!("no job exists without the mpi feature")
    }

    /// Whether this is rank 0, which alone reads out progress, evaluates and writes files.
    pub fn is_root(&self) -> bool {
        self.comm().is_root()
    }

    /// Seconds this rank spent in all-reduces (waiting for the others included).
    pub fn all_reduce_seconds(&self) -> f64 {
        #[cfg(feature = "mpi")]
        return self.mpi.all_reduce_seconds();
        #[cfg(not(feature = "mpi"))]
        0.0
    }

    /// Leaves the job: MPI is finalized here (when the job is dropped), so that
    /// mpirun sees the process end properly even when it exits at once.
    fn leave(self) {}

    /// Makes every rank see whether all of them got `ready`: if one failed, every
    /// rank fails, rank 0 with its own error or one naming the failed ranks, so
    /// that no rank waits in a collective for one that has given up.
    pub fn agree<T>(&self, ready: CliResult<T>) -> CliResult<T> {
        let comm = self.comm();
        let mut failed = vec![0.0f32; comm.size()];
        failed[comm.rank()] = f32::from(u8::from(ready.is_err()));
        comm.all_reduce_sum_f32(&mut failed)?;
        let ranks: Vec<String> =
            failed.iter().enumerate().filter(|(_, &f)| f != 0.0).map(|(r, _)| r.to_string()).collect();
        if !ranks.is_empty() {
            self.failed_together.set(true);
        }
        match ready {
            Ok(_) if !ranks.is_empty() => Err(CliError::new(format!(
                "rank {} of {} could not get ready (read its data, check its outputs); rank 0 could — \
                 are the files on every node, at the same path?",
                ranks.join(", "),
                comm.size()
            ))),
            other => other,
        }
    }
}

/// Ends the run: rank 0 (or a lone process) returns `result` for the usual
/// report; another rank that failed leaves MPI and exits with status 2 without
/// a word, since rank 0 reports the same failure.
///
/// When every rank knows the job failed ([`Job::agree`]), rank 0 prints its line
/// before any rank exits: mpirun ends the whole job as soon as one process exits
/// with a failure, and could otherwise kill rank 0 before its line is out.
pub fn finish<T>(job: Option<Job>, result: CliResult<T>) -> CliResult<T> {
    let Some(job) = job else { return result };
    match result {
        Err(e) if job.failed_together.get() => {
            if job.is_root() {
                e.report();
            }
            // A failed barrier changes nothing: the job is ending with status 2 anyway.
            let _ = job.comm().any(false);
            job.leave();
            std::process::exit(i32::from(BAD_INPUT))
        }
        Err(_) if !job.is_root() => {
            job.leave();
            std::process::exit(i32::from(BAD_INPUT))
        }
        other => other,
    }
}
