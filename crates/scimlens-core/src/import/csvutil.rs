//! CSV plumbing shared by the Entra CSV importers: header names matched by alias (case,
//! spaces, underscores, dots and bracketed units ignored), the delimiter sniffed from the
//! header line, csv errors turned into [`Error`]s that name file and line, and a row re-encoded
//! as a JSON object `{header: value}`, which is the raw evidence a CSV row leaves.
//!
//! A UTF-8 byte order mark is not stripped from the stream (byte positions stay those of the
//! file, so a companion file can be re-read at a recorded position); it is dropped from the
//! first header name instead.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::value::parse_time;
use crate::error::{Error, Position};

/// Buffer of the csv reader; rows of provisioning logs with JSON cells run to several KB.
const CSV_BUFFER: usize = 64 * 1024;

/// A header name reduced to what identifies it: `Date (UTC)` -> `date`,
/// `TimeGenerated [UTC]` -> `timegenerated`, `Change_ID` -> `changeid`.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0u32;
    for c in name.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

/// The delimiter of a header line: the most frequent of `,` `;` tab outside quotes.
pub(crate) fn sniff_delimiter(header: &str) -> u8 {
    let (mut comma, mut semi, mut tab, mut quoted) = (0, 0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => comma += 1,
            ';' if !quoted => semi += 1,
            '\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// The names in a header line.
pub(crate) fn split_header(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(line))
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// A csv reader over `reader` with the delimiter of its header line (sniffed from `head`).
pub(crate) fn reader<R: Read>(reader: R, head: &[u8]) -> csv::Reader<R> {
    reader_with_buffer(reader, head, CSV_BUFFER)
}

/// [`reader`] with a buffer of `capacity` bytes: small for a reader that seeks, since every
/// seek discards the buffer and refills it.
pub(crate) fn reader_with_buffer<R: Read>(
    reader: R,
    head: &[u8],
    capacity: usize,
) -> csv::Reader<R> {
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = sniff_delimiter(&String::from_utf8_lossy(first_line));
    csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        // Only `\n` ends a record: with the default CRLF terminator the csv crate leaves the
        // `\n` of `\r\n` to the next record, whose reported line is then one too low. The `\r`
        // this leaves at the end of the last cell is trimmed (see `cell` and `row_json`).
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(capacity)
        .from_reader(reader)
}

/// A file's header row, with each name normalised once for alias lookups.
pub(crate) struct Header {
    pub names: Vec<String>,
    normalized: Vec<String>,
}

impl Header {
    pub fn new(record: &csv::StringRecord) -> Header {
        let names: Vec<String> = record
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let normalized = names.iter().map(|n| normalize(n)).collect();
        Header { names, normalized }
    }

    pub fn from_names(names: &[String]) -> Header {
        Header {
            names: names.to_vec(),
            normalized: names.iter().map(|n| normalize(n)).collect(),
        }
    }

    /// The first column matching one of `aliases` (earlier aliases win), skipping `taken`.
    pub fn find(&self, aliases: &[&str], taken: &[Option<usize>]) -> Option<usize> {
        aliases.iter().find_map(|alias| {
            let alias = normalize(alias);
            self.normalized
                .iter()
                .enumerate()
                .find(|(i, n)| **n == alias && !taken.contains(&Some(*i)))
                .map(|(i, _)| i)
        })
    }

    pub fn has(&self, aliases: &[&str]) -> bool {
        self.find(aliases, &[]).is_some()
    }
}

/// A cell as text, `None` when the column is absent or the cell empty. Surrounding whitespace
/// (and the `\r` of a CRLF line) is trimmed.
pub(crate) fn cell(row: &csv::StringRecord, column: Option<usize>) -> Option<String> {
    let value = row.get(column?)?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// The row as a JSON object in header order, e.g. `{"Date (UTC)":"...","Status":"Failure"}`.
/// Cells beyond the header are kept as `column N`.
pub(crate) fn row_json(header: &Header, row: &csv::StringRecord) -> String {
    let mut out = String::with_capacity(row.as_slice().len() + header.names.len() * 16);
    out.push('{');
    for (i, value) in row.iter().enumerate() {
        let value = if i + 1 == row.len() {
            value.strip_suffix('\r').unwrap_or(value)
        } else {
            value
        };
        if i > 0 {
            out.push(',');
        }
        let key = header
            .names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column {}", i + 1));
        out.push_str(&serde_json::Value::String(key).to_string());
        out.push(':');
        out.push_str(&serde_json::Value::String(value.to_string()).to_string());
    }
    out.push('}');
    out
}

/// Where a csv record starts, as the error type reports it. Line is 1-based; the record number
/// counts data rows (the header row is record 0).
pub(crate) fn position(pos: Option<&csv::Position>) -> Position {
    match pos {
        Some(p) => Position {
            line: Some(p.line()),
            column: None,
            record: Some(p.record()),
            byte_offset: Some(p.byte()),
        },
        None => Position {
            line: None,
            column: None,
            record: None,
            byte_offset: None,
        },
    }
}

/// A csv error as the core error, naming file and line.
pub(crate) fn csv_error(path: &Path, e: csv::Error) -> Error {
    let pos = e.position().map(|p| position(Some(p)));
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::Io {
            path: path.to_path_buf(),
            source,
        },
        csv::ErrorKind::Utf8 { pos, .. } => Error::NotUtf8 {
            path: path.to_path_buf(),
            position: position(pos.as_ref()),
        },
        other => Error::Parse {
            path: path.to_path_buf(),
            position: pos.unwrap_or_else(|| position(None)),
            expected: "a well-formed CSV row".to_string(),
            found: format!("{other:?}"),
        },
    }
}

/// Timestamps of CSV exports: everything [`parse_time`] reads, plus the Log Analytics portal
/// style with fractional seconds before AM/PM (`11/20/2026, 1:20:03.305 PM`).
pub(crate) fn parse_csv_time(s: &str) -> Option<DateTime<Utc>> {
    parse_time(s).or_else(|| {
        let s = s.trim();
        let (time_part, suffix) = match s.rsplit_once(' ') {
            Some((head, ampm))
                if ampm.eq_ignore_ascii_case("AM") || ampm.eq_ignore_ascii_case("PM") =>
            {
                (head, Some(ampm))
            }
            _ => (s, None),
        };
        let dot = time_part.rfind('.')?;
        let fraction = &time_part[dot + 1..];
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole = match suffix {
            Some(ampm) => format!("{} {ampm}", &time_part[..dot]),
            None => time_part[..dot].to_string(),
        };
        let nanos: u32 = format!("{fraction:0<9}")[..9].parse().ok()?;
        let t = parse_time(&whole)?;
        Some(t + chrono::Duration::nanoseconds(i64::from(nanos)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn header_names_match_whatever_their_case_spacing_or_units() {
        assert_eq!(normalize("Date (UTC)"), "date");
        assert_eq!(normalize("TimeGenerated [UTC]"), "timegenerated");
        assert_eq!(normalize("\u{feff}Change_ID"), "changeid");
        assert_eq!(
            normalize("source identity display name"),
            "sourceidentitydisplayname"
        );
        let header = Header::from_names(&["Activity ID".into(), "Change ID".into()]);
        let change = header.find(&["Change ID", "Activity ID"], &[]);
        assert_eq!(change, Some(1));
        assert_eq!(header.find(&["Id", "Activity ID"], &[change]), Some(0));
    }

    #[test]
    fn delimiter_is_sniffed_from_the_header_line() {
        assert_eq!(sniff_delimiter("a,b,c"), b',');
        assert_eq!(sniff_delimiter("a;b;\"c,d\""), b';');
        assert_eq!(sniff_delimiter("a\tb\tc"), b'\t');
        assert_eq!(split_header("\u{feff}Date;Status"), vec!["Date", "Status"]);
    }

    #[test]
    fn a_row_becomes_a_json_object_in_header_order() {
        let header = Header::from_names(&["Status".into(), "Reason \"x\"".into()]);
        let row = csv::StringRecord::from(vec!["Failure", "a,b", "extra\r"]);
        assert_eq!(
            row_json(&header, &row),
            r#"{"Status":"Failure","Reason \"x\"":"a,b","column 3":"extra"}"#
        );
    }

    #[test]
    fn crlf_rows_report_their_own_line() {
        let text = "a,b\r\n1,2\r\n\"3\",4\r\n";
        let mut rdr = reader(text.as_bytes(), text.as_bytes());
        let mut row = csv::StringRecord::new();
        let mut lines = Vec::new();
        while rdr.read_record(&mut row).unwrap() {
            lines.push(position(row.position()).line);
            assert_eq!(
                cell(&row, Some(1)).as_deref(),
                Some(if lines.len() == 1 { "2" } else { "4" })
            );
        }
        assert_eq!(lines, vec![Some(2), Some(3)]);
    }

    #[test]
    fn log_analytics_times_with_milliseconds_before_am_pm_parse() {
        let t = parse_csv_time("11/20/2026, 1:20:03.305 PM").unwrap();
        let want = Utc.with_ymd_and_hms(2026, 11, 20, 13, 20, 3).unwrap()
            + chrono::Duration::milliseconds(305);
        assert_eq!(t, want);
        assert!(parse_csv_time("11/20/2026 1:19:58 PM").is_some());
        assert!(parse_csv_time("2026-11-20T13:19:44Z").is_some());
        assert_eq!(parse_csv_time("soon"), None);
    }
}
