//! The identity providers' APIs, read-only: [`http`], the HTTPS client every pull shares
//! (bounded answers, timeouts, cancel); [`okta`], the System Log API; [`entra`], Microsoft
//! Graph's provisioning logs and job status, and the device-code sign-in; [`google`], Google
//! Workspace's directory through the Admin SDK Directory API.

pub mod entra;
pub mod http;
pub mod google;
pub mod okta;

/// A token or other secret: held in memory only, never printed (its `Debug` says `<secret>`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret, surrounding whitespace (a token file's final line break) removed.
    pub fn new(text: &str) -> Secret {
        Secret(text.trim().to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every occurrence of the secret replaced, for text that came back from a
    /// server (an error summary that might echo a header).
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 8 {
            return text.to_string();
        }
        text.replace(&self.0, "<token>")
    }
}

/// Read as a string (the app hands the token over); never serialized.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Secret::new(&text))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

/// Text from a server, shown to an admin: one line, at most `max` characters.
pub fn short(text: &str, max: usize) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.trim();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        format!("{}...", line.chars().take(max).collect::<String>())
    }
}
