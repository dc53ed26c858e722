//! The POSCAR reader never panics on arbitrary bytes or mutations of a valid file.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use xrd_sim::Structure;

const CONTCAR: &str = "Si8 diamond
5.431
1 0 0
0 1 0
0 0 1
Si
8
Selective dynamics
Direct
0 0 0 T T T
0 0.5 0.5 T T T
0.5 0 0.5 T T T
0.5 0.5 0 T T T
0.25 0.25 0.25 T T T
0.25 0.75 0.75 T T T
0.75 0.25 0.75 T T T
0.75 0.75 0.25 T T T

0 0 0
0 0 0
0 0 0
0 0 0
0 0 0
0 0 0
0 0 0
0 0 0
";

#[test]
fn contcar_with_velocities_reads() {
    let s = Structure::from_poscar_str(CONTCAR).unwrap();
    assert_eq!(s.len(), 8);
    assert!((s.lattice().volume() - 5.431f64.powi(3)).abs() < 1e-9);
    assert_eq!(s.space_group(1e-3).unwrap().number, 227);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Structure::from_poscar_str(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn never_panics_on_mutated_files(cut in 0usize..400, junk in "[ -~\n]{0,12}") {
        let cut = cut.min(CONTCAR.len());
        let mutated = format!("{}{}{}", &CONTCAR[..cut], junk, &CONTCAR[cut..]);
        let _ = Structure::from_poscar_str(&mutated);
        let _ = Structure::from_poscar_str(&CONTCAR[..cut]);
    }
}
