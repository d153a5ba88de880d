//! The strong-Wolfe line search of L-BFGS: bracketing (Nocedal & Wright,
//! *Numerical Optimization*, 2nd ed., algorithm 3.5) then zoom (algorithm 3.6),
//! with safeguarded cubic interpolation (their equation 3.59) for trial steps.
//! The control flow follows PyTorch's `torch.optim.lbfgs._strong_wolfe` step for
//! step, so that trajectories match it.

use crate::Result;

/// Sufficient-decrease constant (Armijo condition).
const C1: f64 = 1e-4;
/// Curvature constant.
const C2: f64 = 0.9;

/// The objective along the search direction: the loss and flat gradient at step `t`.
pub(crate) type Directional<'a> = dyn FnMut(f64) -> Result<(f64, Vec<f64>)> + 'a;

/// A trial point of the search.
#[derive(Clone)]
struct Point {
    t: f64,
    f: f64,
    g: Vec<f64>,
    gtd: f64,
}

/// Where the search stopped.
pub(crate) struct Found {
    /// The loss at the chosen step.
    pub loss: f64,
    /// The flat gradient at the chosen step.
    pub grad: Vec<f64>,
    /// The chosen step length.
    pub t: f64,
    /// How many times the objective was evaluated.
    pub evals: usize,
}

/// The minimizer of the cubic interpolating `(x1, f1, g1)` and `(x2, f2, g2)`
/// (values and slopes), clamped to `bounds` (by default the interval between them);
/// the midpoint when the cubic has no minimizer.
fn cubic_interpolate(p1: (f64, f64, f64), p2: (f64, f64, f64), bounds: Option<(f64, f64)>) -> f64 {
    let ((x1, f1, g1), (x2, f2, g2)) = (p1, p2);
    let (lo, hi) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square < 0.0 {
        return (lo + hi) / 2.0;
    }
    let d2 = d2_square.sqrt();
    let min_pos = if x1 <= x2 {
        x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
    } else {
        x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
    };
    min_pos.max(lo).min(hi)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Searches along `d` from the current point (loss `f`, gradient `g`, slope
/// `gtd = g·d < 0`) starting with step `t`, for a step satisfying the strong Wolfe
/// conditions, using at most `max_ls` further evaluations.
#[allow(clippy::too_many_arguments)]
pub(crate) fn strong_wolfe(
    obj: &mut Directional<'_>,
    t: f64,
    d: &[f64],
    f: f64,
    g: &[f64],
    gtd: f64,
    tolerance_change: f64,
    max_ls: usize,
) -> Result<Found> {
    let d_norm = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let eval = |obj: &mut Directional<'_>, t: f64| -> Result<Point> {
        let (f, g) = obj(t)?;
        Ok(Point { t, gtd: dot(&g, d), f, g })
    };
    let mut new = eval(obj, t)?;
    let mut evals = 1;
    let mut prev = Point { t: 0.0, f, g: g.to_vec(), gtd };
    let start = prev.clone();
    let sufficient = |p: &Point| p.f <= f + C1 * p.t * gtd;
    let curvature = |p: &Point| p.gtd.abs() <= -C2 * gtd;

    // Algorithm 3.5: grow the step until a bracket or an acceptable point is found.
    let mut bracket: Vec<Point> = Vec::new();
    let mut done = false;
    let mut ls_iter = 0;
    while ls_iter < max_ls {
        if !sufficient(&new) || (ls_iter > 1 && new.f >= prev.f) {
            bracket = vec![prev, new.clone()];
            break;
        }
        if curvature(&new) {
            bracket = vec![new.clone()];
            done = true;
            break;
        }
        if new.gtd >= 0.0 {
            bracket = vec![prev, new.clone()];
            break;
        }
        let bounds = (new.t + 0.01 * (new.t - prev.t), new.t * 10.0);
        let t = cubic_interpolate((prev.t, prev.f, prev.gtd), (new.t, new.f, new.gtd), Some(bounds));
        prev = std::mem::replace(&mut new, eval(obj, t)?);
        evals += 1;
        ls_iter += 1;
    }
    if ls_iter == max_ls {
        bracket = vec![start, new];
    }

    // Algorithm 3.6: shrink the bracket until a point satisfies both conditions.
    let order = |b: &[Point]| if b[0].f <= b[b.len() - 1].f { (0, 1) } else { (1, 0) };
    let (mut low, mut high) = order(&bracket);
    let mut insufficient_progress = false;
    while !done && ls_iter < max_ls {
        if (bracket[1].t - bracket[0].t).abs() * d_norm < tolerance_change {
            break;
        }
        let (b0, b1) = (&bracket[0], &bracket[1]);
        let mut t = cubic_interpolate((b0.t, b0.f, b0.gtd), (b1.t, b1.f, b1.gtd), None);
        let (lo, hi) = (b0.t.min(b1.t), b0.t.max(b1.t));
        // Safeguard: keep the trial point away from the bracket's ends.
        let margin = 0.1 * (hi - lo);
        if (hi - t).min(t - lo) < margin {
            if insufficient_progress || t >= hi || t <= lo {
                t = if (t - hi).abs() < (t - lo).abs() { hi - margin } else { lo + margin };
                insufficient_progress = false;
            } else {
                insufficient_progress = true;
            }
        } else {
            insufficient_progress = false;
        }
        let new = eval(obj, t)?;
        evals += 1;
        ls_iter += 1;
        if !sufficient(&new) || new.f >= bracket[low].f {
            bracket[high] = new;
            (low, high) = order(&bracket);
        } else {
            if curvature(&new) {
                done = true;
            } else if new.gtd * (bracket[high].t - bracket[low].t) >= 0.0 {
                bracket[high] = bracket[low].clone();
            }
            bracket[low] = new;
        }
    }
    let best = bracket.swap_remove(low);
    Ok(Found { loss: best.f, grad: best.g, t: best.t, evals })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_interpolation_finds_the_minimizer_of_a_cubic() {
        // f(x) = x³ − 3x has its local minimum at x = 1; f' = 3x² − 3.
        let f = |x: f64| (x * x * x - 3.0 * x, 3.0 * x * x - 3.0);
        let (f0, g0) = f(0.0);
        let (f2, g2) = f(2.0);
        assert!((cubic_interpolate((0.0, f0, g0), (2.0, f2, g2), None) - 1.0).abs() < 1e-12);
        assert!((cubic_interpolate((2.0, f2, g2), (0.0, f0, g0), None) - 1.0).abs() < 1e-12);
        // Clamped to the bounds given.
        assert_eq!(cubic_interpolate((0.0, f0, g0), (2.0, f2, g2), Some((1.5, 3.0))), 1.5);
    }

    #[test]
    fn strong_wolfe_accepts_the_exact_step_on_a_parabola() {
        // f(t) = (t − 0.5)², searching from t = 0 along d = 1, starting with t = 1.
        let mut obj = |t: f64| Ok(((t - 0.5) * (t - 0.5), vec![2.0 * (t - 0.5)]));
        let found = strong_wolfe(&mut obj, 1.0, &[1.0], 0.25, &[-1.0], -1.0, 1e-9, 25).unwrap();
        assert!((found.t - 0.5).abs() < 1e-9, "t = {}", found.t);
        assert!(found.evals >= 2);
    }
}
