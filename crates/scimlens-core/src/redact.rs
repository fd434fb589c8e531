//! Secrets in logs are redacted at import, before anything is stored. Sync tools print bearer
//! tokens, AWS keys and passwords at debug level, and Entra reasons quote whole HTTP exchanges;
//! the import's classify stage passes every text of a record through [`event`] (and every source
//! warning through [`warning`]), so no secret reaches the workspace file, the views or a report.
//! What stays in its place is a marker naming the kind (`[redacted: bearer token]`), so the
//! admin still sees that a token was there.
//!
//! It has to keep pace with an import of ~100,000 records a second, and nearly every text is
//! clean. So one multi-pattern search (aho-corasick's SIMD "packed" searcher, case variants
//! spelled out because its case-insensitive mode has no SIMD path) finds the anchors: a key word
//! (`token`, `password`, `secret`, `api_key`, `authorization`), `Bearer`, `SSWS`, `AKIA`/`ASIA`,
//! `eyJ`, `-----BEGIN`. Only around an anchor does a small hand-written scanner look further.
//! Clean text costs that one pass and is never copied ([`redact`] returns `Cow::Borrowed`).
//!
//! What is redacted:
//! - `key=value`, `key: value`, `"key": "value"` (also JSON escaped inside a JSON string, Go's
//!   `key:[value]` and `--key value` flags) whose key ends in `password`, `passwd`, `secret`,
//!   `secret_key`, `token` or `api_key` (`_`/`-` and case ignored), as `password`; keys ending
//!   in `secret_access_key` and `session_token`/`security_token` as the AWS kinds;
//! - `Authorization` values (a `Bearer` one as a bearer token, any other scheme as a header);
//! - a token after `Bearer ` anywhere (at least 20 characters, or 8 with a digit, so prose such as
//!   "Bearer token expired" stays), an Okta `SSWS` token;
//! - AWS access key ids (`AKIA`/`ASIA` and 16 upper-case letters or digits, alone as a word),
//!   JWTs (three base64url segments starting `eyJ`), PEM private keys (a Google service
//!   account's `private_key`) from `-----BEGIN` to the end of the `-----END` line.
//!
//! A key written in mixed case inside one word (`passWord`) is not an anchor; a bare 40-character
//! secret access key with no key name beside it cannot be told from a hex digest and stays.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::error::Error;
use crate::model::ProvisioningEvent;
use crate::model::SourceWarning;

/// The kinds of secret, each with its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secret {
    BearerToken,
    AuthorizationHeader,
    AwsAccessKeyId,
    AwsSecretAccessKey,
    AwsSessionToken,
    Jwt,
    Password,
    PrivateKey,
}

impl Secret {
    pub(crate) fn marker(self) -> &'static str {
        match self {
            Secret::BearerToken => "[redacted: bearer token]",
            Secret::AuthorizationHeader => "[redacted: authorization header]",
            Secret::AwsAccessKeyId => "[redacted: aws access key id]",
            Secret::AwsSecretAccessKey => "[redacted: aws secret access key]",
            Secret::AwsSessionToken => "[redacted: aws session token]",
            Secret::Jwt => "[redacted: jwt]",
            Secret::Password => "[redacted: password]",
            Secret::PrivateKey => "[redacted: private key]",
        }
    }
}

/// What an anchor starts; the scanner for it decides whether a secret is really there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Key,
    Bearer,
    Ssws,
    AccessKeyId,
    Jwt,
    PrivateKey,
}

const ANCHORS: &[(&str, Anchor)] = &[
    ("token", Anchor::Key),
    ("Token", Anchor::Key),
    ("TOKEN", Anchor::Key),
    ("passw", Anchor::Key),
    ("Passw", Anchor::Key),
    ("PASSW", Anchor::Key),
    ("secret", Anchor::Key),
    ("Secret", Anchor::Key),
    ("SECRET", Anchor::Key),
    ("apikey", Anchor::Key),
    ("apiKey", Anchor::Key),
    ("ApiKey", Anchor::Key),
    ("APIKEY", Anchor::Key),
    ("api_key", Anchor::Key),
    ("Api_Key", Anchor::Key),
    ("API_KEY", Anchor::Key),
    ("api-key", Anchor::Key),
    ("Api-Key", Anchor::Key),
    ("API-KEY", Anchor::Key),
    ("authoriz", Anchor::Key),
    ("Authoriz", Anchor::Key),
    ("AUTHORIZ", Anchor::Key),
    ("bearer", Anchor::Bearer),
    ("Bearer", Anchor::Bearer),
    ("BEARER", Anchor::Bearer),
    ("SSWS", Anchor::Ssws),
    ("AKIA", Anchor::AccessKeyId),
    ("ASIA", Anchor::AccessKeyId),
    ("eyJ", Anchor::Jwt),
    ("-----BEGIN", Anchor::PrivateKey),
];

static SEARCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(ANCHORS.iter().map(|(pattern, _)| pattern))
        .expect("the anchors are a handful of short literals")
});

/// One secret found: the bytes `start..end` of the text are replaced by the kind's marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    kind: Secret,
}

/// `text` with every secret replaced by its marker; borrowed when there was none.
pub(crate) fn redact(text: &str) -> Cow<'_, str> {
    let spans = find(text.as_bytes());
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&text[at..span.start]);
        out.push_str(span.kind.marker());
        at = span.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Redacts `text` where it is, copying only when there is something to replace.
pub(crate) fn in_place(text: &mut String) {
    let redacted = match redact(text) {
        Cow::Borrowed(_) => return,
        Cow::Owned(redacted) => redacted,
    };
    *text = redacted;
}

fn in_option(text: &mut Option<String>) {
    if let Some(text) = text {
        in_place(text);
    }
}

/// Redacts every text of a record that is stored or shown: the raw record, the reasons, the
/// attribute values, the steps and the entity's names and ids.
pub(crate) fn event(event: &mut ProvisioningEvent) {
    let ProvisioningEvent {
        time: _,
        record_id,
        job_id,
        cycle_id,
        change_id,
        action: _,
        operation,
        entity,
        outcome: _,
        http_status: _,
        error_code,
        aws_detail,
        reason,
        skip_reason,
        connection_level: _,
        masked: _,
        attributes,
        steps,
        raw,
    } = event;
    in_place(raw);
    for text in [
        record_id,
        job_id,
        cycle_id,
        change_id,
        operation,
        error_code,
        aws_detail,
        reason,
        skip_reason,
        &mut entity.source_id,
        &mut entity.target_id,
        &mut entity.name,
        &mut entity.display_name,
        &mut entity.external_id,
    ] {
        in_option(text);
    }
    for attribute in attributes {
        // An attribute that is itself a secret (SCIM's `password`) is replaced whole: its
        // values carry no key of their own for the scanner to see.
        let secret = key_kind(attribute.name.as_bytes()).is_some();
        for value in attribute
            .values
            .iter_mut()
            .chain(attribute.old_value.as_mut())
        {
            if secret && !value.is_empty() {
                *value = Secret::Password.marker().to_string();
            } else {
                in_place(value);
            }
        }
        in_place(&mut attribute.name);
    }
    for step in steps {
        in_place(&mut step.name);
        in_option(&mut step.step_type);
        in_option(&mut step.status);
        in_option(&mut step.description);
        for (key, value) in &mut step.details {
            if key_kind(key.as_bytes()).is_some() && !value.is_empty() {
                *value = Secret::Password.marker().to_string();
            } else {
                in_place(value);
            }
            in_place(key);
        }
    }
}

/// Redacts a source warning's message (warnings quote what they found in the file).
pub(crate) fn warning(warning: &mut SourceWarning) {
    in_place(&mut warning.message);
}

/// Redacts what a parse error quotes from the file (serde names the value it could not read,
/// `invalid type: string "..."`): the error is shown, and may be pasted into a ticket.
pub(crate) fn error(mut error: Error) -> Error {
    if let Error::Parse {
        expected, found, ..
    } = &mut error
    {
        in_place(expected);
        in_place(found);
    }
    error
}

/// Every secret in `b`, in order and not overlapping.
fn find(b: &[u8]) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    // Anchors inside a secret already found, or inside a key word already judged, are skipped.
    let mut free = 0;
    for m in SEARCHER.find_iter(b) {
        if m.start() < free {
            continue;
        }
        let (found, judged_to) = match ANCHORS[m.pattern().as_usize()].1 {
            Anchor::Key => key_value(b, m.start(), m.end()),
            Anchor::Bearer => (bearer(b, m.start(), m.end()), m.end()),
            Anchor::Ssws => (ssws(b, m.start(), m.end()), m.end()),
            Anchor::AccessKeyId => (access_key_id(b, m.start(), m.end()), m.end()),
            Anchor::Jwt => (jwt(b, m.start()), m.end()),
            Anchor::PrivateKey => (private_key(b, m.start(), m.end()), m.end()),
        };
        free = free.max(judged_to);
        if let Some(span) = found {
            debug_assert!(
                span.start >= m.start() && span.start < span.end,
                "a secret starts at or after its anchor and is not empty: {span:?}"
            );
            debug_assert!(
                spans.last().is_none_or(|last| last.end <= span.start),
                "anchors come in order and skip found secrets, so spans never overlap"
            );
            free = free.max(span.end);
            spans.push(span);
        }
    }
    spans
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// RFC 6750's `b64token` characters (and `=` padding).
fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

fn run(b: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    b[from.min(b.len())..]
        .iter()
        .position(|&c| !pred(c))
        .map_or(b.len(), |n| from + n)
}

/// What a key's value is, judged by the key's name; `None` for a key that holds no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Value(Secret),
    Authorization,
}

/// Judges a key name: case, `_` and `-` are ignored, the end of the name decides.
fn key_kind(word: &[u8]) -> Option<KeyKind> {
    const LONGEST: usize = 64;
    if word.len() > LONGEST {
        return None;
    }
    let mut buf = [0u8; LONGEST];
    let mut n = 0;
    for &c in word {
        if c != b'_' && c != b'-' && c != b'.' {
            buf[n] = c.to_ascii_lowercase();
            n += 1;
        }
    }
    let key = &buf[..n];
    let ends = |suffix: &[u8]| key.ends_with(suffix);
    // Pagination cursors (Graph's `$skiptoken`, AWS's `NextToken`) are no credentials, and the
    // admin may need them to fetch the next page.
    let cursor = [
        &b"nexttoken"[..],
        b"skiptoken",
        b"pagetoken",
        b"deltatoken",
        b"continuationtoken",
    ]
    .iter()
    .any(|c| ends(c));
    if cursor {
        None
    } else if ends(b"secretaccesskey") {
        Some(KeyKind::Value(Secret::AwsSecretAccessKey))
    } else if ends(b"sessiontoken") || ends(b"securitytoken") {
        Some(KeyKind::Value(Secret::AwsSessionToken))
    } else if ends(b"authorization") {
        Some(KeyKind::Authorization)
    } else if ends(b"password")
        || ends(b"passwd")
        || ends(b"secret")
        || ends(b"secretkey")
        || ends(b"token")
        || ends(b"apikey")
    {
        Some(KeyKind::Value(Secret::Password))
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
    /// `\"`: JSON quoted inside a JSON string (Entra reasons quote whole request bodies).
    Escaped,
}

/// Where a value that starts at `from` ends.
fn value_end(b: &[u8], from: usize, quote: Quote) -> usize {
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        let stop = match quote {
            Quote::None => {
                c.is_ascii_whitespace()
                    || matches!(
                        c,
                        b'"' | b'\''
                            | b'\\'
                            | b','
                            | b';'
                            | b'&'
                            | b')'
                            | b']'
                            | b'}'
                            | b'<'
                            | b'>'
                    )
            }
            Quote::Double if c == b'\\' => {
                i += 2;
                continue;
            }
            Quote::Double => c == b'"' || c == b'\n' || c == b'\r',
            Quote::Single => c == b'\'' || c == b'\n' || c == b'\r',
            Quote::Escaped => c == b'\\' || c == b'"' || c == b'\n' || c == b'\r',
        };
        if stop {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// A key word around the anchor `start..end`, its separator and its value.
/// Returns the secret and how far the text has been judged.
fn key_value(b: &[u8], start: usize, end: usize) -> (Option<Span>, usize) {
    let mut ws = start;
    while ws > 0 && is_word(b[ws - 1]) {
        ws -= 1;
    }
    let we = run(b, end, is_word);
    let word = &b[ws..we];
    let Some(kind) = key_kind(word) else {
        return (None, we);
    };
    // `arn:aws:secretsmanager:...:secret:Name`, `urn:...:token:...`: a path, not a pair.
    if ws > 0 && b[ws - 1] == b':' {
        return (None, we);
    }
    let key_quoted = ws > 0 && matches!(b[ws - 1], b'"' | b'\'');
    let flag = word.starts_with(b"-");

    // The key's closing quote (`"`, `'`, `\"`), then `:` or `=` between optional spaces.
    let mut i = we;
    while i < b.len() && i - we < 4 && matches!(b[i], b'"' | b'\'' | b'\\') {
        i += 1;
    }
    let spaces_from = i;
    while i < b.len() && i - spaces_from < 8 && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    let colon = match b.get(i) {
        Some(b':') => {
            i += 1;
            true
        }
        Some(b'=') => {
            i += 1;
            false
        }
        // `--access-token abc`: a command-line flag and its value.
        Some(&c) if flag && i > we && i == spaces_from + 1 && c != b'-' => false,
        _ => return (None, we),
    };
    let spaces_from = i;
    while i < b.len() && i - spaces_from < 8 && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    if b[i..].starts_with(b"[redacted") {
        return (None, we);
    }
    // Go prints headers as `map[Authorization:[Bearer abc]]`.
    if b.get(i) == Some(&b'[') {
        i += 1;
    }
    let quote = match b.get(i) {
        Some(b'"') => {
            i += 1;
            Quote::Double
        }
        Some(b'\'') => {
            i += 1;
            Quote::Single
        }
        Some(b'\\') => {
            let quote_at = run(b, i, |c| c == b'\\');
            if b.get(quote_at) != Some(&b'"') {
                return (None, we);
            }
            i = quote_at + 1;
            Quote::Escaped
        }
        Some(b'{' | b'[') | None => return (None, we),
        Some(_) => Quote::None,
    };
    // Prose, not a pair: "invalid token: expired", "Authorization: denied".
    let prose = colon && !key_quoted && quote == Quote::None;

    let vs = i;
    let span = match kind {
        KeyKind::Value(secret) => {
            let ve = value_end(b, vs, quote);
            let value = &b[vs..ve];
            let skip = value.is_empty()
                || value.starts_with(b"[redacted")
                || value.iter().all(|&c| c == b'*')
                || (quote == Quote::None
                    && matches!(value, b"null" | b"true" | b"false" | b"nil" | b"None"))
                || (prose && value.iter().all(u8::is_ascii_alphabetic));
            (!skip).then_some(Span {
                start: vs,
                end: ve,
                kind: secret,
            })
        }
        KeyKind::Authorization => authorization(b, vs, quote, prose),
    };
    (span, span.map_or(we, |s| s.end))
}

/// An `Authorization` value starting at `vs`: `Bearer` and its token, or any other scheme and
/// its credentials (all of an AWS Signature V4 header).
fn authorization(b: &[u8], vs: usize, quote: Quote, prose: bool) -> Option<Span> {
    let scheme_end = run(b, vs, |c| {
        !c.is_ascii_whitespace() && !matches!(c, b'"' | b'\'' | b'\\' | b',' | b']' | b'}')
    });
    let scheme = &b[vs..scheme_end];
    if scheme.is_empty() || scheme.starts_with(b"[redacted") {
        return None;
    }
    let known = [
        &b"bearer"[..],
        b"basic",
        b"ssws",
        b"digest",
        b"negotiate",
        b"ntlm",
        b"token",
    ]
    .iter()
    .any(|s| scheme.eq_ignore_ascii_case(s))
        || scheme.starts_with(b"AWS4-");
    let has_credentials = scheme_end < b.len() && b[scheme_end] == b' ';
    let credentials = has_credentials
        .then(|| {
            let from = scheme_end + 1;
            (from, value_end(b, from, Quote::None))
        })
        .filter(|&(from, to)| to > from && !b[from..].starts_with(b"[redacted"));
    if prose && !known && scheme.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    if scheme.eq_ignore_ascii_case(b"bearer") {
        let (from, to) = credentials?;
        let to = match quote {
            Quote::None => to,
            quoted => value_end(b, from, quoted),
        };
        return Some(Span {
            start: from,
            end: to,
            kind: Secret::BearerToken,
        });
    }
    let end = match quote {
        // Signature V4 headers run on with `, SignedHeaders=..., Signature=...`.
        Quote::None if scheme.starts_with(b"AWS4-") => run(b, vs, |c| {
            !matches!(c, b'"' | b'\'' | b'\\' | b'\n' | b'\r')
        }),
        Quote::None => credentials.map_or(scheme_end, |(_, to)| to),
        quoted => value_end(b, vs, quoted),
    };
    Some(Span {
        start: vs,
        end,
        kind: Secret::AuthorizationHeader,
    })
}

/// The token after `Bearer ` when it looks like a credential rather than a word.
fn bearer(b: &[u8], start: usize, end: usize) -> Option<Span> {
    if start > 0 && b[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let from = run(b, end, |c| c == b' ');
    if from == end || from - end > 4 {
        return None;
    }
    let to = run(b, from, is_token);
    let token = &b[from..to];
    let credential =
        token.len() >= 20 || (token.len() >= 8 && token.iter().any(u8::is_ascii_digit));
    credential.then_some(Span {
        start: from,
        end: to,
        kind: Secret::BearerToken,
    })
}

/// Okta's API token scheme: `SSWS 00abc...`.
fn ssws(b: &[u8], start: usize, end: usize) -> Option<Span> {
    if start > 0 && b[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let from = run(b, end, |c| c == b' ');
    if from == end || from - end > 4 {
        return None;
    }
    let to = run(b, from, is_b64url);
    (to - from >= 16).then_some(Span {
        start: from,
        end: to,
        kind: Secret::Password,
    })
}

/// `AKIA`/`ASIA` and 16 upper-case letters or digits, a word of its own.
fn access_key_id(b: &[u8], start: usize, end: usize) -> Option<Span> {
    if start > 0 && b[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let to = end + 16;
    let body = b.get(end..to)?;
    let whole = body
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b.get(to).is_none_or(|c| !c.is_ascii_alphanumeric());
    whole.then_some(Span {
        start,
        end: to,
        kind: Secret::AwsAccessKeyId,
    })
}

/// Three base64url segments, the first (the header, `{"...`) starting `eyJ`.
fn jwt(b: &[u8], start: usize) -> Option<Span> {
    if start > 0 && (is_b64url(b[start - 1]) || b[start - 1] == b'.') {
        return None;
    }
    let header_end = run(b, start, is_b64url);
    if header_end - start < 10 || b.get(header_end) != Some(&b'.') {
        return None;
    }
    let payload_end = run(b, header_end + 1, is_b64url);
    if payload_end - header_end - 1 < 2 || b.get(payload_end) != Some(&b'.') {
        return None;
    }
    // An unsigned token (`alg: none`) has an empty signature.
    let end = run(b, payload_end + 1, is_b64url);
    Some(Span {
        start,
        end,
        kind: Secret::Jwt,
    })
}

/// A PEM private key from `-----BEGIN ... PRIVATE KEY-----` to the end of its `-----END` line;
/// a key cut short runs to the end of its JSON string (or of the text).
fn private_key(b: &[u8], start: usize, end: usize) -> Option<Span> {
    let header = b.get(end..b.len().min(end + 64))?;
    let close = memchr::memmem::find(header, b"-----")?;
    // A certificate or a public key is no secret.
    memchr::memmem::find(&header[..close], b"PRIVATE KEY")?;
    let body = end + close + 5;
    let stop = match memchr::memmem::find(&b[body..], b"-----END") {
        Some(at) => {
            let after = body + at + 8;
            memchr::memmem::find(&b[after..], b"-----").map_or(b.len(), |n| after + n + 5)
        }
        None => memchr::memchr(b'"', &b[body..]).map_or(b.len(), |n| body + n),
    };
    Some(Span {
        start,
        end: stop,
        kind: Secret::PrivateKey,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> String {
        redact(text).into_owned()
    }

    fn untouched(text: &str) {
        assert!(
            matches!(redact(text), Cow::Borrowed(_)),
            "redacted what is no secret: {text:?} -> {:?}",
            redact(text)
        );
    }

    const SCIM_TOKEN: &str =
        "8Qr5bN2xYw0kLm3vTz9pHc4dFs7gJe1aUo6iXy2VnBq5RtKw8Zm3Lp0Hd9Gf4Cs7Ja1Ue6Io";
    const JWT: &str =
        "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ";

    #[test]
    fn clean_text_is_borrowed_not_copied() {
        untouched(
            "Failed to create User 'alice@contoso.com' in customappsso; StatusCode: BadRequest",
        );
        untouched("");
    }

    #[test]
    fn a_scim_bearer_token_is_redacted_after_bearer() {
        let text = format!("POST /scim/v2/Users Authorization Bearer {SCIM_TOKEN} failed");
        assert_eq!(
            r(&text),
            "POST /scim/v2/Users Authorization Bearer [redacted: bearer token] failed"
        );
    }

    #[test]
    fn an_authorization_header_with_bearer_keeps_the_scheme() {
        assert_eq!(
            r(&format!("Authorization: Bearer {SCIM_TOKEN}\r\nHost: x")),
            "Authorization: Bearer [redacted: bearer token]\r\nHost: x"
        );
        // In an Authorization header even a short token is a token.
        assert_eq!(
            r(r#"{"authorization":"Bearer abc"}"#),
            r#"{"authorization":"Bearer [redacted: bearer token]"}"#
        );
    }

    #[test]
    fn an_authorization_header_of_another_scheme_is_redacted_whole() {
        assert_eq!(
            r("authorization=Basic dXNlcjpwYXNzd29yZA== status=401"),
            "authorization=[redacted: authorization header] status=401"
        );
        assert_eq!(
            r("map[Authorization:[Basic dXNlcjpwYXNz] Content-Type:[application/json]]"),
            "map[Authorization:[[redacted: authorization header]] Content-Type:[application/json]]"
        );
        assert_eq!(
            r(
                "Authorization: AWS4-HMAC-SHA256 Credential=X/20261120/us-east-1/sso/aws4_request, \
               SignedHeaders=host, Signature=0123abcd\nnext"
            ),
            "Authorization: [redacted: authorization header]\nnext"
        );
    }

    #[test]
    fn an_authorization_header_escaped_inside_a_json_string_is_redacted() {
        let text = r#"{"reason":"request {\"Authorization\":\"Basic dXNlcjpwYXNz\",\"x\":1}"}"#;
        assert_eq!(
            r(text),
            r#"{"reason":"request {\"Authorization\":\"[redacted: authorization header]\",\"x\":1}"}"#
        );
    }

    #[test]
    fn aws_access_key_ids_are_redacted() {
        assert_eq!(
            r("key AKIAIOSFODNN7EXAMPLE used, temp ASIAY34FZKBOKMUTVV7A."),
            "key [redacted: aws access key id] used, temp [redacted: aws access key id]."
        );
    }

    #[test]
    fn aws_secret_access_keys_are_redacted_beside_their_name() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        for text in [
            format!("aws_secret_access_key = {secret}"),
            format!(r#""SecretAccessKey": "{secret}""#),
            format!("secret_access_key={secret}"),
            format!("AWS_SECRET_ACCESS_KEY={secret}"),
        ] {
            let out = r(&text);
            assert!(!out.contains(secret), "{out}");
            assert!(out.contains("[redacted: aws secret access key]"), "{out}");
        }
    }

    #[test]
    fn aws_session_tokens_are_redacted_beside_their_name() {
        let token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+abc=";
        for text in [
            format!("aws_session_token={token}"),
            format!(r#"{{"SessionToken":"{token}"}}"#),
            format!("X-Amz-Security-Token: {token}"),
        ] {
            let out = r(&text);
            assert!(!out.contains(token), "{out}");
            assert!(out.contains("[redacted: aws session token]"), "{out}");
        }
    }

    #[test]
    fn jwts_are_redacted() {
        assert_eq!(
            r(&format!("id_tok {JWT} end")),
            "id_tok [redacted: jwt] end"
        );
        assert_eq!(
            r(&format!("token in url ?x={JWT}&y=1")),
            "token in url ?x=[redacted: jwt]&y=1"
        );
    }

    #[test]
    fn password_style_pairs_are_redacted() {
        let cases = [
            (
                "password=hunter2 user=bob",
                "password=[redacted: password] user=bob",
            ),
            (
                r#"{"password": "correct horse", "user": "bob"}"#,
                r#"{"password": "[redacted: password]", "user": "bob"}"#,
            ),
            (
                "client_secret=abc.DEF~123&grant_type=client_credentials",
                "client_secret=[redacted: password]&grant_type=client_credentials",
            ),
            ("token=abcdef", "token=[redacted: password]"),
            ("api_key: 1234abcd", "api_key: [redacted: password]"),
            (
                r#"{"x-api-key":"k-99"}"#,
                r#"{"x-api-key":"[redacted: password]"}"#,
            ),
            (
                "secret='s3cr3t!' next",
                "secret='[redacted: password]' next",
            ),
            (
                "--access-token 0a1b2c3d --region us-east-1",
                "--access-token [redacted: password] --region us-east-1",
            ),
            (
                "SSOSYNC_SCIM_ACCESS_TOKEN=abc123def",
                "SSOSYNC_SCIM_ACCESS_TOKEN=[redacted: password]",
            ),
            (
                r#"msg="auth" aws_scim_access_token="abc 123""#,
                r#"msg="auth" aws_scim_access_token="[redacted: password]""#,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(r(text), expected, "{text}");
        }
    }

    #[test]
    fn an_okta_ssws_token_is_redacted() {
        assert_eq!(
            r("Authorization: SSWS 00QCjAl4MlV-WPXM_abcdefghijklmn"),
            "Authorization: [redacted: authorization header]"
        );
        assert_eq!(
            r("using SSWS 00QCjAl4MlV-WPXM_abcdefghijklmn now"),
            "using SSWS [redacted: password] now"
        );
    }

    #[test]
    fn a_pem_private_key_is_redacted_to_its_end_line() {
        let text = r#"{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n","client_email":"x@y.iam.gserviceaccount.com"}"#;
        assert_eq!(
            r(text),
            r#"{"type":"service_account","private_key":"[redacted: private key]\n","client_email":"x@y.iam.gserviceaccount.com"}"#
        );
        let cut = r#""-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBA"}"#;
        assert_eq!(r(cut), r#""[redacted: private key]"}"#);
    }

    #[test]
    fn near_misses_are_not_redacted() {
        // Hex ids and digests, GUIDs, emails, AWS ids that are not keys.
        untouched("sha1 0123456789abcdef0123456789abcdef01234567 id");
        untouched("user 9067a6b1c2-5693515b-fb89-543a-a6af-cff7274fa3f7");
        untouched("570ee982-2a6d-5f41-975b-b01853701fa3 alice.token@contoso.com");
        untouched(
            "AKIAIOSFODNN7EXAMPL short, XAKIAIOSFODNN7EXAMPLE inside, AKIAIOSFODNN7EXAMPLEX long",
        );
        untouched("role AROAJQABLZS4A3QDU576Q and ASIA-Pacific users");
        // Words around the key names.
        untouched("invalid token: expired; Bearer token is invalid; tokenType=bearer");
        untouched("Unauthorized: the request is not authorized. Authorization: denied");
        untouched(r#"{"nextToken": null, "passwordPolicy": "strong", "secrets": 3}"#);
        untouched(r#"{"token": {"kind": "x"}, "password": ""}"#);
        untouched("a secret of success; PasswordNeverExpires=true");
        // Pagination cursors and resource names that merely contain a key word.
        untouched(
            "provisioning?$top=12&$skiptoken=5e63300a4c365092baeb62279b6e7386 NextToken=abc1",
        );
        untouched(
            r#"msg="reading secret" name="arn:aws:secretsmanager:us-east-1:1:secret:SCIMAccessToken-x1""#,
        );
        // Base64 JSON that is not a JWT, and a PEM certificate (public).
        untouched("eyJhbGciOiJIUzI1NiJ9 alone");
        untouched("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
        // Already redacted text stays as it is.
        untouched("password=[redacted: password] Bearer [redacted: bearer token]");
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        let text = format!(
            "Authorization: Bearer {SCIM_TOKEN} key AKIAIOSFODNN7EXAMPLE {JWT} password=x1"
        );
        let once = r(&text);
        assert_eq!(r(&once), once);
    }

    #[test]
    fn a_parse_error_quoting_a_secret_is_redacted() {
        let e = error(Error::Parse {
            path: "log.json".into(),
            position: crate::error::Position::line_col(3, 9),
            expected: "a number".into(),
            found: format!("invalid type: string \"Bearer {SCIM_TOKEN}\""),
        });
        let shown = e.to_string();
        assert!(!shown.contains(SCIM_TOKEN), "{shown}");
        assert!(shown.contains("Bearer [redacted: bearer token]"), "{shown}");
    }

    #[test]
    fn secret_attributes_and_step_details_are_replaced_whole() {
        use crate::model::{SentAttribute, Step};
        let mut e = ProvisioningEvent {
            attributes: vec![SentAttribute {
                name: "password".into(),
                old_value: Some("old-one".into()),
                values: vec!["plain words".into()],
            }],
            steps: vec![Step {
                name: "export".into(),
                details: vec![("ClientSecret".into(), "plain".into())],
                description: Some(format!("sent Bearer {SCIM_TOKEN}")),
                ..Step::default()
            }],
            reason: Some("aws_session_token=abc".into()),
            raw: format!("{{\"x\":\"{JWT}\"}}"),
            ..ProvisioningEvent::default()
        };
        event(&mut e);
        assert_eq!(e.attributes[0].values, ["[redacted: password]"]);
        assert_eq!(
            e.attributes[0].old_value.as_deref(),
            Some("[redacted: password]")
        );
        assert_eq!(e.steps[0].details[0].1, "[redacted: password]");
        assert_eq!(
            e.steps[0].description.as_deref(),
            Some("sent Bearer [redacted: bearer token]")
        );
        assert_eq!(
            e.reason.as_deref(),
            Some("aws_session_token=[redacted: aws session token]")
        );
        assert_eq!(e.raw, "{\"x\":\"[redacted: jwt]\"}");
    }
}
