//! Results for people and for scripts: one [`Table`] printed as aligned columns, CSV or JSON.

use std::fmt::Write as _;

use serde_json::Value;

/// How a subcommand prints its results (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a person to read.
    #[default]
    Table,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON array of objects keyed by the column names.
    Json,
}

/// One cell: the text shown in tables and CSV and the value written to JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    text: String,
    json: Value,
}

impl Cell {
    /// A text cell.
    pub fn text(s: impl Into<String>) -> Self {
        let text = s.into();
        Self {
            json: Value::String(text.clone()),
            text,
        }
    }

    /// A number shown with `decimals` decimals; JSON keeps every digit. Not finite (an esd
    /// that could not be had): an empty cell, JSON null.
    pub fn number(x: f64, decimals: usize) -> Self {
        match serde_json::Number::from_f64(x) {
            Some(n) => Self {
                text: format!("{x:.decimals$}"),
                json: Value::Number(n),
            },
            None => Self::empty(),
        }
    }

    /// A whole number.
    pub fn integer(n: i64) -> Self {
        Self {
            text: n.to_string(),
            json: Value::from(n),
        }
    }

    /// An empty cell (JSON null).
    pub fn empty() -> Self {
        Self {
            text: String::new(),
            json: Value::Null,
        }
    }
    /// The text shown in tables and CSV.
    pub fn as_text(&self) -> &str {
        &self.text
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or_else(Cell::empty, Into::into)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::text(s)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::text(s)
    }
}

/// Rows under named columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        Self {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells are empty, extra cells are dropped.
    pub fn push(&mut self, row: Vec<Cell>) {
        let mut row = row;
        row.resize(self.columns.len(), Cell::empty());
        self.rows.push(row);
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table in `format`, ending with a newline (an empty JSON array for no rows).
    ///
    /// ```
    /// use xrd_cli::output::{Cell, Format, Table};
    /// let mut t = Table::new(["phase", "score"]);
    /// t.push(vec![Cell::text("Manganosite"), Cell::number(0.96213, 3)]);
    /// assert_eq!(t.render(Format::Csv), "phase,score\nManganosite,0.962\n");
    /// assert_eq!(t.render(Format::Table), "phase        score\nManganosite  0.962\n");
    /// assert_eq!(t.render(Format::Json), "[{\"phase\":\"Manganosite\",\"score\":0.96213}]\n");
    /// ```
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.aligned(),
            Format::Csv => self.csv(),
            Format::Json => self.json(),
        }
    }

    fn aligned(&self) -> String {
        let mut width: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.text.chars().count());
            }
        }
        let mut out = String::new();
        let lines = std::iter::once(self.columns.iter().map(String::as_str).collect::<Vec<_>>())
            .chain(
                self.rows
                    .iter()
                    .map(|r| r.iter().map(|c| c.text.as_str()).collect()),
            );
        for line in lines {
            let mut text = String::new();
            for (k, (cell, w)) in line.iter().zip(&width).enumerate() {
                if k > 0 {
                    text.push_str("  ");
                }
                let _ = write!(text, "{cell:<w$}");
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }

    fn csv(&self) -> String {
        let mut out = String::new();
        let line = |cells: Vec<&str>| {
            cells
                .into_iter()
                .map(csv_field)
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push_str(&line(self.columns.iter().map(String::as_str).collect()));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row.iter().map(|c| c.text.as_str()).collect()));
            out.push('\n');
        }
        out
    }

    /// Objects keep the column order (serde_json's `Map` would sort them).
    fn json(&self) -> String {
        let objects: Vec<String> = self
            .rows
            .iter()
            .map(|row| {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(name, cell)| format!("{}:{}", Value::from(name.as_str()), cell.json))
                    .collect();
                format!("{{{}}}", fields.join(","))
            })
            .collect();
        format!("[{}]\n", objects.join(","))
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180): the job
/// layer's, which the files it writes use too.
pub use xrd_jobs::csv_field;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut t = Table::new(["file", "n"]);
        t.push(vec![Cell::text("a,\"b\".xy"), Cell::integer(3)]);
        t.push(vec![Cell::text("c.xy")]);
        assert_eq!(
            t.render(Format::Csv),
            "file,n\n\"a,\"\"b\"\".xy\",3\nc.xy,\n"
        );
    }

    #[test]
    fn json_keeps_types_and_nulls() {
        let mut t = Table::new(["x", "n", "s"]);
        t.push(vec![
            Cell::number(f64::NAN, 2),
            Cell::integer(-4),
            Cell::from(None::<String>),
        ]);
        assert_eq!(
            t.render(Format::Json),
            "[{\"x\":null,\"n\":-4,\"s\":null}]\n"
        );
        assert_eq!(Table::new(["x"]).render(Format::Json), "[]\n");
    }

    #[test]
    fn table_aligns_on_the_widest_cell() {
        let mut t = Table::new(["a", "b"]);
        t.push(vec![Cell::text("long text"), Cell::text("x")]);
        assert_eq!(t.render(Format::Table), "a          b\nlong text  x\n");
    }
}
