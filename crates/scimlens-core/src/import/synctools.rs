//! Logs of the sync tools that push Google Workspace into IAM Identity Center:
//! awslabs/ssosync (logrus) and slashdevops/idp-scim-sync (Go `log/slog` since late 2024,
//! logrus before). Both write one entry per line: JSON with `--log-format json`, logfmt text
//! (`time=... level=info msg="creating user" user=...`) otherwise; a capture taken with `2>&1`
//! also holds cobra's plain-text `Error: ...` lines from stderr. Lines are therefore read one by
//! one here, each parsed as JSON, logfmt or prose: the JSON splitter's lines mode would rightly
//! refuse a line of prose, and every record of these tools is exactly one line.
//!
//! Neither tool states an outcome on the line that announces an operation (`creating user`).
//! Both stop at the first hard error, so an announcing line opens an operation that is
//! - a failure when an error line follows before the next operation (error lines that name no
//!   entity, such as `{"level":"fatal","msg":"status of http response was 400"}` or cobra's
//!   `Error: ...`, belong to the open operation);
//! - a success when the next operation starts or the run reports completion;
//! - not stated (outcome `None`) when the log ends or a new run starts first.
//!
//! A conflict the tool resolves itself (idp-scim-sync adopts the existing user or group after a
//! 409) is a failure followed by a success of the same entity. Error lines with no operation open
//! and no entity named (bad token, unreachable endpoint) are connection-level events. Lines that
//! are neither operations nor errors (progress, summaries) are skipped and counted.
//!
//! Raw evidence of an event is every line that contributed to it, joined by newlines.

use std::io::{BufRead, Read};

use serde_json::Value;

use super::okta::aws_detail_in_text;
use super::{EventSink, Input, SourceWarning, WarningKind};
use crate::error::{Error, Position, Result};
use crate::input::json::MAX_RECORD_BYTES;
use crate::input::lenient::lenient_record;
use crate::input::value::{de_text, http_status_in_text, parse_time, value_text};
use crate::model::{
    Action, EntityKind, EntityRef, Format, Outcome, ProvisioningEvent, SentAttribute,
};

/// Tells ssosync from idp-scim-sync by the vocabulary of the first lines (their keys overlap).
pub fn detect_tool(head: &str) -> Format {
    const IDP_SCIM_SYNC: [&str; 14] = [
        "\"level\":\"INFO\"",
        "\"level\":\"WARN\"",
        "\"level\":\"ERROR\"",
        "level=INFO",
        "level=WARN",
        "starting sync groups",
        "codeVersion",
        "aws CreateOrGet",
        "scim: ",
        "reconciling",
        "syncing from state",
        "group_filter",
        "scimid",
        "getting identity provider data",
    ];
    const SSOSYNC: [&str; 11] = [
        "Syncing AWS users and groups from Google Workspace",
        "sync_method",
        "status of http response was",
        "Change Summary",
        "Test call to Identity Store",
        "queryGroup",
        "get google groups",
        "\"level\":\"warning\"",
        "level=warning",
        "error creating user",
        "Executing as Lambda",
    ];
    let score = |markers: &[&str]| markers.iter().filter(|m| head.contains(*m)).count();
    if score(&IDP_SCIM_SYNC) > score(&SSOSYNC) {
        Format::IdpScimSync
    } else {
        Format::Ssosync
    }
}

/// True for a logfmt line of either tool (`time="..." level=info msg="..."`), so detection can
/// recognise the tools' default text format.
pub fn looks_like_text_log(line: &str) -> bool {
    let line = strip_cloudwatch_prefix(line.trim());
    text_pairs(line).is_some_and(|pairs| {
        pairs.iter().any(|(k, _)| k == "level") && pairs.iter().any(|(k, _)| k == "msg")
    })
}

/// True when a log whose first line is neither JSON nor logfmt (a Lambda `START RequestId`
/// line, `null`, a bare `status of http response was 409` copied from the CloudWatch console)
/// still holds the tools' entries further down: a logfmt line or a JSON object with `level` and
/// `msg`.
pub fn looks_like_sync_log(head: &str) -> bool {
    let mut offset = 0;
    for line in head.split_inclusive('\n').take(200) {
        let trimmed = strip_cloudwatch_prefix(line.trim());
        if looks_like_text_log(trimmed) {
            return true;
        }
        if trimmed.starts_with('{') {
            let object = super::first_object_prefix(&head[offset..]);
            return super::has_key(object, "level") && super::has_key(object, "msg");
        }
        offset += line.len();
    }
    false
}

pub fn import(format: Format, input: Input, sink: &mut dyn EventSink) -> Result<()> {
    let Input {
        path, mut reader, ..
    } = input;
    let mut state = Replay::new(format);
    let mut buf = Vec::new();
    let mut line_no: u64 = 0;
    loop {
        buf.clear();
        let Some(start_line) = read_entry(&mut reader, &path, &mut buf, &mut line_no)? else {
            break;
        };
        let bytes = buf
            .strip_prefix(&[0xEF, 0xBB, 0xBF])
            .filter(|_| start_line == 1)
            .unwrap_or(&buf);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let before = &bytes[..e.valid_up_to()];
            let lines = memchr::memchr_iter(b'\n', before).count() as u64;
            let column = match memchr::memrchr(b'\n', before) {
                Some(p) => before.len() - p,
                None => before.len() + 1,
            };
            Error::NotUtf8 {
                path: path.clone(),
                position: Position::line_col(start_line + lines, column as u64),
            }
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let line = parse_line(text).map_err(|e| Error::Parse {
            path: path.clone(),
            position: match e.line() as u64 {
                0 | 1 => Position::line_col(start_line, e.column().max(1) as u64),
                l => Position::line_col(start_line + l - 1, e.column() as u64),
            },
            expected: format!(
                "a {} log line (JSON, logfmt or plain text)",
                format.as_str()
            ),
            found: crate::input::json::serde_message(&e),
        })?;
        state.line(line, text, sink)?;
    }
    state.finish(sink)
}

/// Reads the next entry into `buf` and returns the line it starts on, or `None` at the end of
/// the file. An entry is one line, except a JSON object pretty-printed over several lines (how the
/// CloudWatch console shows a Lambda's logrus output), which is read until its closing brace.
fn read_entry(
    reader: &mut dyn BufRead,
    path: &std::path::Path,
    buf: &mut Vec<u8>,
    line_no: &mut u64,
) -> Result<Option<u64>> {
    let start_line = *line_no + 1;
    let mut depth = JsonDepth::default();
    loop {
        let from = buf.len();
        let limit = (MAX_RECORD_BYTES + 1 - from.min(MAX_RECORD_BYTES)) as u64;
        let n = reader
            .take(limit)
            .read_until(b'\n', buf)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok((from > 0).then_some(start_line));
        }
        *line_no += 1;
        if buf.len() > MAX_RECORD_BYTES {
            return Err(Error::RecordTooLarge {
                path: path.to_path_buf(),
                position: Position::line_col(start_line, 1),
                limit_mb: (MAX_RECORD_BYTES / (1024 * 1024)) as u64,
            });
        }
        if from == 0 && !starts_object(buf) {
            return Ok(Some(start_line));
        }
        if depth.feed(&buf[from..]) {
            return Ok(Some(start_line));
        }
    }
}

fn starts_object(line: &[u8]) -> bool {
    let line = line.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(line);
    line.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Brace depth of JSON text fed in pieces, honouring strings and escapes.
#[derive(Default)]
struct JsonDepth {
    depth: u32,
    opened: bool,
    in_string: bool,
    escape: bool,
}

impl JsonDepth {
    /// Feeds more text; true once the first object has closed.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.in_string {
                match (self.escape, b) {
                    (true, _) => self.escape = false,
                    (false, b'\\') => self.escape = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.opened = true;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.opened && self.depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }
}

lenient_record! {
    /// One log entry, whichever way it was written. Lines carry whatever fields the tool adds,
    /// so keys it does not read are not counted as unknown.
    struct LogLine {
        time: Option<String> = ["time"] via de_text,
        level: Option<String> = ["level"] via de_text,
        msg: Option<String> = ["msg"] via de_text,
        error: Option<String> = ["error"] via de_text,
        /// AWS Lambda's own line for a failed invocation.
        error_message: Option<String> = ["errorMessage"] via de_text,
        /// ssosync: the userName, or the whole SCIM user object; idp-scim-sync: display name or
        /// userName depending on the message.
        user: Option<Value> = ["user"],
        group: Option<Value> = ["group"],
        /// ssosync's key for a group's display name.
        group_name: Option<String> = ["Name"] via de_text,
        name: Option<String> = ["name"] via de_text,
        email: Option<String> = ["email", "email:"] via de_text,
        id: Option<String> = ["id"] via de_text,
        scimid: Option<String> = ["scimid"] via de_text,
        ipid: Option<String> = ["ipid", "idpid", "ipdid"] via de_text,
        display_name: Option<String> = ["displayName"] via de_text,
        external_id: Option<String> = ["externalId"] via de_text,
        /// Not a structured line: prose such as cobra's `Error: ...` (never read from JSON).
        prose: Option<String> = [],
    }
}

fn parse_line(text: &str) -> std::result::Result<LogLine, serde_json::Error> {
    let trimmed = strip_cloudwatch_prefix(text.trim_start());
    if trimmed.starts_with('{') {
        return serde_json::from_str(trimmed);
    }
    if let Some(pairs) = text_pairs(trimmed) {
        let mut line = LogLine::default();
        for (key, value) in pairs {
            let v = Some(value.clone());
            match key.as_str() {
                "time" => line.time = v,
                "level" => line.level = v,
                "msg" => line.msg = v,
                "error" => line.error = v,
                "user" => line.user = text_object(value),
                "group" => line.group = text_object(value),
                "Name" => line.group_name = v,
                "name" => line.name = v,
                "email" | "email:" => line.email = v,
                "id" => line.id = v,
                "scimid" => line.scimid = v,
                "ipid" | "idpid" | "ipdid" => line.ipid = v,
                "displayName" => line.display_name = v,
                "externalId" => line.external_id = v,
                _ => {}
            }
        }
        return Ok(line);
    }
    Ok(LogLine {
        prose: Some(trimmed.to_string()),
        ..LogLine::default()
    })
}

/// The `key=value` pairs of a text-format line, in either of logrus's text layouts: logfmt
/// (`time="..." level=error msg="..." user=...`, written when the output is not a terminal) or
/// the console layout (`ERRO[0003] error creating user    user=...`, written on a terminal and
/// pasted from there), with the console's level and message turned into `level` and `msg` pairs.
fn text_pairs(line: &str) -> Option<Vec<(String, String)>> {
    if let Some(pairs) = parse_logfmt(line).filter(|p| p.iter().any(|(k, _)| k == "msg")) {
        return Some(pairs);
    }
    let (level, rest) = console_level(line)?;
    // The message is padded to a column; fields follow after two or more spaces.
    let (msg, fields) = match rest.find("  ") {
        Some(i) if parse_logfmt(rest[i..].trim()).is_some() => (&rest[..i], rest[i..].trim()),
        _ => (rest, ""),
    };
    let mut pairs = vec![
        ("level".to_string(), level.to_string()),
        ("msg".to_string(), msg.trim().to_string()),
    ];
    pairs.extend(parse_logfmt(fields).unwrap_or_default());
    Some(pairs)
}

/// `INFO[0003] rest` -> (`info`, `rest`): logrus's console layout.
fn console_level(line: &str) -> Option<(&'static str, &str)> {
    const LEVELS: [(&str, &str); 7] = [
        ("TRAC", "trace"),
        ("DEBU", "debug"),
        ("INFO", "info"),
        ("WARN", "warning"),
        ("ERRO", "error"),
        ("FATA", "fatal"),
        ("PANI", "panic"),
    ];
    let (tag, level) = LEVELS.iter().find(|(tag, _)| line.starts_with(tag))?;
    let rest = line[tag.len()..].strip_prefix('[')?;
    let close = rest.find(']')?;
    if !rest[..close]
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | 'T' | ' ' | '.' | 'Z' | '+'))
    {
        return None;
    }
    Some((level, rest[close + 1..].trim_start()))
}

/// A user or group field of a text line: JSON when it is JSON (`user="{\"userName\":...}"`),
/// nothing when it is Go's print of a struct (`&{...}`, which names no field), else a name.
fn text_object(value: String) -> Option<Value> {
    let v = value.trim();
    if v.starts_with('{') || v.starts_with('[') {
        return serde_json::from_str(v).ok();
    }
    if v.starts_with("&{") || v.starts_with("&[") {
        return None;
    }
    Some(Value::String(value))
}

/// Drops the timestamp and TAB the CloudWatch console puts before each message when a log is
/// copied from it (`2022-04-07 20:52:46.018\tmessage`).
fn strip_cloudwatch_prefix(line: &str) -> &str {
    let Some((stamp, rest)) = line.split_once('\t') else {
        return line;
    };
    let stamp = stamp.trim();
    let looks_like_time = stamp.len() >= 19
        && stamp.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && stamp.as_bytes()[4] == b'-'
        && matches!(stamp.as_bytes()[10], b' ' | b'T')
        && !stamp.contains('=');
    if looks_like_time {
        rest.trim_start()
    } else {
        line
    }
}

/// `key=value key="quoted value"` pairs, or `None` if the line is not logfmt.
fn parse_logfmt(line: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = &rest[..eq];
        if key.is_empty() || key.contains([' ', '"', '\t']) {
            return None;
        }
        rest = &rest[eq + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, other)) => out.push(other),
                        None => return None,
                    },
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    other => out.push(other),
                }
            }
            value = out;
            rest = &quoted[end? + 1..];
        } else {
            let stop = rest.find(' ').unwrap_or(rest.len());
            value = rest[..stop].to_string();
            rest = &rest[stop..];
        }
        pairs.push((key.to_string(), value));
        rest = rest.trim_start();
    }
    (!pairs.is_empty()).then_some(pairs)
}

/// What a line means for the replay.
enum Role {
    RunStart,
    RunEnd,
    Operation {
        action: Action,
        kind: EntityKind,
    },
    /// The open operation failed (or, with `Outcome::Warning`, met a condition the tool shrugs
    /// off, such as deleting what is already gone).
    Failure {
        outcome: Outcome,
        status: Option<u16>,
    },
    /// idp-scim-sync found the existing object after a 409 and adopted it; with `update` it goes
    /// on to overwrite its attributes, which is a new operation.
    Adopted {
        update: bool,
    },
    Ignored,
}

fn level_of(line: &LogLine) -> String {
    let level = line
        .level
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match level.as_str() {
        "warning" => "warn".to_string(),
        "fatal" | "panic" | "critical" => "error".to_string(),
        _ => level,
    }
}

fn role_of(line: &LogLine) -> Role {
    if let Some(prose) = &line.prose {
        let lower = prose.to_ascii_lowercase();
        return if lower.starts_with("error") || lower.contains(" error") || lower.contains("failed")
        {
            Role::Failure {
                outcome: Outcome::Failure,
                status: None,
            }
        } else {
            Role::Ignored
        };
    }
    if line.error_message.is_some() && line.msg.is_none() {
        return Role::Failure {
            outcome: Outcome::Failure,
            status: None,
        };
    }
    let msg = line
        .msg
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if level_of(line) == "error" {
        return Role::Failure {
            outcome: Outcome::Failure,
            status: None,
        };
    }
    const OPERATIONS: [(&str, Action, EntityKind); 11] = [
        ("creating user", Action::Create, EntityKind::User),
        ("updating user", Action::Update, EntityKind::User),
        ("deleting user", Action::Delete, EntityKind::User),
        ("deleting google user", Action::Delete, EntityKind::User),
        ("creating group", Action::Create, EntityKind::Group),
        ("creating group in aws", Action::Create, EntityKind::Group),
        ("updating group", Action::Update, EntityKind::Group),
        ("deleting group", Action::Delete, EntityKind::Group),
        ("adding user to group", Action::Other, EntityKind::Group),
        ("adding member to group", Action::Other, EntityKind::Group),
        ("removing user from group", Action::Other, EntityKind::Group),
    ];
    if let Some(&(_, action, kind)) = OPERATIONS.iter().find(|(m, _, _)| msg == *m) {
        return Role::Operation { action, kind };
    }
    if msg == "removing member from group" {
        return Role::Operation {
            action: Action::Other,
            kind: EntityKind::Group,
        };
    }
    if msg.starts_with("syncing aws users and groups")
        || msg == "starting sync groups"
        || msg == "executing as lambda"
    {
        return Role::RunStart;
    }
    if msg == "sync completed" || msg == "sync groups completed" {
        return Role::RunEnd;
    }
    if msg == "user already exists" || msg.contains("already exists with same name or externalid") {
        return Role::Failure {
            outcome: Outcome::Failure,
            status: Some(409),
        };
    }
    if msg.starts_with("error deleting") {
        return Role::Failure {
            outcome: Outcome::Failure,
            status: None,
        };
    }
    if msg.contains("does not exist") || msg.contains("does not exists") {
        // idp-scim-sync deleting something already gone: harmless for it, worth a note.
        return Role::Failure {
            outcome: Outcome::Warning,
            status: Some(404),
        };
    }
    if msg.contains("obtained group information") || msg.contains("obtained user information") {
        return Role::Adopted { update: false };
    }
    if msg.contains("attributes are different, updating the user") {
        return Role::Adopted { update: true };
    }
    Role::Ignored
}

/// The text of an error line: its message, its `error` field, Lambda's `errorMessage`, or prose.
fn error_text(line: &LogLine) -> Option<String> {
    if let Some(prose) = &line.prose {
        return Some(prose.clone());
    }
    let parts: Vec<&str> = [
        line.msg.as_deref(),
        line.error.as_deref(),
        line.error_message.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .filter(|s| !s.is_empty())
    .collect();
    (!parts.is_empty()).then(|| parts.join(": "))
}

/// The entity a line names, if any. `kind` is the operation's kind when known.
fn entity_of(format: Format, line: &LogLine, kind: Option<EntityKind>) -> EntityRef {
    let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let object_field = |v: Option<&Value>, keys: &[&str]| {
        let obj = v?.as_object()?;
        keys.iter()
            .find_map(|k| obj.get(*k).and_then(value_text))
            .filter(|s| !s.is_empty())
    };
    let scalar = |v: Option<&Value>| match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    };
    let from_aws_client = line.msg.as_deref().is_some_and(|m| m.starts_with("aws "));
    let kind = kind.or(if line.user.is_some() || line.email.is_some() {
        Some(EntityKind::User)
    } else if line.group.is_some() || line.group_name.is_some() {
        Some(EntityKind::Group)
    } else {
        None
    });
    let mut entity = EntityRef {
        kind,
        source_id: text(&line.ipid),
        target_id: text(&line.scimid),
        external_id: text(&line.external_id),
        ..EntityRef::default()
    };
    match kind {
        Some(EntityKind::User) => {
            let user = line.user.as_ref();
            let (name, display) = match (format, from_aws_client) {
                // idp-scim-sync's provider logs `user` = display name and `email` = userName.
                (Format::IdpScimSync, false) => (text(&line.email), scalar(user)),
                (Format::IdpScimSync, true) => (scalar(user), text(&line.name)),
                _ => (scalar(user).or_else(|| text(&line.email)), None),
            };
            entity.name = name.or_else(|| object_field(user, &["userName"]));
            entity.display_name = display
                .or_else(|| object_field(user, &["displayName"]))
                .or_else(|| text(&line.display_name));
            entity.external_id = entity
                .external_id
                .or_else(|| object_field(user, &["externalId"]));
            entity.target_id = entity.target_id.or_else(|| object_field(user, &["id"]));
        }
        Some(EntityKind::Group) => {
            let group = line.group.as_ref();
            entity.name = scalar(group)
                .or_else(|| object_field(group, &["displayName"]))
                .or_else(|| text(&line.group_name))
                .or_else(|| {
                    if from_aws_client {
                        text(&line.name)
                    } else {
                        None
                    }
                });
            entity.display_name = entity.name.clone();
            entity.external_id = entity
                .external_id
                .or_else(|| object_field(group, &["externalId"]));
            entity.target_id = entity.target_id.or_else(|| object_field(group, &["id"]));
        }
        _ => {}
    }
    if from_aws_client {
        entity.target_id = entity.target_id.or_else(|| text(&line.id));
    }
    entity
}

/// The member a membership line names: ssosync's `user`, idp-scim-sync's `email`.
fn member_of(line: &LogLine) -> Option<String> {
    match line.user.as_ref() {
        Some(Value::String(s)) => Some(s.clone()),
        Some(obj @ Value::Object(_)) => obj.get("userName").and_then(value_text),
        _ => line.email.clone(),
    }
}

fn same_entity(a: &EntityRef, b: &EntityRef) -> bool {
    let names_agree = match (&a.name, &b.name) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    };
    names_agree && (a.kind.is_none() || b.kind.is_none() || a.kind == b.kind)
}

/// Fills what `from` knows and `into` does not.
fn merge_entity(into: &mut EntityRef, from: EntityRef) {
    into.kind = into.kind.or(from.kind);
    into.source_id = into.source_id.take().or(from.source_id);
    into.target_id = into.target_id.take().or(from.target_id);
    into.name = into.name.take().or(from.name);
    into.display_name = into.display_name.take().or(from.display_name);
    into.external_id = into.external_id.take().or(from.external_id);
}

/// Replays a log line by line, keeping the one operation that is still open.
struct Replay {
    format: Format,
    open: Option<ProvisioningEvent>,
    /// The group the last group operation or summary named: ssosync's membership lines name
    /// only the user.
    current_group: Option<String>,
    skipped: u64,
}

impl Replay {
    fn new(format: Format) -> Self {
        Replay {
            format,
            open: None,
            current_group: None,
            skipped: 0,
        }
    }

    fn close(
        &mut self,
        outcome_if_unstated: Option<Outcome>,
        sink: &mut dyn EventSink,
    ) -> Result<()> {
        if let Some(mut event) = self.open.take() {
            event.outcome = event.outcome.or(outcome_if_unstated);
            sink.event(event)?;
        }
        Ok(())
    }

    fn line(&mut self, line: LogLine, raw: &str, sink: &mut dyn EventSink) -> Result<()> {
        let time = line.time.as_deref().and_then(parse_time);
        match role_of(&line) {
            Role::Ignored => {
                if let Some(group) = scalar_text(line.group.as_ref()) {
                    self.current_group = Some(group);
                }
                self.skipped += 1;
            }
            Role::RunStart => {
                self.close(None, sink)?;
                self.current_group = None;
                self.skipped += 1;
            }
            Role::RunEnd => {
                self.close(Some(Outcome::Success), sink)?;
                self.skipped += 1;
            }
            Role::Operation { action, kind } => {
                self.close(Some(Outcome::Success), sink)?;
                let mut entity = entity_of(self.format, &line, Some(kind));
                let mut attributes = Vec::new();
                if action == Action::Other {
                    // A membership change: the group is the entity, the member what was sent.
                    if entity.name.is_none() || line.group.is_none() {
                        entity = EntityRef {
                            kind: Some(EntityKind::Group),
                            name: scalar_text(line.group.as_ref())
                                .or_else(|| self.current_group.clone()),
                            ..EntityRef::default()
                        };
                        entity.display_name = entity.name.clone();
                    }
                    if let Some(member) = member_of(&line) {
                        attributes.push(SentAttribute {
                            name: "members".to_string(),
                            old_value: None,
                            values: vec![member],
                        });
                    }
                } else if kind == EntityKind::Group {
                    self.current_group = entity.name.clone();
                }
                self.open = Some(ProvisioningEvent {
                    time,
                    action: Some(action),
                    operation: line.msg.clone(),
                    entity,
                    attributes,
                    raw: raw.to_string(),
                    ..ProvisioningEvent::default()
                });
            }
            Role::Failure { outcome, status } => {
                let named = entity_of(self.format, &line, None);
                let text = error_text(&line);
                let belongs = self
                    .open
                    .as_ref()
                    .is_some_and(|open| named.kind.is_none() || same_entity(&open.entity, &named));
                if !belongs {
                    self.close(Some(Outcome::Success), sink)?;
                    let connection_level = named.kind.is_none();
                    self.open = Some(ProvisioningEvent {
                        time,
                        operation: line.msg.clone().or_else(|| text.clone()),
                        entity: named.clone(),
                        connection_level,
                        raw: String::new(),
                        ..ProvisioningEvent::default()
                    });
                }
                let open = self
                    .open
                    .as_mut()
                    .expect("an operation is open after the check above");
                if !open.raw.is_empty() {
                    open.raw.push('\n');
                }
                open.raw.push_str(raw);
                merge_entity(&mut open.entity, named);
                // A failure outranks a warning; a warning does not undo a failure.
                if open.outcome != Some(Outcome::Failure) {
                    open.outcome = Some(outcome);
                }
                if let Some(text) = text {
                    apply_error_text(open, &text);
                }
                open.http_status = open.http_status.or(status);
            }
            Role::Adopted { update } => {
                let named = entity_of(self.format, &line, None);
                let open_matches = self
                    .open
                    .as_ref()
                    .is_some_and(|open| same_entity(&open.entity, &named));
                if !open_matches {
                    self.close(Some(Outcome::Success), sink)?;
                }
                let previous = self.open.take();
                let mut entity = previous
                    .as_ref()
                    .map(|p| p.entity.clone())
                    .unwrap_or_default();
                let action = previous.as_ref().and_then(|p| p.action);
                if let Some(previous) = previous {
                    sink.event(previous)?;
                }
                merge_entity(&mut entity, named.clone());
                // The adopted object's AWS id is the one this line reports.
                entity.target_id = named.target_id.or(entity.target_id);
                let adopted = ProvisioningEvent {
                    time,
                    action: if update { Some(Action::Update) } else { action },
                    operation: line.msg.clone(),
                    entity,
                    outcome: if update { None } else { Some(Outcome::Success) },
                    reason: line.msg.clone(),
                    raw: raw.to_string(),
                    ..ProvisioningEvent::default()
                };
                if update {
                    self.open = Some(adopted);
                } else {
                    sink.event(adopted)?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self, sink: &mut dyn EventSink) -> Result<()> {
        self.close(None, sink)?;
        if self.skipped > 0 {
            sink.warning(SourceWarning {
                kind: WarningKind::Ignored,
                message: format!(
                    "{} log lines that are neither user or group operations nor errors were \
                     skipped",
                    self.skipped
                ),
            });
        }
        Ok(())
    }
}

fn scalar_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Object(obj) => obj.get("displayName").and_then(value_text),
        _ => None,
    }
}

/// Adds an error message to an event: reason, HTTP status, the AWS detail and error code.
fn apply_error_text(event: &mut ProvisioningEvent, text: &str) {
    let already = event.reason.as_deref().is_some_and(|r| r.contains(text));
    if !already {
        event.reason = Some(match event.reason.take() {
            Some(r) => format!("{r}; {text}"),
            None => text.to_string(),
        });
    }
    event.http_status = event.http_status.or_else(|| http_status_in_text(text));
    // idp-scim-sync: `statusCode: 400,  errCode: <scimType>, errMsg: <AWS detail>`.
    if let Some(i) = text.find("errMsg:") {
        let detail = text[i + "errMsg:".len()..].trim();
        if !detail.is_empty() {
            event.aws_detail = event.aws_detail.take().or(Some(detail.to_string()));
        }
        if let Some(j) = text[..i].find("errCode:") {
            let code = text[j + "errCode:".len()..i]
                .trim()
                .trim_end_matches(',')
                .trim();
            if !code.is_empty() {
                event.error_code = event.error_code.take().or(Some(code.to_string()));
            }
        }
    }
    event.aws_detail = event.aws_detail.take().or_else(|| aws_detail_in_text(text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::VecSink;

    fn import_str(format: Format, text: &str) -> Result<VecSink> {
        let input = Input {
            path: "sync.log".into(),
            reader: Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            size: text.len() as u64,
            gzip: false,
        };
        let mut sink = VecSink::default();
        import(format, input, &mut sink)?;
        Ok(sink)
    }

    const SSOSYNC_RUN: &str = r#"{"level":"info","msg":"Syncing AWS users and groups from Google Workspace SAML Application","time":"2026-11-20T10:00:00Z"}
{"create":2,"delete":0,"level":"info","msg":"Change Summary: users","time":"2026-11-20T10:00:07Z"}
{"level":"info","msg":"creating user","time":"2026-11-20T10:00:07Z","user":"dave@example.com"}
{"level":"warning","msg":"user already exists","time":"2026-11-20T10:00:08Z","user":"dave@example.com"}
{"level":"info","msg":"creating user","time":"2026-11-20T10:00:08Z","user":"carol@example.com"}
{"level":"error","msg":"error creating user","time":"2026-11-20T10:00:08Z","user":{"userName":"carol@example.com","displayName":"Carol Nguyen","externalId":"114"}}
{"level":"fatal","msg":"status of http response was 400","time":"2026-11-20T10:00:08Z"}
{"level":"info","msg":"Syncing AWS users and groups from Google Workspace SAML Application","time":"2026-11-20T10:15:00Z"}
{"level":"info","msg":"creating user","time":"2026-11-20T10:15:07Z","user":"carol@example.com"}
{"Name":"Administrator","level":"info","msg":"creating group","time":"2026-11-20T10:15:08Z"}
{"level":"error","msg":"creating group","time":"2026-11-20T10:15:08Z"}
{"level":"fatal","msg":"status of http response was 400","time":"2026-11-20T10:15:08Z"}
"#;

    #[test]
    fn ssosync_error_lines_belong_to_the_operation_they_follow() {
        let sink = import_str(Format::Ssosync, SSOSYNC_RUN).unwrap();
        let ev = &sink.events;
        assert_eq!(
            ev.len(),
            4,
            "{:#?}",
            ev.iter().map(|e| &e.raw).collect::<Vec<_>>()
        );

        assert_eq!(ev[0].entity.name.as_deref(), Some("dave@example.com"));
        assert_eq!(ev[0].outcome, Some(Outcome::Failure));
        assert_eq!(ev[0].http_status, Some(409));

        assert_eq!(ev[1].entity.name.as_deref(), Some("carol@example.com"));
        assert_eq!(ev[1].entity.display_name.as_deref(), Some("Carol Nguyen"));
        assert_eq!(ev[1].entity.external_id.as_deref(), Some("114"));
        assert_eq!(ev[1].outcome, Some(Outcome::Failure));
        assert_eq!(ev[1].http_status, Some(400));
        assert_eq!(ev[1].action, Some(Action::Create));
        assert_eq!(
            ev[1].raw.lines().count(),
            3,
            "announcement, error and fatal line"
        );
        assert!(
            ev[1]
                .reason
                .as_deref()
                .unwrap()
                .contains("status of http response was 400")
        );

        assert_eq!(ev[2].entity.name.as_deref(), Some("carol@example.com"));
        assert_eq!(
            ev[2].outcome,
            Some(Outcome::Success),
            "the next operation started"
        );

        assert_eq!(ev[3].entity.kind, Some(EntityKind::Group));
        assert_eq!(ev[3].entity.name.as_deref(), Some("Administrator"));
        assert_eq!(ev[3].outcome, Some(Outcome::Failure));
        assert_eq!(ev[3].http_status, Some(400));
        assert!(ev.iter().all(|e| !e.connection_level));
    }

    #[test]
    fn ssosync_progress_lines_are_skipped_and_counted() {
        let sink = import_str(Format::Ssosync, SSOSYNC_RUN).unwrap();
        assert_eq!(sink.warnings.len(), 1);
        assert_eq!(sink.warnings[0].kind, WarningKind::Ignored);
        assert!(
            sink.warnings[0].message.starts_with("3 log lines"),
            "{}",
            sink.warnings[0].message
        );
    }

    const IDP_RUN: &str = r#"{"time":"2026-11-20T11:00:00.412Z","level":"INFO","msg":"starting sync groups","codeVersion":"v0.45.1"}
{"time":"2026-11-20T11:00:03.102Z","level":"WARN","msg":"creating groups","groups":1}
{"time":"2026-11-20T11:00:03.102Z","level":"WARN","msg":"creating group","group":"AWSAuditAccountAdmins"}
{"time":"2026-11-20T11:00:03.517Z","level":"WARN","msg":"aws CreateOrGetGroup: groups already exists with same name or externalId, trying to get the group information","name":"AWSAuditAccountAdmins"}
{"time":"2026-11-20T11:00:03.744Z","level":"WARN","msg":"aws CreateOrGetGroup: obtained group information","group":"AWSAuditAccountAdmins","id":"9067-g9"}
{"time":"2026-11-20T11:00:03.746Z","level":"WARN","msg":"creating user","user":"Ola Nordmann","email":"ola@example.com"}
{"time":"2026-11-20T11:00:04.130Z","level":"WARN","msg":"aws CreateOrGetUser: user already exists with same name or externalId, trying to get the user information","user":"ola@example.com","name":"Ola Nordmann","id":""}
{"time":"2026-11-20T11:00:04.512Z","level":"WARN","msg":"aws CreateOrGetUser: user already exists, but attributes are different, updating the user","user":"ola@example.com","id":"9067-u2","displayName":"Ola Nordmann"}
{"time":"2026-11-20T11:00:04.907Z","level":"WARN","msg":"creating user","user":"Priya Raman","email":"priya@example.com"}
"#;

    #[test]
    fn idp_scim_sync_adopted_conflicts_fail_then_succeed() {
        let sink = import_str(Format::IdpScimSync, IDP_RUN).unwrap();
        let ev = &sink.events;
        assert_eq!(ev.len(), 5);
        assert_eq!(ev[0].entity.name.as_deref(), Some("AWSAuditAccountAdmins"));
        assert_eq!(
            (ev[0].outcome, ev[0].http_status),
            (Some(Outcome::Failure), Some(409))
        );
        assert_eq!(ev[1].outcome, Some(Outcome::Success));
        assert_eq!(ev[1].action, Some(Action::Create));
        assert_eq!(ev[1].entity.target_id.as_deref(), Some("9067-g9"));

        assert_eq!(ev[2].entity.name.as_deref(), Some("ola@example.com"));
        assert_eq!(ev[2].entity.display_name.as_deref(), Some("Ola Nordmann"));
        assert_eq!(ev[2].outcome, Some(Outcome::Failure));
        assert_eq!(ev[3].action, Some(Action::Update));
        assert_eq!(ev[3].entity.target_id.as_deref(), Some("9067-u2"));
        assert_eq!(
            ev[3].outcome,
            Some(Outcome::Success),
            "the next operation started"
        );

        assert_eq!(ev[4].entity.name.as_deref(), Some("priya@example.com"));
        assert_eq!(ev[4].outcome, None, "the log ends before the outcome");
    }

    #[test]
    fn idp_scim_sync_cobra_error_text_fails_the_open_operation() {
        let err = "Error: cannot sync groups and their members: scim: error creating user: statusCode: 400,  errCode: , errMsg: 2 validation errors detected: Value at 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value' failed to satisfy constraint: Member must have length greater than or equal to 1";
        let text = format!("{IDP_RUN}{err}\n{err}\n");
        let sink = import_str(Format::IdpScimSync, &text).unwrap();
        let last = sink.events.last().unwrap();
        assert_eq!(last.entity.name.as_deref(), Some("priya@example.com"));
        assert_eq!(last.outcome, Some(Outcome::Failure));
        assert_eq!(last.http_status, Some(400));
        assert!(
            last.aws_detail
                .as_deref()
                .unwrap()
                .starts_with("2 validation errors detected")
        );
        assert_eq!(last.error_code, None, "an empty errCode is no code");
        assert_eq!(
            last.reason.as_deref().unwrap().matches("Error:").count(),
            1,
            "deduplicated"
        );
        assert_eq!(last.raw.lines().count(), 3);
    }

    #[test]
    fn sync_error_with_nothing_open_is_connection_level() {
        let text = r#"{"time":"2026-11-20T11:00:00Z","level":"ERROR","msg":"cannot get secrets","error":"AccessDeniedException: not authorized"}"#;
        let ev = &import_str(Format::IdpScimSync, text).unwrap().events[0];
        assert!(ev.connection_level);
        assert_eq!(ev.outcome, Some(Outcome::Failure));
        assert_eq!(
            ev.reason.as_deref(),
            Some("cannot get secrets: AccessDeniedException: not authorized")
        );
    }

    #[test]
    fn ssosync_text_format_lines_are_read_like_json() {
        let text = "time=\"2026-11-20T10:00:07Z\" level=info msg=\"creating user\" user=dave@example.com\n\
                    time=\"2026-11-20T10:00:08Z\" level=warning msg=\"user already exists\" user=dave@example.com\n";
        assert!(looks_like_text_log(text.lines().next().unwrap()));
        let ev = &import_str(Format::Ssosync, text).unwrap().events[0];
        assert_eq!(ev.entity.name.as_deref(), Some("dave@example.com"));
        assert_eq!(ev.http_status, Some(409));
        assert!(ev.time.is_some());
    }

    #[test]
    fn ssosync_membership_lines_name_the_group_being_synced() {
        let text = r#"{"Name":"aws-dev","level":"info","msg":"creating group","time":"2026-11-20T10:00:00Z"}
{"level":"info","msg":"adding user to group","time":"2026-11-20T10:00:01Z","user":"ann@example.com"}
{"level":"info","msg":"sync completed","time":"2026-11-20T10:00:02Z"}"#;
        let sink = import_str(Format::Ssosync, text).unwrap();
        let add = &sink.events[1];
        assert_eq!(add.entity.kind, Some(EntityKind::Group));
        assert_eq!(add.entity.name.as_deref(), Some("aws-dev"));
        assert_eq!(add.action, Some(Action::Other));
        assert_eq!(add.attributes[0].values, vec!["ann@example.com"]);
        assert_eq!(add.outcome, Some(Outcome::Success));
    }

    #[test]
    fn detect_tool_tells_the_two_tools_apart_by_vocabulary() {
        assert_eq!(detect_tool(SSOSYNC_RUN), Format::Ssosync);
        assert_eq!(detect_tool(IDP_RUN), Format::IdpScimSync);
        let old_idp = r#"{"level":"info","msg":"starting sync groups","codeVersion":"v0.20.0","time":"2023-01-01T00:00:00Z"}"#;
        assert_eq!(detect_tool(old_idp), Format::IdpScimSync);
    }

    #[test]
    fn sync_cut_json_line_names_its_line() {
        let text = format!(
            "{}\n{{\"level\":\"info\",\"msg\":\"creat",
            SSOSYNC_RUN.lines().next().unwrap()
        );
        let msg = import_str(Format::Ssosync, &text).unwrap_err().to_string();
        assert!(msg.contains("sync.log") && msg.contains("line 2"), "{msg}");
        assert!(msg.contains("ssosync log line"), "{msg}");
    }
}
