//! Mask windows along the pattern and what masking one removes.

use serde::{Deserialize, Serialize};
use xrd_io::Float;

/// One masked window: grid points `start..end` (half-open, `end > start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    /// First masked point.
    pub start: usize,
    /// One past the last masked point.
    pub end: usize,
}

impl Window {
    /// Number of masked points.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Always `false`: a window masks at least one point.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether grid point `i` is masked.
    pub fn contains(&self, i: usize) -> bool {
        self.start <= i && i < self.end
    }
}

/// Windows of `width` points every `stride` points over `n` points: starts `0, stride, 2·stride, …`
/// while `< n`; the last window is cut at `n` (a partial window) so that every point up to the last
/// start is covered when `stride ≤ width`.
pub(crate) fn tile(n: usize, width: usize, stride: usize) -> Vec<Window> {
    (0..n)
        .step_by(stride)
        .map(|start| Window {
            start,
            end: (start + width).min(n),
        })
        .collect()
}

/// How masked points are replaced, resolved to grid points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MaskRule {
    Zero,
    LocalBackground { margin: usize },
}

/// What masking removes from a pattern, window by window: for window `k`, `x[j] − masked[j]` for
/// `j` in the window, stored at `values[k·width ..]` (a partial last window leaves its tail zero).
/// Only windows that change the pattern are listed in `active`; the others have `Dev = 0` exactly.
#[derive(Debug, Clone)]
pub(crate) struct Removed<F> {
    pub width: usize,
    pub values: Vec<F>,
    pub active: Vec<usize>,
}

impl<F: Float> Removed<F> {
    pub(crate) fn of(x: &[F], windows: &[Window], width: usize, rule: MaskRule) -> Self {
        let mut values = vec![F::zero(); windows.len() * width];
        let mut active = Vec::new();
        for (k, w) in windows.iter().enumerate() {
            let out = &mut values[k * width..k * width + w.len()];
            match rule {
                MaskRule::Zero => out.copy_from_slice(&x[w.start..w.end]),
                MaskRule::LocalBackground { margin } => {
                    let line = background_line(x, *w, margin);
                    for (t, o) in out.iter_mut().enumerate() {
                        let v = x[w.start + t];
                        let b = line(t);
                        *o = if v > b { v - b } else { F::zero() };
                    }
                }
            }
            if out.iter().any(|&d| d != F::zero()) {
                active.push(k);
            }
        }
        Self {
            width,
            values,
            active,
        }
    }

    /// The removed values of window `k` (as many as the window has points).
    pub(crate) fn window(&self, k: usize, w: Window) -> &[F] {
        &self.values[k * self.width..k * self.width + w.len()]
    }
}

/// The local background under window `w`: the straight line from `(start − 1, left)` to
/// `(end, right)`, where `left`/`right` are the minimum intensities over the `margin` points on
/// either side (clipped at the pattern's ends; one side stands in for a missing other; zero when the
/// window covers the whole pattern or `margin` is zero). Returns the line as a function of the
/// offset `t` inside the window.
fn background_line<F: Float>(x: &[F], w: Window, margin: usize) -> impl Fn(usize) -> F {
    let min_of = |s: &[F]| s.iter().copied().reduce(F::min);
    let left = min_of(&x[w.start.saturating_sub(margin)..w.start]);
    let right = min_of(&x[w.end..(w.end + margin).min(x.len())]);
    let (l, r) = match (left, right) {
        (Some(l), Some(r)) => (l, r),
        (Some(l), None) => (l, l),
        (None, Some(r)) => (r, r),
        (None, None) => (F::zero(), F::zero()),
    };
    let span = F::of_usize(w.len() + 1);
    move |t| l + (r - l) * F::of_usize(t + 1) / span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiling_covers_the_pattern_with_a_partial_last_window() {
        let w = tile(10, 3, 3);
        assert_eq!(w.len(), 4);
        assert_eq!(w[3], Window { start: 9, end: 10 });
        assert_eq!(tile(11_900, 3, 3).len(), 3_967);
        let overlapping = tile(5, 3, 1);
        assert_eq!(
            overlapping.iter().map(Window::len).collect::<Vec<_>>(),
            [3, 3, 3, 2, 1]
        );
        let gaps = tile(10, 2, 4);
        assert_eq!(
            gaps,
            [
                Window { start: 0, end: 2 },
                Window { start: 4, end: 6 },
                Window { start: 8, end: 10 }
            ]
        );
    }

    #[test]
    fn zero_mask_removes_the_window_and_skips_zero_windows() {
        let x = [0.0f64, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0];
        let w = tile(x.len(), 2, 2);
        let r = Removed::of(&x, &w, 2, MaskRule::Zero);
        assert_eq!(r.active, [1, 2]);
        assert_eq!(r.window(1, w[1]), [0.0, 1.0]);
        assert_eq!(r.window(2, w[2]), [2.0, 0.0]);
        assert_eq!(r.window(3, w[3]), [0.0]);
    }

    #[test]
    fn local_background_removes_only_what_rises_above_the_line() {
        // Background rising 1 → 3 under a peak of height 10 at index 3.
        let x = [1.0f64, 1.0, 2.0, 12.0, 2.0, 3.0, 3.0];
        let w = [Window { start: 2, end: 5 }];
        let r = Removed::of(&x, &w, 3, MaskRule::LocalBackground { margin: 2 });
        // Line from (1, 1) to (5, 3): 1.5, 2, 2.5 at indices 2, 3, 4.
        assert_eq!(r.window(0, w[0]), [0.5, 10.0, 0.0]);
        // On a flat background nothing is removed: the window is skipped.
        let flat = [2.0f64; 8];
        let r = Removed::of(
            &flat,
            &tile(8, 3, 3),
            3,
            MaskRule::LocalBackground { margin: 2 },
        );
        assert!(r.active.is_empty());
        // One side missing: the other stands in; both missing: zero.
        let edge = [5.0f64, 5.0, 1.0, 1.0];
        let w = [Window { start: 0, end: 2 }];
        let r = Removed::of(&edge, &w, 2, MaskRule::LocalBackground { margin: 2 });
        assert_eq!(r.window(0, w[0]), [4.0, 4.0]);
        let w = [Window { start: 0, end: 4 }];
        let r = Removed::of(&edge, &w, 4, MaskRule::LocalBackground { margin: 2 });
        assert_eq!(r.window(0, w[0]), edge);
    }
}
