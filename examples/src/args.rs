//! A small command-line parser for the examples: `--flag`, `--key value` (or `--key=value`),
//! `--key v1 v2 …` for multi-valued options, and positionals.

use std::collections::BTreeMap;
use std::str::FromStr;

/// Parsed command line.
#[derive(Debug, Default)]
pub struct Args {
    options: BTreeMap<String, Vec<String>>,
    positional: Vec<String>,
    used: std::cell::RefCell<Vec<String>>,
}

impl Args {
    /// Parses `args` (without the program name). `multi` names options that take several values
    /// (`--grid START STEP N` is `("grid", 3)`); `flags` names options that take none.
    pub fn parse<I: IntoIterator<Item = String>>(
        args: I,
        multi: &[(&str, usize)],
        flags: &[&str],
    ) -> Result<Self, String> {
        let mut out = Self::default();
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            let Some(name) = a.strip_prefix("--") else {
                out.positional.push(a);
                continue;
            };
            if let Some((k, v)) = name.split_once('=') {
                // `--flag=false` would otherwise read as the flag given.
                if flags.contains(&k) {
                    return Err(format!("--{k} takes no value, got `{v}`"));
                }
                out.options.insert(k.to_string(), vec![v.to_string()]);
            } else if flags.contains(&name) {
                out.options.insert(name.to_string(), Vec::new());
            } else {
                let count = multi
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map_or(1, |(_, n)| *n);
                let mut values = Vec::with_capacity(count);
                for _ in 0..count {
                    values.push(it.next().ok_or_else(|| {
                        format!(
                            "--{name} needs {count} value{}",
                            if count == 1 { "" } else { "s" }
                        )
                    })?);
                }
                out.options.insert(name.to_string(), values);
            }
        }
        Ok(out)
    }

    /// Parses the process's arguments.
    pub fn from_env(multi: &[(&str, usize)], flags: &[&str]) -> Result<Self, String> {
        Self::parse(std::env::args().skip(1), multi, flags)
    }

    fn mark(&self, name: &str) {
        self.used.borrow_mut().push(name.to_string());
    }

    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.mark(name);
        self.options.contains_key(name)
    }

    /// The single value of `--name`, parsed, or `default`.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        Ok(self.opt(name)?.unwrap_or(default))
    }

    /// The single value of `--name`, parsed, if given.
    pub fn opt<T: FromStr>(&self, name: &str) -> Result<Option<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        self.mark(name);
        match self.options.get(name).and_then(|v| v.first()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|e| format!("--{name} {v}: {e}")),
        }
    }

    /// All values of a multi-valued `--name`, parsed, if given.
    pub fn many<T: FromStr>(&self, name: &str) -> Result<Option<Vec<T>>, String>
    where
        T::Err: std::fmt::Display,
    {
        self.mark(name);
        match self.options.get(name) {
            None => Ok(None),
            Some(vs) => vs
                .iter()
                .map(|v| v.parse().map_err(|e| format!("--{name} {v}: {e}")))
                .collect::<Result<Vec<T>, String>>()
                .map(Some),
        }
    }

    /// Positional arguments.
    pub fn positional(&self) -> &[String] {
        &self.positional
    }

    /// Errors on options that no accessor asked for (call after reading every option).
    pub fn reject_unknown(&self) -> Result<(), String> {
        let used = self.used.borrow();
        match self.options.keys().find(|k| !used.contains(k)) {
            Some(k) => Err(format!("unknown option --{k}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Args, String> {
        Args::parse(
            s.split_whitespace().map(String::from),
            &[("grid", 3)],
            &["peaks"],
        )
    }

    #[test]
    fn options_flags_and_positionals() {
        let a = parse("in.xy --to csv --grid 1 0.01 100 --peaks --epochs=5").unwrap();
        assert_eq!(a.positional(), ["in.xy"]);
        assert_eq!(a.get("to", String::new()).unwrap(), "csv");
        assert_eq!(a.many::<f64>("grid").unwrap(), Some(vec![1.0, 0.01, 100.0]));
        assert!(a.flag("peaks"));
        assert_eq!(a.get("epochs", 1000usize).unwrap(), 5);
        assert_eq!(a.get("seed", 1u64).unwrap(), 1);
        a.reject_unknown().unwrap();
    }

    #[test]
    fn errors_are_messages() {
        assert!(parse("--grid 1 2").is_err());
        assert!(parse("--peaks=false").is_err());
        // `--grid=…` carries one value: the caller's destructuring must refuse it, not index.
        assert_eq!(
            parse("--grid=1").unwrap().many::<f64>("grid").unwrap(),
            Some(vec![1.0])
        );
        assert!(parse("--epochs x").unwrap().get("epochs", 1usize).is_err());
        let a = parse("--bogus 3").unwrap();
        assert_eq!(a.reject_unknown().unwrap_err(), "unknown option --bogus");
    }
}
