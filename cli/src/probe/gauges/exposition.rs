//! A small parser of the Prometheus text exposition format (version 0.0.4, what node_exporter
//! and the client libraries serve): `# HELP`/`# TYPE` and other comments skipped, label values
//! with their escapes (`\\`, `\"`, `\n`), values as exact decimals or `NaN`/`±Inf`, timestamps
//! read and ignored. One malformed line fails the whole scrape, as it does in Prometheus: a
//! page that is not this format (an HTML error page, a JSON body) must never yield numbers.

use std::borrow::Cow;

use super::decimal::Decimal;

/// A sample's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A finite number, exactly as written.
    Number(Decimal),
    /// `NaN`, `+Inf` or `-Inf`.
    NotFinite,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<'a> {
    /// The metric name.
    pub name: &'a str,
    /// The labels in the order written, values unescaped.
    pub labels: Vec<(&'a str, Cow<'a, str>)>,
    /// The value.
    pub value: Value,
}

impl Series<'_> {
    /// The value of label `name`, if the series has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// Parses a whole exposition; the error names the first bad line and why.
pub fn parse(text: &str) -> Result<Vec<Series<'_>>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let series = parse_line(trimmed).map_err(|why| {
            let shown: String = trimmed.chars().take(40).collect();
            format!("line {}: {why}: {shown:?}", i + 1)
        })?;
        out.push(series);
    }
    Ok(out)
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

/// The leading run of bytes satisfying `ok` after a first byte satisfying `start`.
fn take_name(s: &str, start: fn(u8) -> bool, ok: fn(u8) -> bool) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    if !bytes.first().copied().is_some_and(start) {
        return None;
    }
    let end = bytes.iter().position(|&c| !ok(c)).unwrap_or(bytes.len());
    Some(s.split_at(end))
}

fn parse_line(line: &str) -> Result<Series<'_>, &'static str> {
    let (name, mut rest) =
        take_name(line, is_name_start, is_name_char).ok_or("expected a metric name")?;
    let mut labels = Vec::new();
    // Blanks may stand between the name and its labels, and after the labels (as expfmt reads).
    let blank = |s: &str| s.starts_with([' ', '\t']);
    if let Some(after) = rest.trim_start_matches([' ', '\t']).strip_prefix('{') {
        rest = parse_labels(after, &mut labels)?;
    } else if !blank(rest) {
        return Err("expected a space and a value after the name");
    }
    let mut fields = rest.split_ascii_whitespace();
    let value_text = fields.next().ok_or("missing value")?;
    let value = match value_text {
        "NaN" | "+Inf" | "-Inf" | "Inf" | "nan" | "+inf" | "-inf" | "inf" => Value::NotFinite,
        text => Value::Number(Decimal::parse(text).ok_or("the value is not a number")?),
    };
    if let Some(ts) = fields.next() {
        if ts.strip_prefix('-').unwrap_or(ts).parse::<u64>().is_err() {
            return Err("the timestamp is not an integer");
        }
    }
    if fields.next().is_some() {
        return Err("unexpected text after the value");
    }
    Ok(Series {
        name,
        labels,
        value,
    })
}

/// Parses `name="value", …}` (after the `{`); returns what follows the `}`.
fn parse_labels<'a>(
    mut s: &'a str,
    labels: &mut Vec<(&'a str, Cow<'a, str>)>,
) -> Result<&'a str, &'static str> {
    loop {
        s = s.trim_start();
        if let Some(after) = s.strip_prefix('}') {
            return Ok(after);
        }
        let (name, after) = take_name(
            s,
            |c| c.is_ascii_alphabetic() || c == b'_',
            |c| c.is_ascii_alphanumeric() || c == b'_',
        )
        .ok_or("expected a label name")?;
        let after = after
            .trim_start()
            .strip_prefix('=')
            .ok_or("expected '=' after a label name")?;
        let after = after
            .trim_start()
            .strip_prefix('"')
            .ok_or("expected '\"' to open a label value")?;
        let (value, after) = label_value(after)?;
        labels.push((name, value));
        s = after.trim_start();
        if let Some(after) = s.strip_prefix(',') {
            s = after;
        } else if !s.starts_with('}') {
            return Err("expected ',' or '}' after a label value");
        }
    }
}

/// A label value up to its closing quote, unescaped; borrowed when it has no escapes.
fn label_value(s: &str) -> Result<(Cow<'_, str>, &str), &'static str> {
    let bytes = s.as_bytes();
    let mut owned: Option<String> = None;
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let value = match owned {
                    Some(mut o) => {
                        o.push_str(&s[start..i]);
                        Cow::Owned(o)
                    }
                    None => Cow::Borrowed(&s[..i]),
                };
                return Ok((value, &s[i + 1..]));
            }
            b'\\' => {
                let o = owned.get_or_insert_with(String::new);
                o.push_str(&s[start..i]);
                match bytes.get(i + 1) {
                    Some(b'\\') => o.push('\\'),
                    Some(b'"') => o.push('"'),
                    Some(b'n') => o.push('\n'),
                    _ => return Err("bad escape in a label value"),
                }
                i += 2;
                start = i;
            }
            _ => i += 1,
        }
    }
    Err("unterminated label value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comments_labels_escapes_and_special_values() {
        let text = "# HELP x_total Things.\n# TYPE x_total counter\n\
            x_total 12 1712000000000\n\
            temp{uuid=\"GPU-1\",name=\"a \\\"b\\\" \\\\ c\\n\",} 36.6\n\
            \n  spaced { a = \"1\" , b=\"2\" }\t-3e2\n\
            bad_value NaN\ninf_value +Inf\n";
        let series = parse(text).unwrap();
        assert_eq!(series.len(), 5);
        assert_eq!(series[0].name, "x_total");
        assert_eq!(
            series[0].value,
            Value::Number(Decimal::parse("12").unwrap())
        );
        assert_eq!(series[1].label("uuid"), Some("GPU-1"));
        assert_eq!(series[1].label("name"), Some("a \"b\" \\ c\n"));
        assert_eq!(series[2].label("b"), Some("2"));
        assert_eq!(
            series[2].value,
            Value::Number(Decimal::parse("-300").unwrap())
        );
        assert_eq!(series[3].value, Value::NotFinite);
        assert_eq!(series[4].value, Value::NotFinite);
    }

    #[test]
    fn anything_else_fails_the_scrape_naming_the_line() {
        for (text, why) in [
            (
                "<html><body>502</body></html>",
                "line 1: expected a metric name",
            ),
            ("ok 1\n{\"a\": 1}", "line 2: expected a metric name"),
            ("up", "line 1: expected a space and a value"),
            ("up one", "line 1: the value is not a number"),
            ("up{a=\"1} 1", "line 1: unterminated label value"),
            ("up{a=1} 1", "line 1: expected '\"'"),
            ("up 1 2 3", "line 1: unexpected text"),
            ("up 1 soon", "line 1: the timestamp"),
            ("up{a=\"\\x\"} 1", "line 1: bad escape"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.starts_with(why), "{text:?}: {err}");
        }
    }
}
