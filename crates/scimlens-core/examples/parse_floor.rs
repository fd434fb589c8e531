//! The parse floor of an Entra portal JSON download: one typed serde_json pass over the file
//! into plain owned structs holding the fields the importer reads, and nothing else (no
//! classification, no workspace). `make bench` sets `scimlens import`'s time against it.
//! The file is read whole first and parsed from memory (serde_json's fastest input; its
//! streaming reader takes 3-4x as long), so the floor is as low as serde_json goes; the read is
//! timed too. A benchmark only: it holds the file in memory.
//! Usage: `parse_floor FILE`; prints the records and the seconds.

use std::time::Instant;

use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Record {
    id: Option<String>,
    activity_date_time: Option<String>,
    job_id: Option<String>,
    cycle_id: Option<String>,
    change_id: Option<String>,
    provisioning_action: Option<String>,
    provisioning_status_info: Option<StatusInfo>,
    provisioning_steps: Option<Vec<Step>>,
    modified_properties: Option<Vec<Property>>,
    source_identity: Option<Identity>,
    target_identity: Option<Identity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct StatusInfo {
    status: Option<String>,
    error_information: Option<ErrorInformation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct ErrorInformation {
    error_code: Option<String>,
    reason: Option<String>,
    additional_details: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Step {
    name: Option<String>,
    provisioning_step_type: Option<String>,
    status: Option<String>,
    description: Option<String>,
    details: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Property {
    display_name: Option<String>,
    old_value: Option<String>,
    new_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Identity {
    id: Option<String>,
    display_name: Option<String>,
    identity_type: Option<String>,
    details: Option<serde_json::Value>,
}

/// Counts the records of the top-level array, each parsed and dropped in turn (the file is
/// never held whole).
struct Count;

impl<'de> DeserializeSeed<'de> for Count {
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Count {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of Entra provisioning records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0;
        while seq.next_element::<Record>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: parse_floor FILE")?;
    let started = Instant::now();
    let bytes = std::fs::read(&path)?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let records = Count.deserialize(&mut de)?;
    de.end()?;
    println!("{records} {:.3}", started.elapsed().as_secs_f64());
    Ok(())
}
