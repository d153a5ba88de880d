//! A distributed search's exchange: after each round every rank broadcasts the
//! trials it ran, so that all ranks hold the whole round.

use super::{Config, Trial};
use crate::distributed::Communicator;
use crate::{Error, Result};

/// Every candidate's trial, as its owner (the rank at its position mod size) ran
/// it; a candidate its owner did not start (a stop request) has none.
pub(super) fn share_trials(
    comm: &dyn Communicator,
    candidates: &[(usize, Config)],
    mine: &[Trial],
    (round, budget): (usize, Option<usize>),
) -> Result<Vec<Trial>> {
    let mut all = Vec::with_capacity(candidates.len());
    for (k, (id, config)) in candidates.iter().enumerate() {
        let owner = k % comm.size();
        let mut payload = match mine.iter().find(|t| t.id == *id) {
            Some(t) if owner == comm.rank() => encode(t),
            _ => Vec::new(),
        };
        // The length first, so that the other ranks can make room for the trial.
        let mut len = [payload.len() as f64];
        comm.broadcast_f64(&mut len, owner)?;
        payload.resize(len[0] as usize, 0.0);
        comm.broadcast_f64(&mut payload, owner)?;
        if !payload.is_empty() {
            let base = Trial::unscored(*id, config.clone(), round, budget);
            all.push(decode(&payload, base)?);
        }
    }
    Ok(all)
}

/// `[folds, scores…, mean, std, epochs, seconds, error bytes…]`: the error's
/// UTF-8 bytes are whole numbers, exact in f64.
fn encode(t: &Trial) -> Vec<f64> {
    let mut v = vec![t.fold_scores.len() as f64];
    v.extend(&t.fold_scores);
    v.extend([t.mean, t.std, t.epochs as f64, t.seconds]);
    v.extend(t.error.iter().flat_map(|e| e.bytes()).map(f64::from));
    // An empty error and none differ: a flag says which.
    v.push(f64::from(u8::from(t.error.is_some())));
    v
}

fn decode(v: &[f64], mut t: Trial) -> Result<Trial> {
    let bad = || Error::invalid("search_distributed", "a rank sent a malformed trial");
    let folds = *v.first().ok_or_else(bad)? as usize;
    let (scores, rest) = v[1..].split_at_checked(folds).ok_or_else(bad)?;
    let [mean, std, epochs, seconds, ref tail @ ..] = *rest else { return Err(bad()) };
    let (flag, bytes) = tail.split_last().ok_or_else(bad)?;
    t.fold_scores = scores.to_vec();
    (t.mean, t.std, t.epochs, t.seconds) = (mean, std, epochs as usize, seconds);
    if *flag != 0.0 {
        let bytes: Vec<u8> = bytes.iter().map(|&b| b as u8).collect();
        t.error = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trial_survives_the_round_trip() {
        let config: Config = [("lr".to_string(), serde_json::json!(0.01))].into_iter().collect();
        let base = Trial::unscored(3, config, 1, Some(9));
        let ok =
            Trial { fold_scores: vec![0.5, 0.75], mean: 0.625, std: 0.125, epochs: 18, seconds: 1.5, ..base.clone() };
        let failed = Trial { error: Some("the loss became NaN — épocas".into()), ..base.clone() };
        for t in [ok, failed] {
            let back = decode(&encode(&t), base.clone()).unwrap();
            assert_eq!(format!("{back:?}"), format!("{t:?}"));
        }
    }
}
