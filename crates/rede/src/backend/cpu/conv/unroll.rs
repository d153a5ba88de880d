//! im2col and its adjoint col2im: the patch matrix `[C/groups · kh · kw, OH · OW]` of one
//! sample's channel group, one row per kernel tap `(c, ki, kj)`, one column per output.
//!
//! Convolutions with stride 1 and no dilation (most of them) take a dense path through
//! shifted copies of the input (see [`im2col`]), which replaces most of the short row
//! copies by long ones. Other convolutions clip every row against the input edges.

use super::{ConvElement, ConvGeometry};
use crate::Element;

/// Output positions `lo..hi` along one axis whose input coordinate `o·stride + shift` lies in `0..len`.
pub(super) fn valid_range(shift: isize, stride: usize, len: usize, out: usize) -> (usize, usize) {
    let s = stride as isize;
    let lo = if shift >= 0 { 0 } else { ((-shift + s - 1) / s) as usize };
    let end = len as isize - shift;
    let hi = if end <= 0 { 0 } else { ((end + s - 1) / s) as usize };
    let lo = lo.min(out);
    (lo, hi.clamp(lo, out))
}

/// One stretch of `OW` outputs of a patch row, as [`for_each_patch_row`] hands it out.
struct Stretch {
    /// Where the stretch starts in the patch matrix: `patch_row · ld + oy · OW`.
    at: usize,
    /// Offset of the input row it reads, None when that row is padding.
    src: Option<usize>,
    /// Output columns `lo..hi` that read inside the input.
    cols: (usize, usize),
    /// The input column of output column `ox` is `ox · stride + shift`.
    shift: isize,
    stride: usize,
}

impl Stretch {
    /// The input index read by output column `lo` (valid only when `src` is some).
    fn first_input(&self, src: usize) -> usize {
        (src as isize + (self.cols.0 * self.stride) as isize + self.shift) as usize
    }
}

/// Visits every (patch row, output row) pair of one group.
fn for_each_patch_row(g: &ConvGeometry, ld: usize, mut f: impl FnMut(Stretch)) {
    let [kh, kw] = g.kernel;
    let [h, w] = g.in_size;
    let [oh, ow] = g.out_size;
    for c in 0..g.group_in() {
        for ki in 0..kh {
            let shift_y = (ki * g.dilation[0]) as isize - g.padding[0] as isize;
            let (y_lo, y_hi) = valid_range(shift_y, g.stride[0], h, oh);
            for kj in 0..kw {
                let shift = (kj * g.dilation[1]) as isize - g.padding[1] as isize;
                let cols = valid_range(shift, g.stride[1], w, ow);
                let row = (c * kh + ki) * kw + kj;
                for oy in 0..oh {
                    let src = (y_lo..y_hi)
                        .contains(&oy)
                        .then(|| c * h * w + ((oy * g.stride[0]) as isize + shift_y) as usize * w);
                    f(Stretch { at: row * ld + oy * ow, src, cols, shift, stride: g.stride[1] });
                }
            }
        }
    }
}

/// Whether the dense path (stride 1, dilation 1) applies.
fn dense(g: &ConvGeometry) -> bool {
    g.stride == [1, 1] && g.dilation == [1, 1]
}

/// Rows of the zero-padded input plane.
fn padded_rows(g: &ConvGeometry) -> usize {
    g.in_size[0] + 2 * g.padding[0]
}

/// Scratch elements the dense path needs for its shifted copies (0 on the clipped path).
pub(super) fn spare_len(g: &ConvGeometry) -> usize {
    if dense(g) {
        g.group_in() * g.kernel[1] * padded_rows(g) * g.out_size[1]
    } else {
        0
    }
}

/// Calls `f(shifted row, input row)` for every row of the shifted copies `[C/groups, kw,
/// H+2p, OW]` of one group, where the copy for column tap `kj` holds the zero-padded input
/// from column `kj` on: `shifted[c][kj][y][ox] = padded[c][y][ox + kj]`. The input row is
/// None in the padding; `f` also gets the valid columns `lo..hi` and the input column
/// `ox + shift` read by `ox`.
fn each_shifted_row<T>(
    shifted: &mut [T],
    g: &ConvGeometry,
    mut f: impl FnMut(&mut [T], Option<usize>, (usize, usize), isize),
) {
    let [h, w] = g.in_size;
    let [ph, pw] = g.padding;
    let ow = g.out_size[1];
    let mut rows = shifted.chunks_exact_mut(ow);
    for c in 0..g.group_in() {
        for kj in 0..g.kernel[1] {
            let shift = kj as isize - pw as isize;
            let cols = valid_range(shift, 1, w, ow);
            for y in 0..padded_rows(g) {
                let row = rows.next().expect("a shifted row per padded row");
                let src = (ph..ph + h).contains(&y).then(|| (c * h + y - ph) * w);
                f(row, src, cols, shift);
            }
        }
    }
}

/// Calls `f(patch row, the stretch of shifted copies it equals)` for every kernel tap: the
/// tap `(c, ki, kj)` reads `shifted[c][kj]` from row `ki` on, a contiguous `OH·OW` stretch.
fn each_tap_stretch(g: &ConvGeometry, mut f: impl FnMut(usize, usize)) {
    let [kh, kw] = g.kernel;
    let [hp, ow] = [padded_rows(g), g.out_size[1]];
    for c in 0..g.group_in() {
        for ki in 0..kh {
            for kj in 0..kw {
                f((c * kh + ki) * kw + kj, ((c * kw + kj) * hp + ki) * ow);
            }
        }
    }
}

/// Element-by-element copy: rows are short, where a call to `memcpy` costs more than the copy.
#[inline(always)]
fn copy_short<T: Copy>(dst: &mut [T], src: &[T]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s;
    }
}

/// Unrolls one sample's group `[C/groups, H, W]` into its patch matrix `col`, using
/// `spare` ([`spare_len`] elements) for the shifted copies on the dense path.
///
/// The dense path copies each input row `kw` times (once per column tap, shifted), then
/// every patch row is one long copy of a stretch of those: `kw·(H+2p)` short copies and
/// `K` long ones per channel, instead of `K·OH` short ones.
pub(super) fn im2col<T: Element>(x: &[T], g: &ConvGeometry, col: &mut [T], spare: &mut [T]) {
    if !dense(g) {
        return im2col_clipped(x, g, col, g.out_plane());
    }
    each_shifted_row(spare, g, |row, src, (lo, hi), shift| {
        let Some(src) = src else {
            row.iter_mut().for_each(|v| *v = T::zero());
            return;
        };
        let (left, rest) = row.split_at_mut(lo);
        let (middle, right) = rest.split_at_mut(hi - lo);
        left.iter_mut().chain(right).for_each(|v| *v = T::zero());
        if lo < hi {
            // (an empty stretch may start past the input's end: a kernel wider than the input)
            let start = (src as isize + lo as isize + shift) as usize;
            copy_short(middle, &x[start..start + hi - lo]);
        }
    });
    let p = g.out_plane();
    each_tap_stretch(g, |row, from| col[row * p..][..p].copy_from_slice(&spare[from..from + p]));
}

/// Adds one sample's patch matrix back into its group's input gradient `dx` (the adjoint
/// of [`im2col`]), using `spare` ([`spare_len`] elements) on the dense path.
pub(super) fn col2im<T: ConvElement>(col: &[T], g: &ConvGeometry, dx: &mut [T], spare: &mut [T]) {
    if !dense(g) {
        return col2im_clipped(col, g, dx, g.out_plane());
    }
    // The adjoint of the two copies of im2col, in reverse order.
    spare.iter_mut().for_each(|v| *v = T::zero());
    let p = g.out_plane();
    each_tap_stretch(g, |row, from| {
        spare[from..from + p].iter_mut().zip(&col[row * p..][..p]).for_each(|(s, &v)| *s += v);
    });
    each_shifted_row(spare, g, |row, src, (lo, hi), shift| {
        if let (Some(src), true) = (src, lo < hi) {
            let start = (src as isize + lo as isize + shift) as usize;
            dx[start..start + hi - lo].iter_mut().zip(&row[lo..hi]).for_each(|(d, &v)| *d += v);
        }
    });
}

/// im2col for any stride and dilation: rows of the patch matrix have length `ld`, and every
/// stretch of a row is clipped against the input edges.
fn im2col_clipped<T: Element>(x: &[T], g: &ConvGeometry, col: &mut [T], ld: usize) {
    let ow = g.out_size[1];
    for_each_patch_row(g, ld, |s| {
        let dst = &mut col[s.at..s.at + ow];
        let Some(src) = s.src else {
            dst.iter_mut().for_each(|d| *d = T::zero());
            return;
        };
        let (lo, hi) = s.cols;
        dst[..lo].iter_mut().for_each(|d| *d = T::zero());
        dst[hi..].iter_mut().for_each(|d| *d = T::zero());
        if lo == hi {
            return; // every output of the stretch reads padding (a stride past the input's end)
        }
        let start = s.first_input(src);
        if s.stride == 1 {
            copy_short(&mut dst[lo..hi], &x[start..start + hi - lo]);
        } else {
            for (d, &v) in dst[lo..hi].iter_mut().zip(x[start..].iter().step_by(s.stride)) {
                *d = v;
            }
        }
    });
}

/// The adjoint of [`im2col_clipped`].
fn col2im_clipped<T: ConvElement>(col: &[T], g: &ConvGeometry, dx: &mut [T], ld: usize) {
    for_each_patch_row(g, ld, |s| {
        let Some(src) = s.src else { return };
        let (lo, hi) = s.cols;
        if lo == hi {
            return;
        }
        let start = s.first_input(src);
        let from = &col[s.at + lo..s.at + hi];
        if s.stride == 1 {
            dx[start..start + hi - lo].iter_mut().zip(from).for_each(|(d, &v)| *d += v);
        } else {
            dx[start..].iter_mut().step_by(s.stride).zip(from).for_each(|(d, &v)| *d += v);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_range_clips_to_the_input() {
        // stride 1, shift -2 (padding 2): outputs 2.. read inside a length-5 input up to 6.
        assert_eq!(valid_range(-2, 1, 5, 9), (2, 7));
        // stride 2, shift -1: o=0 reads -1 (invalid), o=1 reads 1, o=2 reads 3, o=3 reads 5 (invalid).
        assert_eq!(valid_range(-1, 2, 5, 4), (1, 3));
        // a shift past the end leaves nothing valid.
        assert_eq!(valid_range(7, 1, 5, 3), (0, 0));
    }

    #[test]
    fn a_stride_past_the_padded_input_reads_only_padding_and_the_first_window() {
        // 8×8 input, kernel 3, padding 1, stride 60: one output, whose window starts in the padding.
        let g = ConvGeometry {
            batch: 1,
            in_channels: 1,
            in_size: [8, 8],
            out_channels: 1,
            kernel: [3, 3],
            stride: [60, 60],
            padding: [1, 1],
            dilation: [1, 1],
            groups: 1,
            out_size: [1, 1],
        };
        let x: Vec<f64> = (1..=64).map(f64::from).collect();
        let mut col = vec![f64::NAN; 9];
        im2col(&x, &g, &mut col, &mut []);
        assert_eq!(col, vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 9.0, 10.0]);
        let mut back = vec![0.0; 64];
        col2im(&[1.0; 9], &g, &mut back, &mut []);
        assert_eq!(back.iter().sum::<f64>(), 4.0);
        assert_eq!([back[0], back[1], back[8], back[9]], [1.0; 4]);
    }

    #[test]
    fn a_kernel_wider_than_the_input_reads_the_padding() {
        // 1×1 input, kernel 5, padding 2, stride 1 (the dense path): the one output sees x in the middle.
        let g = ConvGeometry {
            batch: 1,
            in_channels: 1,
            in_size: [1, 1],
            out_channels: 1,
            kernel: [5, 5],
            stride: [1, 1],
            padding: [2, 2],
            dilation: [1, 1],
            groups: 1,
            out_size: [1, 1],
        };
        let mut spare = vec![f64::NAN; spare_len(&g)];
        let mut col = vec![f64::NAN; 25];
        im2col(&[7.0], &g, &mut col, &mut spare);
        assert_eq!(col.iter().sum::<f64>(), 7.0);
        assert_eq!(col[12], 7.0);
        let mut back = vec![0.0];
        col2im(&[1.0; 25], &g, &mut back, &mut spare);
        assert_eq!(back, vec![1.0]);
    }

    #[test]
    fn im2col_then_col2im_counts_patch_memberships() {
        // col2im(im2col(ones)) = how many patches cover each input element.
        let g = ConvGeometry {
            batch: 1,
            in_channels: 1,
            in_size: [3, 3],
            out_channels: 1,
            kernel: [2, 2],
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
            out_size: [2, 2],
        };
        let mut col = vec![0.0f64; 4 * 4];
        let mut spare = vec![0.0; spare_len(&g)];
        im2col(&[1.0; 9], &g, &mut col, &mut spare);
        let mut back = vec![0.0; 9];
        col2im(&col, &g, &mut back, &mut spare);
        assert_eq!(back, vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
    }

    #[test]
    fn the_dense_path_matches_the_clipped_one_with_and_without_padding() {
        for padding in [[0, 0], [2, 1]] {
            let g = ConvGeometry {
                batch: 1,
                in_channels: 2,
                in_size: [5, 6],
                out_channels: 1,
                kernel: [3, 4],
                stride: [1, 1],
                padding,
                dilation: [1, 1],
                groups: 1,
                out_size: [5 + 2 * padding[0] - 2, 6 + 2 * padding[1] - 3],
            };
            let (k, p) = (g.patch_len(), g.out_plane());
            let x: Vec<f64> = (0..60).map(|i| ((i * 7919) % 61) as f64 - 30.0).collect();
            let mut spare = vec![f64::NAN; spare_len(&g)]; // stale contents must not leak in
            let (mut dense, mut clipped) = (vec![0.0; k * p], vec![0.0; k * p]);
            im2col(&x, &g, &mut dense, &mut spare);
            im2col_clipped(&x, &g, &mut clipped, p);
            assert_eq!(dense, clipped, "im2col, padding {padding:?}");

            let (mut back_dense, mut back_clipped) = (vec![1.0; 60], vec![1.0; 60]);
            col2im(&dense, &g, &mut back_dense, &mut spare);
            col2im_clipped(&dense, &g, &mut back_clipped, p);
            assert_eq!(back_dense, back_clipped, "col2im, padding {padding:?}");
        }
    }
}
