//! Hyper-parameters of a relevance profile and their validation.

use serde::{Deserialize, Serialize};
use xrd_io::Grid;

use crate::distance::Distance;
use crate::window::{MaskRule, Window, tile};
use crate::{Error, Result};

/// A length along the pattern, in grid points or in degrees 2θ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Span {
    /// A number of grid points.
    Points(usize),
    /// A width in degrees 2θ, rounded to the nearest number of grid points.
    Degrees(f64),
}

impl Span {
    fn check(self, name: &'static str, allow_zero: bool) -> Result<()> {
        let ok = match self {
            Span::Points(n) => allow_zero || n > 0,
            Span::Degrees(d) => d.is_finite() && if allow_zero { d >= 0.0 } else { d > 0.0 },
        };
        if ok {
            Ok(())
        } else {
            Err(Error::param(
                name,
                crate::error::reason(
                    format!("{self:?}"),
                    if allow_zero {
                        "a finite span ≥ 0"
                    } else {
                        "at least one point or a finite width > 0°"
                    },
                ),
            ))
        }
    }

    /// The number of grid points of this span on `grid`.
    fn points(self, grid: &Grid) -> usize {
        match self {
            Span::Points(n) => n,
            Span::Degrees(d) => (d / grid.step()).round() as usize,
        }
    }
}

/// What a masked window is replaced with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mask {
    /// Zero, as in the paper: `M(2θ) ∘ XRD`.
    #[default]
    Zero,
    /// The local background: within the window each point is lowered to the straight line joining
    /// the minimum intensity over the `margin` points left of the window (drawn at the point just
    /// before it) to the minimum over the `margin` points right of it (drawn at the point just after
    /// it), and left alone where it already lies below that line. At the pattern's ends the
    /// available side stands in for the missing one. Masking thus removes only what rises above
    /// the background, so a window on a flat background has `Dev = 0`, and a peak is cut down to
    /// the baseline instead of to zero (which would also remove the background under it).
    /// `margin` should exceed a peak's half-width (default 0.3°).
    LocalBackground {
        /// How far to look on each side for the background level.
        margin: Span,
    },
}

impl Mask {
    /// [`Mask::LocalBackground`] with the default margin of 0.3°.
    pub fn local_background() -> Self {
        Mask::LocalBackground {
            margin: Span::Degrees(DEFAULT_MARGIN_DEGREES),
        }
    }
}

/// Default mask width: the paper's Δ = 0.03°.
pub const DEFAULT_WIDTH_DEGREES: f64 = 0.03;
/// Default background margin of [`Mask::local_background`].
pub const DEFAULT_MARGIN_DEGREES: f64 = 0.3;
/// Default number of masked copies the generic path hands the encoder at once.
pub const DEFAULT_BATCH_SIZE: usize = 256;

/// Hyper-parameters of [`Relevance`] (builder; [`RelevanceParams::build`] validates them against a
/// grid).
///
/// | parameter | default |
/// | --- | --- |
/// | [`width`](Self::width) | 0.03° (3 points on the paper's 0.01° grid) |
/// | [`stride`](Self::stride) | the width (windows tile the pattern) |
/// | [`mask`](Self::mask) | [`Mask::Zero`] |
/// | [`distance`](Self::distance) | [`Distance::Euclidean`] |
/// | [`batch_size`](Self::batch_size) | 256 masked copies per encoder call (generic path) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelevanceParams {
    width: Span,
    stride: Option<Span>,
    mask: Mask,
    distance: Distance,
    batch_size: usize,
}

impl RelevanceParams {
    /// The `stride` set by [`RelevanceParams::stride`] (see there for the default).
    pub fn get_stride(&self) -> Option<Span> {
        self.stride
    }
}

impl Default for RelevanceParams {
    fn default() -> Self {
        Self {
            width: Span::Degrees(DEFAULT_WIDTH_DEGREES),
            stride: None,
            mask: Mask::Zero,
            distance: Distance::Euclidean,
            batch_size: DEFAULT_BATCH_SIZE,
        }
    }
}

xrd_io::param_guard!(Error => RelevanceParams);

impl RelevanceParams {
    xrd_io::setters! {
        /// Width Δ of a masked window.
        width, get_width: Span;
    }

    /// Distance between the starts of consecutive windows (default: the width).
    pub fn stride(mut self, stride: Span) -> Self {
        self.stride = Some(stride);
        self
    }

    xrd_io::setters! {
        /// What masked points are replaced with.
        mask, get_mask: Mask;

        /// Distance between latent points.
        distance, get_distance: Distance;

        /// Number of masked copies the generic path encodes per call (memory: `batch_size × points`
        /// values per worker thread).
        batch_size, get_batch_size: usize;
    }

    /// Checks every parameter on its own (without a grid).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero or non-finite width or stride, a negative or
    /// non-finite background margin, or a zero batch size.
    pub fn check(&self) -> Result<()> {
        self.width.check("width", false)?;
        if let Some(s) = self.stride {
            s.check("stride", false)?;
        }
        if let Mask::LocalBackground { margin } = self.mask {
            margin.check("mask margin", true)?;
        }
        if self.batch_size == 0 {
            return Err(Error::param(
                "batch_size",
                crate::error::reason(0, "at least 1"),
            ));
        }
        Ok(())
    }

    /// Validates the parameters and resolves degrees to points on `grid`.
    ///
    /// # Errors
    /// Those of [`RelevanceParams::check`], and [`Error::InvalidParameter`] when a width or stride
    /// rounds to zero points (narrower than half a grid step) or the width exceeds the grid.
    pub fn build(&self, grid: &Grid) -> Result<Relevance> {
        self.check()?;
        let resolve = |span: Span, name: &'static str, max: usize| {
            let n = span.points(grid);
            if n == 0 {
                Err(Error::param(
                    name,
                    crate::error::reason(format!("{span:?}"), "at least half a grid step"),
                ))
            } else if n > max {
                Err(Error::param(
                    name,
                    crate::error::reason(
                        format!("{span:?} = {n} points"),
                        "at most the grid's number of points",
                    ),
                ))
            } else {
                Ok(n)
            }
        };
        let width = resolve(self.width, "width", grid.len())?;
        let stride = match self.stride {
            Some(s) => resolve(s, "stride", usize::MAX)?,
            None => width,
        };
        let mask = match self.mask {
            Mask::Zero => MaskRule::Zero,
            Mask::LocalBackground { margin } => MaskRule::LocalBackground {
                margin: margin.points(grid),
            },
        };
        Ok(Relevance {
            grid: *grid,
            width,
            stride,
            mask,
            distance: self.distance,
            batch_size: self.batch_size,
            windows: tile(grid.len(), width, stride),
        })
    }
}

/// Validated relevance settings on one grid: computes `Dev(2θ)` profiles.
///
/// Built with [`Relevance::params`]`()…build(&grid)`. The generic path
/// ([`Relevance::profile`]) works with any [`Encoder`](crate::Encoder); the exact fast path
/// ([`Relevance::profile_exact`]) with encoders whose first layer is dense
/// ([`LayeredEncoder`](crate::LayeredEncoder), e.g. `xrd_ae::Autoencoder`).
#[derive(Debug, Clone)]
pub struct Relevance {
    pub(crate) grid: Grid,
    pub(crate) width: usize,
    pub(crate) stride: usize,
    pub(crate) mask: MaskRule,
    pub(crate) distance: Distance,
    pub(crate) batch_size: usize,
    pub(crate) windows: Vec<Window>,
}

impl Relevance {
    /// The default parameters (see [`RelevanceParams`]).
    pub fn params() -> RelevanceParams {
        RelevanceParams::default()
    }

    /// The grid patterns must lie on.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Window width in points.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Stride in points.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The latent distance.
    pub fn distance(&self) -> Distance {
        self.distance
    }

    /// The masked windows, in order along 2θ.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid::paper()
    }

    #[test]
    fn defaults_match_the_paper() {
        let r = Relevance::params().build(&grid()).unwrap();
        assert_eq!((r.width(), r.stride()), (3, 3));
        assert_eq!(r.windows().len(), 3_967);
        assert_eq!(r.mask, MaskRule::Zero);
        let bg = Relevance::params()
            .mask(Mask::local_background())
            .build(&grid())
            .unwrap();
        assert_eq!(bg.mask, MaskRule::LocalBackground { margin: 30 });
    }

    /// The check refused the value for `name`, not for another reason.
    fn refused(r: Result<()>, name: &str) {
        match r {
            Err(Error::InvalidParameter(xrd_io::InvalidParameter { name: n, .. })) => {
                assert_eq!(n, name)
            }
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn zero_width_points_is_invalid() {
        refused(Relevance::params().width(Span::Points(0)).check(), "width");
    }

    #[test]
    fn non_positive_width_degrees_is_invalid() {
        refused(
            Relevance::params().width(Span::Degrees(0.0)).check(),
            "width",
        );
        refused(
            Relevance::params().width(Span::Degrees(-0.03)).check(),
            "width",
        );
    }

    #[test]
    fn non_finite_width_is_invalid() {
        refused(
            Relevance::params().width(Span::Degrees(f64::NAN)).check(),
            "width",
        );
        refused(
            Relevance::params()
                .width(Span::Degrees(f64::INFINITY))
                .check(),
            "width",
        );
    }

    #[test]
    fn zero_stride_is_invalid() {
        refused(
            Relevance::params().stride(Span::Points(0)).check(),
            "stride",
        );
        refused(
            Relevance::params().stride(Span::Degrees(0.0)).check(),
            "stride",
        );
    }

    #[test]
    fn non_finite_stride_is_invalid() {
        refused(
            Relevance::params().stride(Span::Degrees(f64::NAN)).check(),
            "stride",
        );
    }

    #[test]
    fn negative_or_non_finite_margin_is_invalid() {
        let m = |d| Mask::LocalBackground {
            margin: Span::Degrees(d),
        };
        refused(Relevance::params().mask(m(-0.1)).check(), "mask margin");
        refused(Relevance::params().mask(m(f64::NAN)).check(), "mask margin");
        assert!(Relevance::params().mask(m(0.0)).check().is_ok());
    }

    #[test]
    fn zero_batch_size_is_invalid() {
        refused(Relevance::params().batch_size(0).check(), "batch_size");
    }

    #[test]
    fn width_below_half_a_step_is_invalid() {
        let e = Relevance::params()
            .width(Span::Degrees(0.004))
            .build(&grid());
        assert!(matches!(
            e,
            Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                name: "width",
                ..
            }))
        ));
        let e = Relevance::params()
            .stride(Span::Degrees(0.004))
            .build(&grid());
        assert!(matches!(
            e,
            Err(Error::InvalidParameter(xrd_io::InvalidParameter {
                name: "stride",
                ..
            }))
        ));
    }

    #[test]
    fn width_beyond_the_grid_is_invalid() {
        let small = Grid::new(0.0, 0.1, 5).unwrap();
        let wide = Relevance::params().width(Span::Points(6)).build(&small);
        assert_eq!(crate::error::refused(wide), "width");
        assert!(
            Relevance::params()
                .width(Span::Points(5))
                .build(&small)
                .is_ok()
        );
    }

    #[test]
    fn params_round_trip_through_json() {
        let p = Relevance::params()
            .mask(Mask::local_background())
            .stride(Span::Points(1));
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<RelevanceParams>(&s).unwrap(), p);
    }
}
