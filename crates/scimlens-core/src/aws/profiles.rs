//! What a fetch dialog offers: the named profiles of the shared AWS config and credentials files
//! (`AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
//! `~/.aws/credentials`), and the regions. Only section names and a few non-secret keys are
//! read (region, sso_*): never a key or token.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AwsProfile {
    pub name: String,
    pub region: Option<String>,
    /// An IAM Identity Center (SSO) profile: `aws sso login --profile NAME` first.
    pub sso: bool,
}

/// Regions of the commercial partition, for the region picker (the identity store lives in the
/// IAM Identity Center instance's home region).
pub const REGIONS: [&str; 30] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "sa-east-1",
    "mx-central-1",
];

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

fn file(env: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws").join(default)))
}

/// Profiles from the shared files, sorted by name; missing files are no profiles.
pub fn list_profiles() -> Vec<AwsProfile> {
    let mut out: BTreeMap<String, AwsProfile> = BTreeMap::new();
    if let Some(text) =
        file("AWS_CONFIG_FILE", "config").and_then(|p| std::fs::read_to_string(p).ok())
    {
        parse(&text, true, &mut out);
    }
    if let Some(text) = file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        parse(&text, false, &mut out);
    }
    out.into_values().collect()
}

/// INI sections: `[profile NAME]` / `[default]` in the config file, `[NAME]` in the credentials
/// file; `[sso-session ...]` and `[services ...]` are not profiles.
fn parse(text: &str, config: bool, out: &mut BTreeMap<String, AwsProfile>) {
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            current = if config {
                match section.split_once(char::is_whitespace) {
                    Some(("profile", name)) => Some(name.trim().to_string()),
                    None if section == "default" => Some("default".to_string()),
                    _ => None,
                }
            } else {
                Some(section.to_string())
            };
            if let Some(name) = &current {
                out.entry(name.clone()).or_insert_with(|| AwsProfile {
                    name: name.clone(),
                    region: None,
                    sso: false,
                });
            }
            continue;
        }
        let (Some(name), Some((key, value))) = (&current, line.split_once('=')) else {
            continue;
        };
        let profile = out
            .get_mut(name)
            .expect("the section was inserted when it opened");
        match key.trim() {
            "region" => profile.region = Some(value.trim().to_string()),
            k if k.starts_with("sso_") => profile.sso = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_credentials_sections_become_profiles() {
        let mut out = BTreeMap::new();
        parse(
            "[default]\nregion = eu-west-1\n\n[profile admin]\nsso_session = corp\nsso_account_id = 1\nregion=us-east-1\n\
             [sso-session corp]\nsso_start_url = https://x\n",
            true,
            &mut out,
        );
        parse(
            "[ci]\naws_access_key_id = AKID\naws_secret_access_key = s\n",
            false,
            &mut out,
        );
        let got: Vec<AwsProfile> = out.into_values().collect();
        assert_eq!(
            got,
            vec![
                AwsProfile {
                    name: "admin".into(),
                    region: Some("us-east-1".into()),
                    sso: true
                },
                AwsProfile {
                    name: "ci".into(),
                    region: None,
                    sso: false
                },
                AwsProfile {
                    name: "default".into(),
                    region: Some("eu-west-1".into()),
                    sso: false
                },
            ]
        );
    }
}
