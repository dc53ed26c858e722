//! Loading a folder of pattern files onto one grid, with labels from a CSV (needs the `formats`
//! feature: it reads every file format).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::{Array2, Axis};

use crate::error::excerpt;
use crate::{Dataset, Error, Float, Grid, Location, OutOfRange, Result, resample_into};

/// A file of a folder that could not be loaded, and why.
#[derive(Debug)]
pub struct LoadFailure {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub error: Error,
}

/// The outcome of [`Dataset::load_dir`]: the patterns that loaded, and every file that did not.
#[derive(Debug)]
pub struct LoadReport<F: Float> {
    /// The loaded patterns, in file-name order (with labels: the files that have a labels row).
    pub dataset: Dataset<F>,
    /// With labels: the files that loaded but have no labels row (no label columns), e.g. the
    /// samples whose labels are to be estimated. Empty without labels.
    pub unlabelled: Dataset<F>,
    /// Files that were skipped, each with its error (unreadable, unparsable, outside the grid).
    pub failures: Vec<LoadFailure>,
    /// Names in the labels file that match no file of the folder.
    pub unmatched_labels: Vec<String>,
}

/// Rows of equal length as an `n × width` matrix.
fn stack<F: Float>(rows: &[Vec<F>], width: usize) -> Array2<F> {
    let mut data = Array2::zeros((rows.len(), width));
    for (mut dst, src) in data.axis_iter_mut(Axis(0)).zip(rows) {
        dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
    }
    data
}

/// Labels read from a CSV: column names and one numeric row per file name.
struct Labels {
    names: Vec<String>,
    rows: HashMap<String, Vec<f64>>,
    order: Vec<String>,
}

/// Reads `file,label1,label2,…` (header row first; `,`, `;` or tab separated; `#` comments).
fn read_labels(path: &Path) -> Result<Labels> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })?;
    let file = path.display().to_string();
    let mut header: Option<(Vec<String>, char)> = None;
    let mut rows = HashMap::new();
    let mut order = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((names, sep)) = &header else {
            let sep = [',', ';', '\t']
                .into_iter()
                .find(|&c| line.contains(c))
                .unwrap_or(',');
            header = Some((
                line.split(sep)
                    .skip(1)
                    .map(|s| s.trim().to_owned())
                    .collect(),
                sep,
            ));
            continue;
        };
        let cells: Vec<&str> = line.split(*sep).map(str::trim).collect();
        if cells.len() != names.len() + 1 {
            return Err(Error::ColumnMismatch {
                file,
                at: Location::Line(n),
                expected: names.len() + 1,
                found: cells.len(),
            });
        }
        let values = cells[1..]
            .iter()
            .map(|c| {
                crate::formats::number(c)
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| Error::Syntax {
                        file: file.clone(),
                        at: Location::Line(n),
                        expected: "a finite number".into(),
                        found: excerpt(c),
                    })
            })
            .collect::<Result<Vec<f64>>>()?;
        let key = cells[0].to_owned();
        if rows.insert(key.clone(), values).is_some() {
            return Err(Error::Syntax {
                file,
                at: Location::Line(n),
                expected: "one row per file name".into(),
                found: excerpt(&key),
            });
        }
        order.push(key);
    }
    let Some((names, _)) = header else {
        return Err(Error::NoData {
            file,
            expected: "a header row `file,label…` and one row per file".into(),
        });
    };
    Ok(Labels { names, rows, order })
}

impl<F: Float> Dataset<F> {
    /// Loads every file of `dir` (not recursively; hidden files and the labels file skipped),
    /// resampled onto `grid`, with numeric labels from the CSV `labels` (first column the file name,
    /// with or without extension; a header row names the label columns).
    ///
    /// Files that fail are reported in [`LoadReport::failures`] with their error, never silently
    /// dropped; with labels, a file without a labels row goes to [`LoadReport::unlabelled`]. A
    /// file holding several patterns contributes one row each, named `file#k`.
    ///
    /// # Errors
    /// [`Error::File`] when the folder or the labels file cannot be read; errors of the labels file
    /// itself ([`Error::Syntax`], [`Error::ColumnMismatch`], [`Error::NoData`]).
    pub fn load_dir(
        dir: impl AsRef<Path>,
        labels: Option<&Path>,
        grid: Grid,
        policy: OutOfRange,
    ) -> Result<LoadReport<F>> {
        let dir = dir.as_ref();
        let labels_file = labels.and_then(|p| p.canonicalize().ok());
        let labels = labels.map(read_labels).transpose()?;
        let mut paths = crate::list_files(dir)?;
        paths.retain(|path| labels_file.is_none() || path.canonicalize().ok() != labels_file);
        let mut rows: Vec<Vec<F>> = Vec::new();
        let mut names = Vec::new();
        let mut label_rows: Vec<Vec<f64>> = Vec::new();
        let (mut free_rows, mut free_names): (Vec<Vec<F>>, Vec<String>) = (Vec::new(), Vec::new());
        let mut failures = Vec::new();
        let mut used = std::collections::HashSet::new();
        for path in paths {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // `None`: no labels row (with labels) — the file goes to the unlabelled set.
            let label = match &labels {
                Some(l) => l
                    .rows
                    .get(&file)
                    .map(|r| (&file, r))
                    .or_else(|| l.rows.get(&stem).map(|r| (&stem, r)))
                    .map(|(key, r)| {
                        used.insert(key.clone());
                        r.clone()
                    }),
                None => Some(Vec::new()),
            };
            let loaded = crate::read(&path).and_then(|ps| {
                let many = ps.len() > 1;
                ps.iter()
                    .enumerate()
                    .map(|(k, p)| {
                        let mut row = vec![F::zero(); grid.len()];
                        resample_into(p.two_theta(), p.intensity(), &grid, policy, &mut row)?;
                        Ok((
                            if many {
                                format!("{file}#{k}")
                            } else {
                                file.clone()
                            },
                            row,
                        ))
                    })
                    .collect::<Result<Vec<_>>>()
            });
            match loaded {
                Ok(done) => {
                    for (name, row) in done {
                        if let Some(label) = &label {
                            names.push(name);
                            rows.push(row);
                            label_rows.push(label.clone());
                        } else {
                            free_names.push(name);
                            free_rows.push(row);
                        }
                    }
                }
                Err(error) => failures.push(LoadFailure { path, error }),
            }
        }
        let label_names = labels.as_ref().map(|l| l.names.clone()).unwrap_or_default();
        let mut label_array = Array2::zeros((rows.len(), label_names.len()));
        for (mut dst, src) in label_array.axis_iter_mut(Axis(0)).zip(&label_rows) {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
        }
        let free_labels = Array2::zeros((free_rows.len(), 0));
        let unmatched_labels = labels
            .map(|l| l.order.into_iter().filter(|k| !used.contains(k)).collect())
            .unwrap_or_default();
        Ok(LoadReport {
            dataset: Dataset::new(
                grid,
                stack(&rows, grid.len()),
                names,
                label_array,
                label_names,
            )?,
            unlabelled: Dataset::new(
                grid,
                stack(&free_rows, grid.len()),
                free_names,
                free_labels,
                Vec::new(),
            )?,
            failures,
            unmatched_labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_dir_reports_every_failure() {
        let dir = tempfile::tempdir().unwrap();
        let put = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        put("a.xy", "1 1\n2 2\n3 3\n");
        put("b.xy", "1 5\n3 5\n");
        put("bad.xy", "1 1\n0 2\n");
        put("nolabel.xy", "1 1\n3 1\n");
        put("narrow.xy", "1.5 1\n2.5 1\n");
        put(".hidden", "x");
        put(
            "labels.csv",
            "file,x,y\na.xy,0.1,0.2\nb,0.3,0.4\nbad.xy,0,0\nnarrow.xy,1,1\nghost.xy,1,1\n",
        );
        let g = Grid::new(1.0, 1.0, 3).unwrap();
        let labels = dir.path().join("labels.csv");
        let r = Dataset::<f64>::load_dir(dir.path(), Some(&labels), g, OutOfRange::Error).unwrap();
        assert_eq!(r.dataset.names, vec!["a.xy", "b.xy"]);
        assert_eq!(r.dataset.label("y").unwrap().to_vec(), vec![0.2, 0.4]);
        assert_eq!(r.dataset.pattern(1).to_vec(), vec![5.0, 5.0, 5.0]);
        let failed: Vec<String> = r
            .failures
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(failed, vec!["bad.xy", "narrow.xy"]);
        assert!(matches!(r.failures[0].error, Error::NonMonotonic { .. }));
        assert!(matches!(r.failures[1].error, Error::OutsideRange { .. }));
        assert_eq!(r.unlabelled.names, vec!["nolabel.xy"]);
        assert_eq!(r.unlabelled.pattern(0).to_vec(), vec![1.0, 1.0, 1.0]);
        assert_eq!(r.unlabelled.labels.ncols(), 0);
        assert_eq!(r.unmatched_labels, vec!["ghost.xy"]);
        // Without labels every parsable file loads; the labels CSV is read as data too and fails.
        let r = Dataset::<f32>::load_dir(dir.path(), None, g, OutOfRange::Zero).unwrap();
        assert_eq!(
            r.dataset.names,
            vec!["a.xy", "b.xy", "narrow.xy", "nolabel.xy"]
        );
        assert_eq!(r.failures.len(), 2, "{:?}", r.failures);
        assert!(r.unlabelled.is_empty());
        put("labels.csv", "file,x\na.xy,zz\n");
        assert!(matches!(
            Dataset::<f64>::load_dir(dir.path(), Some(&labels), g, OutOfRange::Zero),
            Err(Error::Syntax { .. })
        ));
        put("labels.csv", "file,x\na.xy,1,2\n");
        assert!(matches!(
            Dataset::<f64>::load_dir(dir.path(), Some(&labels), g, OutOfRange::Zero),
            Err(Error::ColumnMismatch { .. })
        ));
        assert!(matches!(
            Dataset::<f64>::load_dir(dir.path().join("none"), None, g, OutOfRange::Zero),
            Err(Error::File { .. })
        ));
    }
}
