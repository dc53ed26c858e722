//! Build the built-in (Sm,Zr)(Fe,Ti)12 data set and print a summary (timing on stderr).
//!
//! ```text
//! cargo run --release -p xrd-sim --example builtin
//! ```

use std::time::Instant;

use xrd_sim::builtin::BuiltinParams;

fn main() -> Result<(), xrd_sim::Error> {
    let t = Instant::now();
    let data = BuiltinParams::default().build()?;
    let elapsed = t.elapsed();
    println!("config_id,x,y,Sm,Zr,Fe,Ti,a,c,peaks,strongest_two_theta,strongest_hkl");
    for i in 0..data.len() {
        let c = data.composition.row(i);
        let [a, _, cc] = data.cells[i].lengths();
        let strongest = data.peaks[i]
            .iter()
            .copied()
            .fold(None::<xrd_io::IndexedPeak>, |m, p| match m {
                Some(q) if q.intensity >= p.intensity => Some(q),
                _ => Some(p),
            });
        let (tt, hkl) = strongest.map_or((f64::NAN, [0.0; 3]), |p| (p.two_theta, p.hkl));
        println!(
            "{},{},{},{},{},{},{},{a:.4},{cc:.4},{},{tt:.3},{} {} {}",
            data.config_id[i],
            data.x[i],
            data.y[i],
            c[0],
            c[1],
            c[2],
            c[3],
            data.peaks[i].len(),
            hkl[0],
            hkl[1],
            hkl[2]
        );
    }
    eprintln!(
        "{} patterns × {} points in {:.2} s",
        data.len(),
        data.grid.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
