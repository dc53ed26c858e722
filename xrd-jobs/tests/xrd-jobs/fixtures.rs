//! Halite patterns simulated on a coarse grid, each frame's cell a little larger, written as
//! `.xy` files with a CIF of the structure.

use std::path::{Path, PathBuf};

use xrd_io::{OutputFormat, Wavelength};
use xrd_sim::{PowderParams, Profile, Simulator, Structure};

/// Halite with cell length `a` (Å).
pub fn halite(a: f64) -> String {
    format!(
        "data_NaCl\n_cell_length_a {a}\n_cell_length_b {a}\n_cell_length_c {a}\n\
         _cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n\
         _symmetry_space_group_name_H-M 'F m -3 m'\n\
         loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n\
         Na 0 0 0\nCl 0.5 0.5 0.5\n"
    )
}

/// `dir/halite.cif` (a = 5.64 Å) and `frames` patterns `dir/frame_K.xy`, frame k's cell
/// 5.64 + 0.002 k Å, with a flat background and a small deterministic ripple as noise.
pub fn series(dir: &Path, frames: usize) -> (PathBuf, Vec<PathBuf>) {
    let cif = dir.join("halite.cif");
    std::fs::write(&cif, halite(5.64)).unwrap();
    let sim = Simulator::new(
        PowderParams::new()
            .radiation(Wavelength::CU_KA)
            .two_theta_range(20.0, 80.0),
    )
    .unwrap();
    let profile = Profile::pseudo_voigt(0.5, 0.15);
    let files = (0..frames)
        .map(|k| {
            let s = Structure::from_cif(&halite(5.64 + 0.002 * k as f64)).unwrap();
            let peaks = sim.peaks(&s).unwrap();
            let p = xrd_jobs::simulated_pattern(
                &sim,
                &peaks,
                Wavelength::CU_KA,
                (20.0, 80.0),
                0.04,
                &profile,
            )
            .unwrap();
            let y: Vec<f64> = (p.intensity().iter().enumerate())
                .map(|(i, v)| 20.0 + 10.0 * v + 0.3 * ((i * 7919 % 13) as f64 - 6.0))
                .collect();
            let p = p.with_intensity(y).unwrap();
            let path = dir.join(format!("frame_{k}.xy"));
            xrd_io::save(&path, &[p], OutputFormat::Xy).unwrap();
            path
        })
        .collect();
    (cif, files)
}

/// Runs `job` under a control that another thread cancels at the first `stage` event (the
/// event waits until the cancel is made), and returns what it returned and how long after the
/// cancel. Panics when no stage event comes: the refinement would not run under the control.
pub fn cancelled_at_first_stage<T>(
    job: impl FnOnce(&xrd_jobs::Control) -> T,
) -> (T, std::time::Duration) {
    use std::time::{Duration, Instant};
    let (tell, heard) = std::sync::mpsc::channel::<()>();
    let (ack, acked) = std::sync::mpsc::channel::<()>();
    let once = std::sync::Mutex::new(Some((tell, acked)));
    let control = xrd_jobs::Control::new().on_progress(move |p| {
        if p.what == "stage"
            && let Some((tell, acked)) = once.lock().unwrap().take()
        {
            tell.send(()).unwrap();
            acked.recv_timeout(Duration::from_secs(10)).unwrap();
        }
    });
    let canceller = control.clone();
    let watcher = std::thread::spawn(move || {
        heard
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no stage event of the refinement"));
        canceller.cancel();
        let at = Instant::now();
        ack.send(()).unwrap();
        at
    });
    let out = job(&control);
    let returned = Instant::now();
    let at = watcher.join().unwrap();
    (out, returned - at)
}
