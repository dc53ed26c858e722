//! The refined structure as a crystallographer reads it: a CIF with the cell, the space
//! group's operators, every asymmetric-unit site with its esds in CIF notation (`0.1879(2)`),
//! the R factors of each pattern, and each pattern's observed and calculated curves as `_pd_`
//! loops.

use std::fmt::Write;

use crate::{Phase, PhaseResult, Refinement, Result};

/// `value` with its standard uncertainty in CIF notation: the esd's one significant digit (two
/// when they start with 1) in parentheses, the value rounded to the same place; the value
/// alone (six decimals) without an esd.
///
/// ```
/// use xrd_refine::cif_value;
/// assert_eq!(cif_value(0.18791, 0.00021), "0.1879(2)");
/// assert_eq!(cif_value(0.18791, 0.00014), "0.18791(14)");
/// assert_eq!(cif_value(8.47803, 0.00123), "8.4780(12)");
/// assert_eq!(cif_value(123.4, 25.0), "123(25)");
/// assert_eq!(cif_value(0.25, 0.0), "0.250000");
/// ```
pub fn cif_value(value: f64, esd: f64) -> String {
    if !(esd.is_finite() && esd > 0.0) {
        return format!("{value:.6}");
    }
    let mut places = (-esd.log10()).ceil() as i32;
    if esd * 10f64.powi(places) < 2.0 {
        places += 1;
    }
    let places = places.max(0);
    let digits = (esd * 10f64.powi(places)).round() as i64;
    format!("{value:.prec$}({digits})", prec = places as usize)
}

/// A block name: the name with anything but letters, digits, `-` and `.` as `_`.
fn block(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The CIF of `phase` as refined in `result` (one of the phases of the refinements
/// `patterns`, each named by its file): the structure block, then one `_pd_` block per
/// pattern.
///
/// # Errors
/// A structure whose symmetry cannot be read.
pub fn refined_cif(
    phase: &Phase,
    result: &PhaseResult,
    patterns: &[(&str, &Refinement)],
) -> Result<String> {
    let mut out = String::new();
    let name = block(&result.name);
    let _ = writeln!(out, "data_{name}");
    let _ = writeln!(out, "_pd_phase_name '{}'", result.name);
    let _ = writeln!(
        out,
        "_computing_structure_refinement 'xrd {}'",
        env!("CARGO_PKG_VERSION")
    );
    for (key, k) in [
        ("_cell_length_a", 0),
        ("_cell_length_b", 1),
        ("_cell_length_c", 2),
        ("_cell_angle_alpha", 3),
        ("_cell_angle_beta", 4),
        ("_cell_angle_gamma", 5),
    ] {
        let _ = writeln!(
            out,
            "{key} {}",
            cif_value(result.cell[k], result.cell_esd[k])
        );
    }
    let _ = writeln!(out, "_cell_volume {:.3}", result.volume);
    let _ = writeln!(out, "_symmetry_Int_Tables_number {}", result.space_group);
    if let Some((_, first)) = patterns.first() {
        let _ = writeln!(out, "_refine_ls_wR_factor_all {:.4}", first.rwp);
        let _ = writeln!(out, "_refine_ls_goodness_of_fit_all {:.3}", first.gof);
    }
    for (file, r) in patterns {
        let _ = writeln!(out, "# {file}: Rwp {:.4}, Rp {:.4}", r.rwp, r.rp);
    }
    out.push_str("loop_\n_space_group_symop_operation_xyz\n");
    let symmetry = phase.structure().symmetry(1e-2)?;
    for op in &symmetry.operations {
        let _ = writeln!(out, "'{}'", op.to_xyz());
    }
    out.push_str(
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_symmetry_multiplicity\n\
         _atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_adp_type\n\
         _atom_site_U_iso_or_equiv\n_atom_site_occupancy\n",
    );
    for s in &result.sites {
        let _ = writeln!(
            out,
            "{} {} {} {} {} {} {} {} {}",
            s.label,
            s.element,
            s.multiplicity,
            cif_value(s.xyz[0], s.xyz_esd[0]),
            cif_value(s.xyz[1], s.xyz_esd[1]),
            cif_value(s.xyz[2], s.xyz_esd[2]),
            if s.u_aniso.is_some() { "Uani" } else { "Uiso" },
            cif_value(s.u, s.u_esd),
            cif_value(s.occupancy, s.occupancy_esd),
        );
    }
    if result.sites.iter().any(|s| s.u_aniso.is_some()) {
        out.push_str(
            "loop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\n_atom_site_aniso_U_22\n\
             _atom_site_aniso_U_33\n_atom_site_aniso_U_12\n_atom_site_aniso_U_13\n\
             _atom_site_aniso_U_23\n",
        );
        for s in &result.sites {
            if let (Some(u), Some(e)) = (s.u_aniso, s.u_aniso_esd) {
                let cells: Vec<String> = (0..6).map(|c| cif_value(u[c], e[c])).collect();
                let _ = writeln!(out, "{} {}", s.label, cells.join(" "));
            }
        }
    }
    for (k, (file, r)) in patterns.iter().enumerate() {
        let _ = writeln!(out, "\ndata_{name}_pattern_{}", k + 1);
        let _ = writeln!(out, "_pd_block_id '{}'", file.replace('\'', "_"));
        let _ = writeln!(out, "_refine_ls_wR_factor_all {:.4}", r.rwp);
        let _ = writeln!(out, "_refine_ls_R_factor_all {:.4}", r.rp);
        out.push_str(
            "loop_\n_pd_proc_2theta_corrected\n_pd_meas_intensity_total\n\
             _pd_calc_intensity_total\n_pd_proc_intensity_bkg_calc\n",
        );
        for i in 0..r.two_theta.len() {
            let _ = writeln!(
                out,
                "{:.4} {:.2} {:.2} {:.2}",
                r.two_theta[i],
                r.observed[i],
                r.calculated[i],
                r.background.get(i).copied().unwrap_or(0.0)
            );
        }
    }
    Ok(out)
}
