//! Streaming JSON record splitter: finds the byte span of each record in a JSON array, in an
//! array under a top-level key (`{"value": [...]}`, `{"Records": [...]}`), in a single object,
//! or in JSON lines, without building a tree of the whole file. Each record is handed out as
//! validated UTF-8 text, which the format's importer then deserializes and keeps as raw evidence.
//!
//! Memory is bounded by the largest record (capped by [`MAX_RECORD_BYTES`]), not by the file.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::error::{Error, Position, Result};

/// A record larger than this is rejected: no provisioning record is anywhere near it, and a
/// cap keeps a hostile file from exhausting memory.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Members of the file's top-level object besides the records (`@odata.context`,
/// `@odata.nextLink`, `NextToken`): a handful in every real export; more is not a log, and each
/// is kept in memory.
pub const MAX_TOP_MEMBERS: usize = 1_000;

/// Where the records live in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `[ {...}, {...} ]`
    Array,
    /// `{ ..., "<key>": [ {...}, ... ], ... }`; other top-level members are reported as metadata.
    ArrayUnderKey(&'static str),
    /// One object per line (blank lines ignored).
    Lines,
    /// Either a bare object (one record) or JSON lines; decided by the content.
    ObjectOrLines,
}

/// A record's text and where it started.
pub struct Record<'a> {
    pub text: &'a str,
    pub number: u64,
    pub line: u64,
    pub column: u64,
}

impl Record<'_> {
    /// Where the record starts in the file.
    pub fn position(&self) -> Position {
        Position {
            line: Some(self.line),
            column: Some(self.column),
            record: Some(self.number),
            byte_offset: None,
        }
    }

    /// The error for a record that does not read as `expected`: the file position of what
    /// serde_json found, and its message without serde's record-relative position.
    pub fn parse_error(&self, path: &Path, expected: &str, e: &serde_json::Error) -> Error {
        Error::Parse {
            path: path.to_path_buf(),
            position: self.position_of(e),
            expected: expected.to_string(),
            found: serde_message(e),
        }
    }

    /// The file position of an error serde_json found in this record (it counts lines and
    /// columns from the start of the record's text).
    pub fn position_of(&self, e: &serde_json::Error) -> Position {
        let (line, column) = match (e.line() as u64, e.column() as u64) {
            (0, _) => (self.line, self.column),
            (1, c) => (self.line, self.column + c.saturating_sub(1)),
            (l, c) => (self.line + l - 1, c),
        };
        Position {
            line: Some(line),
            column: Some(column),
            record: Some(self.number),
            byte_offset: None,
        }
    }
}

/// A top-level member outside the records array (`@odata.nextLink`), kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub key: String,
    pub raw_value: String,
}

pub struct JsonRecords<R> {
    reader: R,
    path: PathBuf,
    layout: Layout,
    state: State,
    buf: Vec<u8>,
    record_number: u64,
    /// Position of the next unread byte.
    offset: u64,
    line: u64,
    line_start: u64,
    meta: Vec<Meta>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// Inside the top-level object, before the records key.
    TopObject,
    /// Inside the records array, expecting a value or `]`.
    InArray {
        after_value: bool,
        top_object: bool,
    },
    Lines,
    Done,
}

impl<R: BufRead> JsonRecords<R> {
    pub fn new(reader: R, path: &Path, layout: Layout) -> Self {
        JsonRecords {
            reader,
            path: path.to_path_buf(),
            layout,
            state: State::Start,
            buf: Vec::new(),
            record_number: 0,
            offset: 0,
            line: 1,
            line_start: 0,
            meta: Vec::new(),
        }
    }

    /// Top-level members seen so far outside the records (complete once `next` returned None).
    pub fn meta(&self) -> &[Meta] {
        &self.meta
    }

    fn position(&self) -> Position {
        Position {
            line: Some(self.line),
            column: Some(self.offset - self.line_start + 1),
            record: if self.record_number > 0 {
                Some(self.record_number)
            } else {
                None
            },
            byte_offset: Some(self.offset),
        }
    }

    fn parse_error(&self, expected: &str, found: &str) -> Error {
        Error::Parse {
            path: self.path.clone(),
            position: self.position(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// Advances past `n` bytes of `chunk`, keeping line accounting.
    fn account(&mut self, chunk: &[u8]) {
        for nl in memchr::memchr_iter(b'\n', chunk) {
            self.line += 1;
            self.line_start = self.offset + nl as u64 + 1;
        }
        self.offset += chunk.len() as u64;
    }

    /// Skips whitespace; returns the next significant byte without consuming it.
    fn peek_significant(&mut self) -> Result<Option<u8>> {
        loop {
            let chunk = fill(&mut self.reader, &self.path)?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let skip = chunk
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
            let n = skip.unwrap_or(chunk.len());
            // A UTF-8 byte order mark at the very start is tolerated.
            if self.offset == 0 && n == 0 && chunk.starts_with(&[0xEF, 0xBB, 0xBF]) {
                self.reader.consume(3);
                self.offset += 3;
                self.line_start = 3;
                continue;
            }
            let consumed = chunk[..n].to_vec();
            self.reader.consume(n);
            self.account(&consumed);
            if let Some(i) = skip {
                let _ = i;
                let chunk = fill(&mut self.reader, &self.path)?;
                return Ok(chunk.first().copied());
            }
        }
    }

    fn consume_byte(&mut self) {
        let b = self.reader.fill_buf().ok().and_then(|c| c.first().copied());
        self.reader.consume(1);
        if b == Some(b'\n') {
            self.line += 1;
            self.line_start = self.offset + 1;
        }
        self.offset += 1;
    }

    fn expect_byte(&mut self, want: u8, expected: &str) -> Result<()> {
        match self.peek_significant()? {
            Some(b) if b == want => {
                self.consume_byte();
                Ok(())
            }
            Some(b) => Err(self.parse_error(expected, &describe_byte(b))),
            None => Err(self.parse_error(expected, "end of file")),
        }
    }

    /// Reads one complete JSON value (object, array, string, number, literal) into `self.buf`.
    fn read_value(&mut self) -> Result<()> {
        self.buf.clear();
        let first = match self.peek_significant()? {
            Some(b) => b,
            None => return Err(self.parse_error("a JSON value", "end of file")),
        };
        match first {
            b'{' | b'[' => self.read_container(),
            b'"' => self.read_string_value(),
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => self.read_scalar(),
            other => Err(self.parse_error("a JSON value", &describe_byte(other))),
        }
    }

    fn read_scalar(&mut self) -> Result<()> {
        loop {
            let chunk = fill(&mut self.reader, &self.path)?;
            if chunk.is_empty() {
                return Ok(());
            }
            let end = chunk
                .iter()
                .position(|b| matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace());
            let n = end.unwrap_or(chunk.len());
            self.buf.extend_from_slice(&chunk[..n]);
            self.reader.consume(n);
            self.offset += n as u64;
            if end.is_some() {
                return Ok(());
            }
            if self.buf.len() > 64 {
                return Err(self.parse_error("a JSON number or literal", "an overlong token"));
            }
        }
    }

    /// Reads a string value (a key or a top-level scalar; records use `read_container`).
    fn read_string_value(&mut self) -> Result<()> {
        self.buf.clear();
        self.consume_byte();
        self.buf.push(b'"');
        let mut escape = false;
        loop {
            let chunk = fill(&mut self.reader, &self.path)?;
            let Some(&b) = chunk.first() else {
                return Err(self.parse_error("the end of a string", "end of file"));
            };
            self.consume_byte();
            self.buf.push(b);
            if self.buf.len() > MAX_RECORD_BYTES {
                return Err(self.too_large());
            }
            match (escape, b) {
                (true, _) => escape = false,
                (false, b'\\') => escape = true,
                (false, b'"') => return Ok(()),
                _ => {}
            }
        }
    }

    fn too_large(&self) -> Error {
        Error::RecordTooLarge {
            path: self.path.clone(),
            position: self.position(),
            limit_mb: (MAX_RECORD_BYTES / (1024 * 1024)) as u64,
        }
    }

    /// Reads a balanced `{...}` or `[...]`, honouring strings and escapes.
    fn read_container(&mut self) -> Result<()> {
        self.buf.clear();
        let mut depth: u32 = 0;
        let mut in_string = false;
        let mut escape = false;
        loop {
            let chunk = fill(&mut self.reader, &self.path)?;
            if chunk.is_empty() {
                return Err(self.parse_error(
                    "the rest of the record (the file ends inside it)",
                    "end of file",
                ));
            }
            let mut end = None;
            let mut i = 0;
            while i < chunk.len() {
                if in_string {
                    if escape {
                        escape = false;
                        i += 1;
                        continue;
                    }
                    match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                        Some(j) => {
                            i += j;
                            if chunk[i] == b'\\' {
                                escape = true;
                            } else {
                                in_string = false;
                            }
                            i += 1;
                        }
                        None => i = chunk.len(),
                    }
                    continue;
                }
                match chunk[i] {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            let n = end.unwrap_or(chunk.len());
            let _ = i;
            self.buf.extend_from_slice(&chunk[..n]);
            // Line accounting on the copied bytes (cheap: memchr is vectorised).
            let start = self.buf.len() - n;
            let (line, line_start, offset) = (self.line, self.line_start, self.offset);
            let mut l = line;
            let mut ls = line_start;
            for nl in memchr::memchr_iter(b'\n', &self.buf[start..]) {
                l += 1;
                ls = offset + nl as u64 + 1;
            }
            self.line = l;
            self.line_start = ls;
            self.offset += n as u64;
            self.reader.consume(n);
            if self.buf.len() > MAX_RECORD_BYTES {
                return Err(self.too_large());
            }
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// Reads the rest of the current line (without its line break) into `self.buf`.
    fn read_line(&mut self) -> Result<()> {
        self.buf.clear();
        loop {
            let chunk = fill(&mut self.reader, &self.path)?;
            if chunk.is_empty() {
                return Ok(());
            }
            let (n, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let take = if done { n - 1 } else { n };
            self.buf.extend_from_slice(&chunk[..take]);
            self.reader.consume(n);
            self.offset += n as u64;
            if done {
                self.line += 1;
                self.line_start = self.offset;
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
                return Ok(());
            }
            if self.buf.len() > MAX_RECORD_BYTES {
                return Err(self.too_large());
            }
        }
    }

    /// Reads a top-level object key (a JSON string) and the following `:`.
    fn read_key(&mut self) -> Result<String> {
        match self.peek_significant()? {
            Some(b'"') => {}
            Some(b) => return Err(self.parse_error("a member name in quotes", &describe_byte(b))),
            None => return Err(self.parse_error("a member name", "end of file")),
        }
        self.read_string_value()?;
        let key: String = serde_json::from_slice(&self.buf)
            .map_err(|_| self.parse_error("a valid member name", "an invalid string"))?;
        self.expect_byte(b':', "':' after a member name")?;
        Ok(key)
    }

    fn finish_record(&mut self, start_line: u64, start_col: u64) -> Result<Record<'_>> {
        self.record_number += 1;
        let number = self.record_number;
        match std::str::from_utf8(&self.buf) {
            Ok(text) => Ok(Record {
                text,
                number,
                line: start_line,
                column: start_col,
            }),
            Err(e) => {
                let bad = e.valid_up_to();
                let before = &self.buf[..bad];
                let newlines = memchr::memchr_iter(b'\n', before).count() as u64;
                let column = match memchr::memrchr(b'\n', before) {
                    Some(p) => (bad - p) as u64,
                    None => start_col + bad as u64,
                };
                Err(Error::NotUtf8 {
                    path: self.path.clone(),
                    position: Position {
                        line: Some(start_line + newlines),
                        column: Some(column),
                        record: Some(number),
                        byte_offset: None,
                    },
                })
            }
        }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    let first = self.peek_significant()?;
                    match (self.layout, first) {
                        (_, None) => {
                            return Err(Error::Empty {
                                path: self.path.clone(),
                            });
                        }
                        (Layout::Array, Some(b'[')) => {
                            self.consume_byte();
                            self.state = State::InArray {
                                after_value: false,
                                top_object: false,
                            };
                        }
                        (Layout::ArrayUnderKey(_), Some(b'{')) => {
                            self.consume_byte();
                            self.state = State::TopObject;
                        }
                        (Layout::Lines | Layout::ObjectOrLines, Some(b'{')) => {
                            self.state = State::Lines;
                        }
                        (Layout::Array, Some(b)) => {
                            return Err(self.parse_error("'[' (a JSON array)", &describe_byte(b)));
                        }
                        (_, Some(b)) => {
                            return Err(self.parse_error("'{' (a JSON object)", &describe_byte(b)));
                        }
                    }
                }
                State::TopObject => {
                    let Layout::ArrayUnderKey(records_key) = self.layout else {
                        unreachable!("TopObject is only entered for ArrayUnderKey")
                    };
                    match self.peek_significant()? {
                        Some(b'}') => {
                            self.consume_byte();
                            self.state = State::Done;
                            self.expect_end()?;
                            continue;
                        }
                        Some(b',') => {
                            self.consume_byte();
                            continue;
                        }
                        Some(_) => {}
                        None => {
                            return Err(
                                self.parse_error("'}' closing the file's object", "end of file")
                            );
                        }
                    }
                    let key = self.read_key()?;
                    if key == records_key {
                        self.expect_byte(
                            b'[',
                            &format!("'[' starting the \"{records_key}\" array"),
                        )?;
                        self.state = State::InArray {
                            after_value: false,
                            top_object: true,
                        };
                    } else {
                        if self.meta.len() >= MAX_TOP_MEMBERS {
                            return Err(self.parse_error(
                                &format!(
                                    "at most {MAX_TOP_MEMBERS} members beside the \"{records_key}\" \
                                     array in the file's object"
                                ),
                                "more",
                            ));
                        }
                        self.read_value()?;
                        let raw_value = String::from_utf8_lossy(&self.buf).into_owned();
                        self.meta.push(Meta { key, raw_value });
                    }
                }
                State::InArray {
                    after_value,
                    top_object,
                } => {
                    match self.peek_significant()? {
                        Some(b']') => {
                            self.consume_byte();
                            if top_object {
                                self.state = State::TopObject;
                            } else {
                                self.state = State::Done;
                                self.expect_end()?;
                            }
                            continue;
                        }
                        Some(b',') if after_value => {
                            self.consume_byte();
                            self.state = State::InArray {
                                after_value: false,
                                top_object,
                            };
                            continue;
                        }
                        Some(b'{') if !after_value => {}
                        Some(b) => {
                            let expected = if after_value {
                                "',' or ']' after a record"
                            } else {
                                "a record (a JSON object)"
                            };
                            return Err(self.parse_error(expected, &describe_byte(b)));
                        }
                        None => {
                            return Err(self.parse_error(
                                "more records or ']' (the file ends inside the array; truncated?)",
                                "end of file",
                            ));
                        }
                    }
                    let (line, column) = (self.line, self.offset - self.line_start + 1);
                    self.read_container()?;
                    self.state = State::InArray {
                        after_value: true,
                        top_object,
                    };
                    return self.finish_record(line, column).map(Some);
                }
                State::Lines => match self.peek_significant()? {
                    None => {
                        self.state = State::Done;
                        return Ok(None);
                    }
                    Some(b'{') if self.layout == Layout::Lines => {
                        // Strict JSON lines: a record is one line, so a broken line is
                        // reported at that line instead of swallowing the lines after it.
                        let (line, column) = (self.line, self.offset - self.line_start + 1);
                        self.read_line()?;
                        return self.finish_record(line, column).map(Some);
                    }
                    Some(b'{') => {
                        let (line, column) = (self.line, self.offset - self.line_start + 1);
                        self.read_container()?;
                        return self.finish_record(line, column).map(Some);
                    }
                    Some(b) => {
                        return Err(self.parse_error(
                            "a JSON object at the start of the line",
                            &describe_byte(b),
                        ));
                    }
                },
            }
        }
    }

    /// After the closing bracket only whitespace may follow.
    fn expect_end(&mut self) -> Result<()> {
        match self.peek_significant()? {
            None => Ok(()),
            Some(b) => {
                Err(self.parse_error("end of file after the closing bracket", &describe_byte(b)))
            }
        }
    }
}

/// serde_json's message without its " at line L column C" tail, which counts from the start of
/// the text it was given (a record), not from the start of the file.
pub(crate) fn serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_string(),
        _ => text,
    }
}

fn fill<'r, R: BufRead>(reader: &'r mut R, path: &Path) -> Result<&'r [u8]> {
    reader.fill_buf().map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &str, layout: Layout) -> Result<(Vec<String>, Vec<Meta>)> {
        let mut r = JsonRecords::new(input.as_bytes(), Path::new("t.json"), layout);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            out.push(rec.text.to_string());
        }
        Ok((out, r.meta().to_vec()))
    }

    #[test]
    fn splits_a_bare_array_with_nested_strings_and_escapes() {
        let input = r#"[{"a":"x]}\"{"},{"b":[1,{"c":2}]}]"#;
        let (records, _) = collect(input, Layout::Array).unwrap();
        assert_eq!(records, vec![r#"{"a":"x]}\"{"}"#, r#"{"b":[1,{"c":2}]}"#]);
    }

    #[test]
    fn keeps_members_around_the_records_array_as_metadata() {
        let input = "{\"@odata.context\": \"ctx\",\n \"value\": [ {\"id\": 1} ],\n \"@odata.nextLink\": \"https://next\" }\n";
        let (records, meta) = collect(input, Layout::ArrayUnderKey("value")).unwrap();
        assert_eq!(records, vec![r#"{"id": 1}"#]);
        assert_eq!(meta.len(), 2);
        assert_eq!(meta[1].key, "@odata.nextLink");
        assert_eq!(meta[1].raw_value, "\"https://next\"");
    }

    #[test]
    fn a_top_level_object_with_endless_members_is_refused_naming_the_limit() {
        let mut input = String::from("{");
        for i in 0..=MAX_TOP_MEMBERS {
            input.push_str(&format!("\"k{i}\": {i},"));
        }
        input.push_str("\"value\": []}");
        let err = collect(&input, Layout::ArrayUnderKey("value")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("at most 1000 members"), "{msg}");
        assert!(msg.contains("t.json"), "{msg}");
    }

    #[test]
    fn json_lines_skip_blank_lines() {
        let (records, _) = collect("{\"a\":1}\n\n{\"a\":2}\n", Layout::Lines).unwrap();
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn truncated_array_names_line_and_what_was_expected() {
        let err = collect("[\n{\"a\":1},\n{\"b\":", Layout::Array).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("t.json"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("ends inside"), "{msg}");
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let mut bytes = b"{\"a\":1}\n{\"a\":\"".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"\"}\n");
        let mut r = JsonRecords::new(&bytes[..], Path::new("x.jsonl"), Layout::Lines);
        assert!(r.next_record().unwrap().is_some());
        let err = r.next_record().err().expect("invalid UTF-8 must fail");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(matches!(err, Error::NotUtf8 { .. }));
    }

    #[test]
    fn garbage_after_the_array_is_rejected() {
        let err = collect("[{\"a\":1}] trailing", Layout::Array).unwrap_err();
        assert!(
            err.to_string()
                .contains("end of file after the closing bracket"),
            "{err}"
        );
    }

    #[test]
    fn records_split_across_small_buffer_reads() {
        let input = r#"[{"a":"long \"escaped\" value with ] and }"},{"b":2}]"#;
        let reader = std::io::BufReader::with_capacity(3, input.as_bytes());
        let mut r = JsonRecords::new(reader, Path::new("t.json"), Layout::Array);
        let first = r.next_record().unwrap().unwrap().text.to_string();
        assert_eq!(first, r#"{"a":"long \"escaped\" value with ] and }"}"#);
        assert_eq!(r.next_record().unwrap().unwrap().text, r#"{"b":2}"#);
        assert!(r.next_record().unwrap().is_none());
    }
}
