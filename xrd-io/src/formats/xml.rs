//! A small element tree over quick-xml, enough for the XML-based formats (XRDML, RASX, BRML).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::{Error, Location, Result};

/// Deeper nesting than this is refused (no real file comes close; it bounds recursion).
const MAX_DEPTH: usize = 128;

/// An XML element: local name (namespace prefix dropped), attributes, text and children.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The value of attribute `name` (local name, case-insensitive).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children named `name`.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// All descendants (depth first, document order) named `name` (case-insensitive).
    pub fn descendants<'a>(&'a self, name: &str) -> Vec<&'a Element> {
        let mut out = Vec::new();
        let mut stack: Vec<&Element> = self.children.iter().rev().collect();
        while let Some(e) = stack.pop() {
            if e.name.eq_ignore_ascii_case(name) {
                out.push(e);
            }
            stack.extend(e.children.iter().rev());
        }
        out
    }

    /// The first descendant named `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.descendants(name).into_iter().next()
    }

    /// The trimmed text.
    pub fn value(&self) -> &str {
        self.text.trim()
    }
}

fn local(name: &[u8]) -> String {
    let name = match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    };
    String::from_utf8_lossy(name).into_owned()
}

fn element(e: &BytesStart<'_>, file: &str, at: u64) -> Result<Element> {
    let mut attrs = Vec::new();
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| syntax(file, at, "a well-formed attribute", &err.to_string()))?;
        let v = a
            .unescape_value()
            .map_err(|err| syntax(file, at, "a well-formed attribute value", &err.to_string()))?;
        attrs.push((local(a.key.as_ref()), v.into_owned()));
    }
    Ok(Element {
        name: local(e.name().as_ref()),
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

fn syntax(file: &str, at: u64, expected: &str, found: &str) -> Error {
    Error::Syntax {
        file: file.to_owned(),
        at: Location::Byte(at),
        expected: expected.to_owned(),
        found: found.to_owned(),
    }
}

/// Parses a whole document into its root element.
pub(crate) fn parse(bytes: &[u8], file: &str) -> Result<Element> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut buf = Vec::new();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| syntax(file, at, "well-formed XML", &e.to_string()))?;
        match event {
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err(syntax(file, at, "XML nested less deeply", "deeper nesting"));
                }
                stack.push(element(&e, file, at)?);
            }
            Event::Empty(e) => {
                let el = element(&e, file, at)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(el);
                }
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| syntax(file, at, "well-formed text", &e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(_) => {
                let done = stack.pop();
                match (done, stack.last_mut()) {
                    (Some(done), Some(parent)) => parent.children.push(done),
                    _ => {
                        return Err(syntax(
                            file,
                            at,
                            "matching start and end tags",
                            "an unmatched end tag",
                        ));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if stack.len() != 1 {
        return Err(Error::Truncated {
            file: file.to_owned(),
            at: Location::Byte(bytes.len() as u64),
            expected: format!("the end tags of {} open elements", stack.len() - 1),
        });
    }
    let mut doc = stack.pop().unwrap_or_default();
    if doc.children.is_empty() {
        return Err(syntax(file, 0, "an XML root element", "none"));
    }
    Ok(doc.children.swap_remove(0))
}

/// Parses whitespace-separated numbers of an element's text.
pub(crate) fn numbers(e: &Element, file: &str) -> Result<Vec<f64>> {
    e.value()
        .split_whitespace()
        .map(|t| {
            super::text::number(t).ok_or_else(|| Error::Syntax {
                file: file.to_owned(),
                at: Location::Whole,
                expected: format!("numbers in <{}>", e.name),
                found: crate::error::excerpt(t),
            })
        })
        .collect()
}
