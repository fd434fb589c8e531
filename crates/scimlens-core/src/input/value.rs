//! Lenient readers for values whose shape varies between exports: strings that are sometimes
//! numbers, timestamps in several styles, objects that are sometimes one-element arrays.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A string, number or bool read as text (`"status": "400"` and `"status": 400` alike).
/// Scalars go straight to a `String` (this runs for every field of every record); only the odd
/// object or array in a text field is built as a tree and re-encoded.
pub fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Text;
    impl<'de> serde::de::Visitor<'de> for Text {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string, number, boolean or null")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Text)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let v = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            Ok(Some(v.to_string()))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            let v = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_option(Text)
}

/// Text of a JSON value, `None` for null; objects and arrays as compact JSON.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Parses the timestamp styles seen in provisioning logs: RFC 3339 (`2026-11-20T10:57:08.014Z`),
/// naive ISO (`2026-11-20T10:57:08.0140000`, taken as UTC), space-separated
/// (`2026-11-20 10:57:08.014`), US portal style (`11/20/2026, 10:57:08 AM`) and CloudTrail's
/// `Nov 20, 2026, 10:57:08 AM`.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // Log Analytics and some portal exports append " UTC" or use a space before the offset.
    let s = s
        .strip_suffix(" UTC")
        .or_else(|| s.strip_suffix('Z'))
        .unwrap_or(s);
    const NAIVE: [&str; 8] = [
        "%m/%d/%Y, %I:%M:%S%.f %p",
        "%m/%d/%Y %I:%M:%S%.f %p",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%b %d, %Y, %I:%M:%S %p",
        "%d/%m/%Y %H:%M:%S",
    ];
    NAIVE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|n| Utc.from_utc_datetime(&n))
}

/// Formats a time the way every report shows it: RFC 3339, UTC, milliseconds.
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Extracts the AWS SCIM error body embedded in a longer message (Entra's `reason` quotes it),
/// returning its `detail` and `status`.
pub fn embedded_aws_error(text: &str) -> Option<(Option<String>, Option<u16>)> {
    let start = text.find("{\"schema")?;
    let candidate = &text[start..];
    let mut de = serde_json::Deserializer::from_str(candidate).into_iter::<Value>();
    let body = de.next()?.ok()?;
    let detail = body.get("detail").and_then(value_text);
    let status = body
        .get("status")
        .and_then(value_text)
        .and_then(|s| s.parse().ok());
    if detail.is_none() && status.is_none() {
        return None;
    }
    Some((detail, status))
}

/// Finds an HTTP status stated in free text: `StatusCode: BadRequest`, `status of http response
/// was 409`, `HTTP 401`, `(409)`.
pub fn http_status_in_text(text: &str) -> Option<u16> {
    const NAMED: [(&str, u16); 9] = [
        ("BadRequest", 400),
        ("Unauthorized", 401),
        ("Forbidden", 403),
        ("NotFound", 404),
        ("Conflict", 409),
        ("TooManyRequests", 429),
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
        ("PreconditionFailed", 412),
    ];
    if let Some(i) = text.find("StatusCode:") {
        let rest = text[i + "StatusCode:".len()..].trim_start();
        for (name, code) in NAMED {
            if rest.starts_with(name) {
                return Some(code);
            }
        }
        if let Some(n) = leading_status(rest) {
            return Some(n);
        }
    }
    let lower = text.to_ascii_lowercase();
    for marker in [
        "status of http response was",
        "http status",
        "http ",
        "status code",
        "statuscode",
    ] {
        if let Some(i) = lower.find(marker) {
            let rest = lower[i + marker.len()..].trim_start_matches([' ', ':', '=']);
            if let Some(n) = leading_status(rest) {
                return Some(n);
            }
        }
    }
    None
}

fn leading_status(s: &str) -> Option<u16> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u16 = digits.parse().ok()?;
    (digits.len() == 3 && (100..600).contains(&n)).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_timestamp_style_seen_in_logs() {
        let want = Utc.with_ymd_and_hms(2026, 11, 20, 10, 57, 8).unwrap();
        for s in [
            "2026-11-20T10:57:08Z",
            "2026-11-20T10:57:08.0000000Z",
            "2026-11-20T10:57:08",
            "2026-11-20 10:57:08",
            "2026-11-20 10:57:08 UTC",
            "11/20/2026, 10:57:08 AM",
            "Nov 20, 2026, 10:57:08 AM",
        ] {
            let got = parse_time(s).unwrap_or_else(|| panic!("cannot parse {s}"));
            assert_eq!(got.timestamp(), want.timestamp(), "{s}");
        }
        assert_eq!(parse_time("not a time"), None);
    }

    #[test]
    fn finds_the_aws_error_inside_an_entra_reason() {
        let reason = r#"Failed to create User 'a@b.com'; Error: StatusCode: BadRequest Message: The response was: {"schema":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"1 validation error detected: Value at 'name.givenName' failed","status":"400"} tail"#;
        let (detail, status) = embedded_aws_error(reason).unwrap();
        assert_eq!(status, Some(400));
        assert!(detail.unwrap().contains("name.givenName"));
        assert_eq!(http_status_in_text(reason), Some(400));
    }

    #[test]
    fn finds_http_status_in_sync_tool_messages() {
        assert_eq!(
            http_status_in_text("status of http response was 409"),
            Some(409)
        );
        assert_eq!(http_status_in_text("no status here"), None);
    }
}
