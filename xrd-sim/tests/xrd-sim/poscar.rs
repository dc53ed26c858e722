//! The POSCAR reader never panics on arbitrary bytes, mutations of a valid file or generated
//! files with mutated fields.

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

/// The fields of a generated POSCAR.
#[derive(Debug, Clone)]
struct Poscar {
    /// One factor, or three, or a negative volume.
    scale: Vec<f64>,
    lattice: [[f64; 3]; 3],
    /// Species names (on the comment line in VASP 4 files).
    species: Vec<&'static str>,
    vasp4: bool,
    counts: Vec<usize>,
    selective: bool,
    cartesian: bool,
    positions: Vec<[f64; 3]>,
    velocities: bool,
}

impl Poscar {
    fn atoms(&self) -> usize {
        self.counts.iter().sum()
    }

    fn text(&self) -> String {
        let names = self.species.join(" ");
        let mut t = if self.vasp4 {
            format!("{names}\n")
        } else {
            "generated\n".to_string()
        };
        let row = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.8}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        t += &row(&self.scale);
        t += "\n";
        for v in &self.lattice {
            t += &row(v);
            t += "\n";
        }
        if !self.vasp4 {
            t += &names;
            t += "\n";
        }
        t += &self
            .counts
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        t += "\n";
        if self.selective {
            t += "Selective dynamics\n";
        }
        t += if self.cartesian {
            "Cartesian\n"
        } else {
            "Direct\n"
        };
        for p in &self.positions[..self.atoms()] {
            t += &row(p);
            if self.selective {
                t += " T T F";
            }
            t += "\n";
        }
        if self.velocities {
            t += "\n";
            for _ in 0..self.atoms() {
                t += "0.0 0.0 0.0\n";
            }
        }
        t
    }
}

const SPECIES: [&str; 6] = ["Si", "O", "Ti", "Fe", "Sm", "Zr"];

fn gen_poscar() -> impl Strategy<Value = Poscar> {
    (
        prop_oneof![
            (0.5f64..2.0).prop_map(|s| vec![s]),
            (-500.0f64..-20.0).prop_map(|v| vec![v]),
            [0.5f64..2.0, 0.5f64..2.0, 0.5f64..2.0].prop_map(|s| s.to_vec()),
        ],
        [
            3.0f64..8.0,
            3.0f64..8.0,
            3.0f64..8.0,
            -0.5f64..0.5,
            -0.5f64..0.5,
            -0.5f64..0.5,
        ],
        proptest::collection::vec(1usize..4, 1..4),
        any::<[bool; 4]>(),
        proptest::collection::vec([0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0], 12),
    )
        .prop_map(
            |(scale, l, counts, [vasp4, selective, cartesian, velocities], positions)| {
                Poscar {
                    scale,
                    // Diagonal-dominant: never singular.
                    lattice: [[l[0], l[3], 0.0], [l[4], l[1], 0.0], [0.0, l[5], l[2]]],
                    species: SPECIES[..counts.len()].to_vec(),
                    vasp4,
                    counts,
                    selective,
                    cartesian,
                    positions,
                    velocities,
                }
            },
        )
}

/// What a mutation puts in place of a token: numbers the reader must refuse or survive
/// (non-finite, huge, negative, zero, counts at and past the limit and past usize), words in the
/// wrong place, and nothing at all.
const EDGE_TOKENS: [&str; 24] = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e-320",
    "0",
    "-0",
    "-1",
    "1e400",
    "10000000",
    "10000001",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    "Xx",
    "Si",
    "T",
    "Direct",
    "Cartesian",
    "Selective",
    "0x10",
    "",
];

#[derive(Debug, Clone)]
enum PoscarMutation {
    Token { k: usize, edge: usize },
    DeleteLine { k: usize },
    RepeatLine { k: usize },
    Truncate { k: usize },
}

fn poscar_mutation() -> impl Strategy<Value = PoscarMutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..EDGE_TOKENS.len()).prop_map(|(k, edge)| PoscarMutation::Token { k, edge }),
        1 => any::<usize>().prop_map(|k| PoscarMutation::DeleteLine { k }),
        1 => any::<usize>().prop_map(|k| PoscarMutation::RepeatLine { k }),
        1 => any::<usize>().prop_map(|k| PoscarMutation::Truncate { k }),
    ]
}

fn mutate(text: &str, mutations: &[PoscarMutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match *m {
            PoscarMutation::Token { k, edge } => {
                let tokens: Vec<(usize, usize)> = lines
                    .iter()
                    .enumerate()
                    .flat_map(|(i, l)| (0..l.split_whitespace().count()).map(move |j| (i, j)))
                    .collect();
                if tokens.is_empty() {
                    continue;
                }
                let (i, j) = tokens[k % tokens.len()];
                let mut words: Vec<&str> = lines[i].split_whitespace().collect();
                words[j] = EDGE_TOKENS[edge];
                lines[i] = words.join(" ");
            }
            PoscarMutation::DeleteLine { k } => {
                lines.remove(k % n);
            }
            PoscarMutation::RepeatLine { k } => {
                let l = lines[k % n].clone();
                lines.insert(k % n, l);
            }
            PoscarMutation::Truncate { k } => lines.truncate(k % n),
        }
    }
    lines.join("\n") + "\n"
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

    /// Generated files read as generated; with mutated fields they reach every check of the
    /// reader (scale, cell, species, counts, mode, positions) and are refused or read into a
    /// usable structure, never a panic.
    #[test]
    fn generated_files_with_mutated_fields_are_read_or_refused(
        poscar in gen_poscar(),
        mutations in proptest::collection::vec(poscar_mutation(), 1..4),
    ) {
        let text = poscar.text();
        let s = Structure::from_poscar_str(&text);
        prop_assert!(s.is_ok(), "{s:?}\n{text}");
        prop_assert_eq!(s.unwrap().len(), poscar.atoms());
        let mutated = mutate(&text, &mutations);
        if let Ok(s) = Structure::from_poscar_str(&mutated) {
            let v = s.lattice().volume();
            prop_assert!(v.is_finite() && v > 0.0, "volume {v}\n{mutated}");
            prop_assert!(
                s.sites().iter().all(|x| x.frac.iter().all(|c| c.is_finite())),
                "non-finite position\n{mutated}"
            );
        }
    }
}
