//! NumPy `.npy` and `.npz` pattern matrices, read and written with `ndarray-npy`.
//!
//! Every `.npy` header is parsed and checked against the bytes that follow it before
//! `ndarray-npy` allocates the array, so a header that promises more data than the file holds
//! is an error, never a huge allocation.

use std::fs::File;
use std::path::Path;

use ndarray::{Array1, Array2, ArrayD, Axis, Ix1, Ix2};
use ndarray_npy::{NpzWriter, WritableElement, WriteNpyExt};

use crate::error::{NO_FILE, excerpt};
use crate::formats::Archive;
use crate::npy_array::{EXACT_INTEGER, Kind, header, load, read_f64, shape_of, syntax};
use crate::write::atomically;
use crate::{Dataset, Error, Float, Grid, Location, Result};

/// Name of the pattern matrix in an `.npz` ([`Dataset::read_npz`], [`Dataset::write_npz`]).
pub const NPZ_PATTERNS: &str = "patterns";
/// Name of the 2θ positions in an `.npz` ([`Dataset::read_npz`], [`Dataset::write_npz`]).
pub const NPZ_TWO_THETA: &str = "two_theta";

/// Checks that a pattern matrix (standard layout) is finite, naming the first bad value.
fn check_finite<F: Float>(patterns: &Array2<F>, file: &str) -> Result<()> {
    let cols = patterns.ncols().max(1);
    let bad = match patterns.as_slice() {
        Some(flat) => flat.iter().position(|v| !v.is_finite()),
        None => patterns.iter().position(|v| !v.is_finite()),
    };
    match bad {
        Some(at) => Err(Error::NonFinite {
            file: format!("{file}: row {}", at / cols),
            at: Location::Point(at % cols),
            what: "intensity",
            value: patterns[[at / cols, at % cols]].as_f64(),
        }),
        None => Ok(()),
    }
}

/// The array of the `.npy` in `bytes` as `F`: kept as read when the file holds `F`, else
/// converted in one pass (a pattern matrix is the bulk of a file: no `f64` copy on the way).
fn read_as<F: Float>(bytes: &[u8], file: &str) -> Result<ArrayD<F>> {
    let a = match header(bytes, file)?.kind {
        Kind::F32 => same_or(load::<f32>(bytes, file)?, |v| F::of(f64::from(v))),
        Kind::F64 => same_or(load::<f64>(bytes, file)?, F::of),
        _ => Some(read_f64(bytes, file)?.mapv(F::of)),
    };
    a.ok_or_else(|| Error::Degenerate {
        what: "NumPy array conversion",
        reason: "the array was lost in conversion (a bug)".into(),
    })
}

/// `a` itself when its element type is `F` (no copy of a large matrix), else converted by `to`.
fn same_or<A: Copy + 'static, F: Float>(a: ArrayD<A>, to: impl Fn(A) -> F) -> Option<ArrayD<F>> {
    let mut slot = Some(a);
    let same = match (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<ArrayD<F>>>() {
        Some(same) => same.take(),
        None => None,
    };
    same.or_else(|| slot.map(|a| a.mapv(to)))
}

/// A 1-D or 2-D array as a pattern matrix (a 1-D array is one pattern).
fn matrix<F: Float>(a: ArrayD<F>, file: &str) -> Result<Array2<F>> {
    let m = match a.ndim() {
        1 => a
            .into_dimensionality::<Ix1>()
            .map(|v| v.insert_axis(Axis(0))),
        _ => a.into_dimensionality::<Ix2>(),
    }
    .map_err(|e| syntax(file, 0, "a 1-D or 2-D array of patterns", format!("{e}")))?;
    let m = if m.is_standard_layout() {
        m
    } else {
        m.as_standard_layout().into_owned()
    };
    check_finite(&m, file)?;
    Ok(m)
}

fn row_names(file: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{file}#{i}")).collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })
}

/// The array of `F` as an array of its own dtype, for writing.
fn write_matrix<F: Float>(
    a: &Array2<F>,
    mut w: impl FnMut(&dyn NpyArray) -> Result<()>,
) -> Result<()> {
    if F::NAME == "f32" {
        w(&a.mapv(|v| v.as_f64() as f32))
    } else {
        w(&a.mapv(Float::as_f64))
    }
}

/// An array `ndarray-npy` can write, behind one object-safe interface.
trait NpyArray {
    fn write_npy_to(&self, out: &mut File) -> std::result::Result<(), String>;
    fn add_to(&self, npz: &mut NpzWriter<&mut File>, name: &str)
    -> std::result::Result<(), String>;
}

impl<T: WritableElement, D: ndarray::Dimension> NpyArray for ndarray::Array<T, D> {
    fn write_npy_to(&self, out: &mut File) -> std::result::Result<(), String> {
        self.write_npy(std::io::BufWriter::new(out))
            .map_err(|e| e.to_string())
    }
    fn add_to(
        &self,
        npz: &mut NpzWriter<&mut File>,
        name: &str,
    ) -> std::result::Result<(), String> {
        npz.add_array(name, self).map_err(|e| e.to_string())
    }
}

fn write_error(path: &Path, message: String) -> Error {
    Error::File {
        path: path.to_owned(),
        source: std::io::Error::other(message),
    }
}

impl<F: Float> Dataset<F> {
    /// Reads an `.npz` of patterns on one grid, as written by `numpy.savez` (compressed or not)
    /// or [`write_npz`](Self::write_npz).
    ///
    /// The archive must hold `patterns` (n × points, or one pattern as a 1-D array; any integer
    /// or float dtype) and `two_theta` (points, uniformly spaced, see [`Grid::from_positions`]).
    /// Every other 1-D numeric or boolean array of n values becomes a label column under its
    /// own name ([`Dataset::label`]); integers are exact up to 2⁵³. Arrays of other shapes are
    /// ignored. Rows are named `file#i` (NumPy files carry no row names).
    ///
    /// ```no_run
    /// use xrd_io::Dataset;
    /// let d = Dataset::<f32>::read_npz("rruff_dev.npz")?;
    /// let space_groups = d.label("space_group").expect("a space_group array");
    /// println!("{} patterns of {} points, first space group {}", d.len(), d.grid.len(), space_groups[0]);
    /// # Ok::<(), xrd_io::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::File`] when the file cannot be read, plus the errors of
    /// [`from_npz_bytes`](Self::from_npz_bytes).
    pub fn read_npz(path: impl AsRef<Path>) -> Result<Dataset<F>> {
        let path = path.as_ref();
        Self::from_npz_bytes(&read_file(path)?, Some(&file_name(path)))
    }

    /// [`read_npz`](Self::read_npz) from the bytes of an `.npz`; `name` names the input in
    /// errors and row names.
    ///
    /// # Errors
    /// [`Error::Archive`] for a broken zip or a missing `patterns`/`two_theta`;
    /// [`Error::TooLarge`] for a member beyond [`crate::MAX_MEMBER_BYTES`];
    /// [`Error::Syntax`] / [`Error::Truncated`] for a malformed `.npy` member or an unsupported
    /// dtype; [`Error::ShapeMismatch`] when `two_theta` does not match the pattern length;
    /// [`Error::NonFinite`] for a NaN or infinite intensity or label; the errors of
    /// [`Grid::from_positions`].
    pub fn from_npz_bytes(bytes: &[u8], name: Option<&str>) -> Result<Dataset<F>> {
        let file = name.unwrap_or(NO_FILE);
        let mut zip = Archive::open(bytes, file)?;
        let members = zip.names();
        let find = |want: &str| {
            members
                .iter()
                .find(|m| m.as_str() == format!("{want}.npy") || m.as_str() == want)
                .cloned()
                .ok_or_else(|| Error::Archive {
                    file: file.to_owned(),
                    message: format!(
                        "no array named {want:?} (found {})",
                        members
                            .iter()
                            .map(|m| m.trim_end_matches(".npy"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
        };
        let (pm, tm) = (find(NPZ_PATTERNS)?, find(NPZ_TWO_THETA)?);
        let member = |m: &str| format!("{file}/{m}");
        let patterns = matrix(read_as::<F>(&zip.read(&pm)?, &member(&pm))?, &member(&pm))?;
        let two_theta = read_f64(&zip.read(&tm)?, &member(&tm))?;
        if two_theta.ndim() != 1 {
            return Err(syntax(
                &member(&tm),
                0,
                "a 1-D array of 2θ values",
                format!("shape {:?}", two_theta.shape()),
            ));
        }
        if two_theta.len() != patterns.ncols() {
            return Err(Error::shape(
                "two_theta values per pattern point",
                patterns.ncols(),
                two_theta.len(),
            ));
        }
        let positions: Vec<f64> = two_theta.iter().copied().collect();
        let grid = Grid::from_positions(&positions)?;
        let n = patterns.nrows();
        let mut label_names = Vec::new();
        let mut columns = Vec::new();
        // Only NumPy arrays: other members (none in files NumPy writes) are not data.
        for m in members
            .iter()
            .filter(|m| **m != pm && **m != tm && m.ends_with(".npy"))
        {
            let bytes = zip.read(m)?;
            let label = shape_of(&bytes, &member(m))?;
            if label != [n] {
                continue;
            }
            let values = read_f64(&bytes, &member(m))?;
            if let Some((i, &v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::NonFinite {
                    file: member(m),
                    at: Location::Point(i),
                    what: "label",
                    value: v,
                });
            }
            label_names.push(m.strip_suffix(".npy").unwrap_or(m).to_owned());
            columns.push(values);
        }
        let mut labels = Array2::zeros((n, columns.len()));
        for (mut dst, src) in labels.axis_iter_mut(Axis(1)).zip(&columns) {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
        }
        Dataset::new(grid, patterns, row_names(file, n), labels, label_names)
    }

    /// Reads an `.npy` pattern matrix (n × points, or one 1-D pattern; any integer or float
    /// dtype, either byte order, C or Fortran order) sampled on `grid`, e.g. a grid from the
    /// matching 2θ file through [`Grid::from_positions`]. Rows are named `file#i`; no labels.
    ///
    /// # Errors
    /// [`Error::File`] when the file cannot be read, plus the errors of
    /// [`from_npy_bytes`](Self::from_npy_bytes).
    pub fn read_npy(path: impl AsRef<Path>, grid: Grid) -> Result<Dataset<F>> {
        let path = path.as_ref();
        Self::from_npy_bytes(&read_file(path)?, grid, Some(&file_name(path)))
    }

    /// [`read_npy`](Self::read_npy) from the bytes of an `.npy`.
    ///
    /// # Errors
    /// [`Error::Syntax`] / [`Error::Truncated`] for a malformed file, an unsupported dtype or
    /// more than two dimensions; [`Error::ShapeMismatch`] when the pattern length differs
    /// from `grid`; [`Error::NonFinite`] for a NaN or infinite intensity.
    pub fn from_npy_bytes(bytes: &[u8], grid: Grid, name: Option<&str>) -> Result<Dataset<F>> {
        let file = name.unwrap_or(NO_FILE);
        let patterns = matrix(read_as::<F>(bytes, file)?, file)?;
        let n = patterns.nrows();
        Dataset::new(
            grid,
            patterns,
            row_names(file, n),
            Array2::zeros((n, 0)),
            Vec::new(),
        )
    }

    /// Writes the dataset atomically as an uncompressed `.npz` (like `numpy.savez`):
    /// `patterns` in `F`'s dtype (`float32` or `float64`), `two_theta` (`float64`), and one
    /// array per label column — `int64` when every value is a whole number of magnitude
    /// ≤ 2⁵³, else `float64`. Row names are not stored.
    ///
    /// ```
    /// use ndarray::array;
    /// use xrd_io::{Dataset, Grid};
    /// let grid = Grid::new(10.0, 0.5, 3)?;
    /// let d = Dataset::<f32>::new(grid, array![[1.0, 2.0, 3.0]], vec!["a".into()],
    ///     array![[225.0]], vec!["space_group".into()])?;
    /// let path = std::env::temp_dir().join(format!("xrd-io-doc-{}.npz", std::process::id()));
    /// d.write_npz(&path)?;
    /// let back = Dataset::<f32>::read_npz(&path)?;
    /// assert_eq!((back.patterns, back.grid, back.labels), (d.patterns, d.grid, d.labels));
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), xrd_io::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty, duplicate or reserved (`patterns`,
    /// `two_theta`) label name; [`Error::ShapeMismatch`] for an inconsistent dataset;
    /// [`Error::File`] when writing fails.
    pub fn write_npz(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.check()?;
        for (j, name) in self.label_names.iter().enumerate() {
            let bad = name.is_empty()
                || name == NPZ_PATTERNS
                || name == NPZ_TWO_THETA
                || self.label_names[..j].contains(name);
            if bad {
                return Err(Error::param(
                    "label_names",
                    crate::error::reason(
                        excerpt(name),
                        "non-empty, unique names other than `patterns` and `two_theta`",
                    ),
                ));
            }
        }
        atomically(path, |file, temp| {
            let mut npz = NpzWriter::new(file);
            let fail = |e: String| write_error(temp, e);
            write_matrix(&self.patterns, |a| {
                a.add_to(&mut npz, NPZ_PATTERNS).map_err(fail)
            })?;
            Array1::from(self.grid.positions())
                .add_to(&mut npz, NPZ_TWO_THETA)
                .map_err(fail)?;
            for (name, column) in self.label_names.iter().zip(self.labels.axis_iter(Axis(1))) {
                let integral = column
                    .iter()
                    .all(|&v| v.fract() == 0.0 && v.abs() <= EXACT_INTEGER);
                if integral {
                    column.mapv(|v| v as i64).add_to(&mut npz, name)
                } else {
                    column.to_owned().add_to(&mut npz, name)
                }
                .map_err(fail)?;
            }
            npz.finish().map_err(|e| fail(e.to_string()))?;
            Ok(())
        })
    }

    /// Writes the pattern matrix alone atomically as an `.npy` in `F`'s dtype (the grid and
    /// labels are not stored: use [`write_npz`](Self::write_npz) to keep them).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for an inconsistent dataset; [`Error::File`] when writing fails.
    pub fn write_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        self.check()?;
        atomically(path.as_ref(), |file, temp| {
            write_matrix(&self.patterns, |a| {
                a.write_npy_to(file).map_err(|e| write_error(temp, e))
            })
        })
    }
}
