//! The profile `xrd simulate` and `xrd.simulate` write: a structure's peaks rendered on a
//! regular 2θ grid, scaled as its peak list is.

use xrd_io::{Grid, Pattern, Wavelength};
use xrd_sim::{PeakList, Profile, Simulator};

use crate::Result;
use crate::error::invalid;

/// The pattern of `peaks` (simulated by `sim` at `wavelength`) on the grid from `range.0` by
/// `step` up to `range.1`, with `profile`'s peaks, the strongest point 100 (as the strongest
/// peak of a peak list scaled to 100), the wavelength recorded.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] (`step`) unless `step` is finite and positive; an invalid
/// `profile` or grid; those of [`Simulator::render`].
pub fn simulated_pattern(
    sim: &Simulator,
    peaks: &PeakList,
    wavelength: Wavelength,
    range: (f64, f64),
    step: f64,
    profile: &Profile,
) -> Result<Pattern> {
    if !(step.is_finite() && step > 0.0) {
        return Err(invalid("step", format!("{step}: need a positive step")));
    }
    profile.check()?;
    // The last point at or below the range's end, as a grid of whole steps.
    let n = ((range.1 - range.0) / step).floor() as usize + 1;
    let grid = Grid::new(range.0, step, n)?;
    let mut intensity = sim.render(peaks, &grid, profile)?;
    let top = intensity.iter().copied().fold(0.0, f64::max);
    if top > 0.0 {
        intensity.iter_mut().for_each(|v| *v *= 100.0 / top);
    }
    Ok(Pattern::new(grid.positions(), intensity)?.with_wavelength(Some(wavelength)))
}
