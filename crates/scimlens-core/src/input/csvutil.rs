//! CSV plumbing shared by the Entra CSV importers: header names matched by alias (case,
//! spaces, underscores, dots and bracketed units ignored), the delimiter sniffed from the
//! header line, csv errors turned into [`Error`]s that name file and line, and a row re-encoded
//! as a JSON object `{header: value}`, which is the raw evidence a CSV row leaves.
//!
//! A UTF-8 byte order mark is not stripped from the stream (byte positions stay those of the
//! file, so a companion file can be re-read at a recorded position); it is dropped from the
//! first header name instead.
//!
//! The csv crate reads whatever it is given: a quote that never closes swallows the rest of the
//! file into one cell, and a row or cell grows without bound. So the bytes reach it through
//! [`Checked`], which follows the quoting on the way (the same state machine as the csv crate's,
//! for one delimiter and `"` quotes doubled inside quoted cells) and fails the read at a quote
//! still open at the end of the file (naming the line it opened on) or at a row, cell or header
//! larger than its limit ([`MAX_CSV_RECORD`], [`MAX_CSV_FIELD`], [`MAX_CSV_HEADER`]).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::value::parse_time;
use crate::error::{Error, Position};

/// Buffer of the csv reader; rows of provisioning logs with JSON cells run to several KB.
const CSV_BUFFER: usize = 64 * 1024;

/// Largest row, line breaks inside its quoted cells included: the largest JSON record
/// (`import::json`) and then some.
pub(crate) const MAX_CSV_RECORD: u64 = 16 * 1024 * 1024;
/// Largest cell (the steps or modified properties of one change, as JSON, are the big ones).
pub(crate) const MAX_CSV_FIELD: u64 = 8 * 1024 * 1024;
/// Largest header row (exports have tens of columns).
pub(crate) const MAX_CSV_HEADER: u64 = 64 * 1024;

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

/// A csv reader over `reader` with the delimiter of its header line (sniffed from `head`); the
/// bytes pass through [`Checked`], so an unterminated quote or an oversized row is an error.
pub(crate) fn reader<R: Read>(reader: R, head: &[u8]) -> csv::Reader<Checked<R>> {
    let delimiter = delimiter_of(head);
    builder(delimiter, CSV_BUFFER).from_reader(Checked::new(reader, delimiter))
}

/// A csv reader with a buffer of `capacity` bytes over a source [`reader`] has already read
/// through to its end (`reader(..).into_inner()`, then seeked): small for a reader that
/// seeks, since every seek discards the buffer and refills it. Its bytes were checked on that
/// first pass, so they are read as they are (a checker cannot follow the quoting across seeks).
pub(crate) fn reader_with_buffer<R: Read>(
    checked: Checked<R>,
    head: &[u8],
    capacity: usize,
) -> csv::Reader<R> {
    builder(delimiter_of(head), capacity).from_reader(checked.into_inner())
}

fn delimiter_of(head: &[u8]) -> u8 {
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    sniff_delimiter(&String::from_utf8_lossy(first_line))
}

fn builder(delimiter: u8, capacity: usize) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .flexible(true)
        .delimiter(delimiter)
        // Only `\n` ends a record: with the default CRLF terminator the csv crate leaves the
        // `\n` of `\r\n` to the next record, whose reported line is then one too low. The `\r`
        // this leaves at the end of the last cell is trimmed (see `cell` and `row_json`).
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(capacity);
    builder
}

/// Where the quoting of the bytes read so far stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// At the start of a cell (a quote here opens a quoted cell).
    CellStart,
    /// Inside an unquoted cell (a quote here is text).
    Unquoted,
    /// Inside a quoted cell.
    Quoted,
    /// Just after a quote inside a quoted cell: another quote is an escaped one; anything
    /// else closes the cell.
    QuoteInQuoted,
}

/// What [`Checked`] found wrong; travels inside an `io::Error` through the csv crate and is
/// turned into the core's error, with the file's path, by [`csv_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// A quoted cell still open at the end of the file.
    UnterminatedQuote { line: u64, byte: u64 },
    /// A row, cell or header larger than `limit` bytes.
    TooLarge {
        what: &'static str,
        limit: u64,
        line: u64,
        byte: u64,
    },
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::UnterminatedQuote { line, .. } => {
                write!(f, "the quote opened on line {line} is never closed")
            }
            Malformed::TooLarge {
                what, limit, line, ..
            } => write!(
                f,
                "{what} starting on line {line} is larger than {limit} bytes"
            ),
        }
    }
}

impl std::error::Error for Malformed {}

/// The bytes of a CSV file on their way to the csv crate, checked as they pass (see the
/// module docs). Costs one pass over bytes already in memory.
pub(crate) struct Checked<R> {
    inner: R,
    scan: Scan,
}

impl<R> Checked<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        Checked {
            inner,
            scan: Scan::new(delimiter),
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let checked = if n == 0 && !buf.is_empty() {
            self.scan.end()
        } else {
            self.scan.check(&buf[..n])
        };
        checked
            .map(|()| n)
            .map_err(|m| std::io::Error::new(std::io::ErrorKind::InvalidData, m))
    }
}

/// Seeking starts the check again at the new position, as at the start of a row (the only
/// seek made through a checker is back to the start, to read the file again).
impl<R: Seek> Seek for Checked<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(pos)?;
        self.scan = Scan::new(self.scan.delimiter);
        self.scan.byte = at;
        self.scan.record_byte = at;
        self.scan.field_byte = at;
        Ok(at)
    }
}

/// The quoting state machine and the sizes of the current row and cell.
#[derive(Debug, Clone)]
struct Scan {
    delimiter: u8,
    state: Quoting,
    /// Line of the next byte (1-based) and its offset in the stream.
    line: u64,
    byte: u64,
    /// Where the current row and cell started, and where the open quote (if any) opened.
    record_line: u64,
    record_byte: u64,
    field_byte: u64,
    quote_line: u64,
    quote_byte: u64,
    /// Rows ended so far, to bound the first (the header) more tightly; blank lines are not
    /// rows (the csv crate skips them).
    records: u64,
    record_empty: bool,
}

impl Scan {
    fn new(delimiter: u8) -> Self {
        Scan {
            delimiter,
            state: Quoting::CellStart,
            line: 1,
            byte: 0,
            record_line: 1,
            record_byte: 0,
            field_byte: 0,
            quote_line: 1,
            quote_byte: 0,
            records: 0,
            record_empty: true,
        }
    }

    fn check(&mut self, bytes: &[u8]) -> Result<(), Malformed> {
        for &b in bytes {
            match (self.state, b) {
                (Quoting::CellStart, b'"') => {
                    self.state = Quoting::Quoted;
                    self.quote_line = self.line;
                    self.quote_byte = self.byte;
                    self.record_empty = false;
                }
                (Quoting::Quoted, b'"') => self.state = Quoting::QuoteInQuoted,
                (Quoting::QuoteInQuoted, b'"') => self.state = Quoting::Quoted,
                (Quoting::Quoted, _) => {}
                (_, b'\n') => {
                    self.state = Quoting::CellStart;
                    if !self.record_empty {
                        self.records += 1;
                    }
                    self.record_empty = true;
                    self.record_line = self.line + 1;
                    self.record_byte = self.byte + 1;
                    self.field_byte = self.byte + 1;
                }
                (_, d) if d == self.delimiter => {
                    self.state = Quoting::CellStart;
                    self.record_empty = false;
                    self.field_byte = self.byte + 1;
                }
                _ => {
                    self.state = Quoting::Unquoted;
                    self.record_empty = false;
                }
            }
            if b == b'\n' {
                self.line += 1;
            }
            self.byte += 1;
            let (what, limit) = if self.records == 0 {
                ("the header row", MAX_CSV_HEADER)
            } else {
                ("a row", MAX_CSV_RECORD)
            };
            if self.byte - self.record_byte > limit {
                return Err(self.too_large(what, limit, self.record_byte));
            }
            if self.byte - self.field_byte > MAX_CSV_FIELD {
                return Err(self.too_large("a cell", MAX_CSV_FIELD, self.field_byte));
            }
        }
        Ok(())
    }

    /// At the end of the input: a quoted cell must be closed.
    fn end(&self) -> Result<(), Malformed> {
        if self.state == Quoting::Quoted {
            return Err(Malformed::UnterminatedQuote {
                line: self.quote_line,
                byte: self.quote_byte,
            });
        }
        Ok(())
    }

    fn too_large(&self, what: &'static str, limit: u64, byte: u64) -> Malformed {
        Malformed::TooLarge {
            what,
            limit,
            line: self.record_line,
            byte,
        }
    }
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
        csv::ErrorKind::Io(source) => {
            match source.get_ref().and_then(|e| e.downcast_ref::<Malformed>()) {
                Some(m) => malformed_error(path, m),
                None => Error::Io {
                    path: path.to_path_buf(),
                    source,
                },
            }
        }
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

fn malformed_error(path: &Path, m: &Malformed) -> Error {
    let at = |line: u64, byte: u64| Position {
        line: Some(line),
        column: None,
        record: None,
        byte_offset: Some(byte),
    };
    match *m {
        Malformed::UnterminatedQuote { line, byte } => Error::Parse {
            path: path.to_path_buf(),
            position: at(line, byte),
            expected: "a closing quote (\") for the cell whose quote opens on this line"
                .to_string(),
            found: "the end of the file".to_string(),
        },
        Malformed::TooLarge {
            what,
            limit,
            line,
            byte,
        } => Error::TooLarge {
            path: path.to_path_buf(),
            position: at(line, byte),
            what: format!("{what} of CSV"),
            limit: crate::error::describe_size(limit),
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

    /// Reads every row of `text` through the checked reader, as an importer does.
    fn read_all(text: &[u8]) -> Result<usize, Error> {
        let path = Path::new("logs.csv");
        let mut rdr = reader(text, text);
        rdr.headers().map_err(|e| csv_error(path, e))?;
        let mut row = csv::StringRecord::new();
        let mut rows = 0;
        while rdr.read_record(&mut row).map_err(|e| csv_error(path, e))? {
            rows += 1;
        }
        Ok(rows)
    }

    #[test]
    fn an_unterminated_quote_is_an_error_naming_the_line_it_opened_on() {
        let text = "a,b\r\n1,2\r\n3,\"never closed\r\n4,5\r\n6,7\r\n";
        let err = read_all(text.as_bytes()).unwrap_err();
        let Error::Parse { position, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(position.line, Some(3), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("logs.csv: line 3") && message.contains("closing quote"),
            "{message}"
        );
    }

    #[test]
    fn quoted_cells_with_line_breaks_and_doubled_quotes_and_stray_quotes_read_whole() {
        let text = "a;b\n\"x \"\"y\"\"\nz\";2\n3;it\"s\n\"\";\"\"\"\"\n";
        assert_eq!(read_all(text.as_bytes()).unwrap(), 3);
        assert_eq!(read_all(b"a,b\n1,\"closed at the end\"").unwrap(), 1);
    }

    #[test]
    fn oversized_cells_rows_and_headers_are_errors_naming_the_limit() {
        let cell = "x".repeat(MAX_CSV_FIELD as usize + 1);
        let err = read_all(format!("a,b\n1,2\n3,\"{cell}\"\n").as_bytes()).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::RecordTooLarge);
        let message = err.to_string();
        assert!(
            message.contains("line 3") && message.contains("a cell of CSV is larger than 8 MB"),
            "{message}"
        );

        let third = "y".repeat(MAX_CSV_RECORD as usize / 3 + 1);
        let err = read_all(format!("a,b,c\n{third},{third},{third}\n").as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .contains("a row of CSV is larger than 16 MB"),
            "{err}"
        );

        let header = vec!["column"; MAX_CSV_HEADER as usize / 6].join(",");
        let err = read_all(format!("{header}\n1\n").as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 1: the header row of CSV is larger than 64 KB"),
            "{err}"
        );
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
