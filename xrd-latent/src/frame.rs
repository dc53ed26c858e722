//! The principal frame of a set of latent points: the directions they spread along, for linear
//! fits that stay well posed on a curve.

/// Weighted points described along their principal directions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    /// Weighted mean.
    pub(crate) centre: [f64; 2],
    /// Unit directions kept (the major first; the minor only when the points spread along it).
    pub(crate) axes: Vec<[f64; 2]>,
}

impl Frame {
    /// The frame of `points` with `weights` (≥ 0, not all 0). The minor direction is kept when
    /// its standard deviation is at least `min_axis_ratio` of the major one's; points that do not
    /// spread at all keep no axis.
    pub(crate) fn of(points: &[[f64; 2]], weights: &[f64], min_axis_ratio: f64) -> Frame {
        let total: f64 = weights.iter().sum();
        let w = |i: usize| {
            if total > 0.0 {
                weights[i] / total
            } else {
                1.0 / points.len() as f64
            }
        };
        let mut centre = [0.0; 2];
        for (i, p) in points.iter().enumerate() {
            centre[0] += w(i) * p[0];
            centre[1] += w(i) * p[1];
        }
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for (i, p) in points.iter().enumerate() {
            let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
            sxx += w(i) * dx * dx;
            sxy += w(i) * dx * dy;
            syy += w(i) * dy * dy;
        }
        // Eigen-decomposition of the symmetric 2 × 2 covariance, in closed form.
        let half_trace = 0.5 * (sxx + syy);
        let root = (0.25 * (sxx - syy).powi(2) + sxy * sxy).sqrt();
        let (major, minor) = (half_trace + root, (half_trace - root).max(0.0));
        let direction = if root > 0.0 {
            let (x, y) = if sxx >= syy {
                (major - syy, sxy)
            } else {
                (sxy, major - sxx)
            };
            let norm = x.hypot(y);
            [x / norm, y / norm]
        } else {
            [1.0, 0.0]
        };
        let mut axes = Vec::with_capacity(2);
        let spread = |p: &[f64; 2]| (p[0] - centre[0]).hypot(p[1] - centre[1]);
        if major > 0.0 || points.iter().any(|p| spread(p) > 0.0) {
            axes.push(direction);
            if minor.sqrt() >= min_axis_ratio * major.sqrt() && minor > 0.0 {
                axes.push([-direction[1], direction[0]]);
            }
        }
        Frame { centre, axes }
    }

    /// The coordinate of `p` along kept axis `k`.
    pub(crate) fn coordinate(&self, p: [f64; 2], k: usize) -> f64 {
        let a = self.axes[k];
        (p[0] - self.centre[0]) * a[0] + (p[1] - self.centre[1]) * a[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_keeps_one_axis_and_a_cloud_two() {
        let line: Vec<[f64; 2]> = (0..5)
            .map(|i| [i as f64, 2.0 * i as f64 + 1e-6 * (i % 2) as f64])
            .collect();
        let f = Frame::of(&line, &[1.0; 5], 0.1);
        assert_eq!(f.axes.len(), 1);
        let a = f.axes[0];
        assert!((a[1] / a[0] - 2.0).abs() < 1e-4, "{a:?}");
        assert!((f.coordinate([4.0, 8.0], 0) - 2.0 * 5f64.sqrt()).abs() < 1e-4);
        let cloud = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        let f = Frame::of(&cloud, &[1.0; 4], 0.1);
        assert_eq!(f.axes.len(), 2);
        assert_eq!(f.centre, [0.5, 0.5]);
        // Weights move the centre.
        let f = Frame::of(&cloud, &[1.0, 0.0, 0.0, 0.0], 0.1);
        assert_eq!(f.centre, [0.0, 0.0]);
        let same = Frame::of(&[[1.0, 1.0]; 3], &[1.0; 3], 0.1);
        assert!(same.axes.is_empty());
    }
}
