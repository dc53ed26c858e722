//! The agreement indices of a weighted least-squares fit of a powder pattern, one home for the
//! Rietveld refinement and the full-pattern summation.

/// R factors, χ² and the serial correlation of the weighted residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Quality {
    /// Σ w (y − f)².
    pub chi2_sum: f64,
    /// Degrees of freedom N − P (at least 1).
    pub dof: f64,
    /// Σ|y − f| / Σ|y|.
    pub rp: f64,
    /// √(Σ w (y − f)² / Σ w y²).
    pub rwp: f64,
    /// √((N − P) / Σ w y²).
    pub rexp: f64,
    /// Durbin–Watson d of the weighted residuals.
    pub durbin_watson: f64,
    /// Bérar & Lelann's √((1+ρ)/(1−ρ)) for the residuals' serial correlation ρ = 1 − d/2.
    pub esd_factor: f64,
}

impl Quality {
    /// The indices of calculated `f` against observed `y` with weights `w`, `np` parameters.
    pub fn of(y: &[f64], f: &[f64], w: &[f64], np: usize) -> Self {
        let (mut chi2, mut swy2, mut sabs, mut sy) = (0.0, 0.0, 0.0, 0.0);
        let mut res = Vec::with_capacity(y.len());
        for ((&fi, &yi), &wi) in f.iter().zip(y).zip(w) {
            let d = yi - fi;
            chi2 += wi * d * d;
            swy2 += wi * yi * yi;
            sabs += d.abs();
            sy += yi.abs();
            res.push(wi.sqrt() * d);
        }
        let dof = (y.len().saturating_sub(np)).max(1) as f64;
        let rwp = (chi2 / swy2).sqrt();
        let rexp = (dof / swy2).sqrt();
        // Durbin–Watson d = Σ (rᵢ₊₁ − rᵢ)² / Σ rᵢ² of the weighted residuals.
        let num: f64 = res.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum();
        let durbin_watson = num / res.iter().map(|r| r * r).sum::<f64>();
        let rho = (1.0 - durbin_watson / 2.0).clamp(0.0, 0.99);
        let esd_factor = ((1.0 + rho) / (1.0 - rho)).sqrt();
        Self {
            chi2_sum: chi2,
            dof,
            rp: sabs / sy,
            rwp,
            rexp,
            durbin_watson,
            esd_factor,
        }
    }

    /// The factor of (JᵀWJ)⁻¹ that gives the covariance: reduced χ² times the serial
    /// correlation's factor squared.
    pub fn covariance_scale(&self) -> f64 {
        self.chi2_sum / self.dof * self.esd_factor * self.esd_factor
    }
}
