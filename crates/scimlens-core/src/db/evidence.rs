//! Evidence blocks: the raw text, attributes sent and steps of consecutive records, packed and
//! compressed together (records of one log share most of their bytes, so a block compresses
//! several times better than records one by one).
//!
//! Block encoding, before lz4: for each record, three length-prefixed (u32 LE) byte strings:
//! raw record text, attributes JSON, steps JSON (empty when there are none).

use super::Workspace;
use crate::error::{Error, Result};

/// One record's evidence, before packing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    pub raw: String,
    pub attributes: String,
    pub steps: String,
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Packs and compresses the evidence of a chunk of records, in order.
pub fn pack<'a>(items: impl Iterator<Item = &'a Evidence> + Clone) -> Vec<u8> {
    let size = items
        .clone()
        .map(|e| 12 + e.raw.len() + e.attributes.len() + e.steps.len())
        .sum();
    let mut out = Vec::with_capacity(size);
    for e in items {
        put(&mut out, e.raw.as_bytes());
        put(&mut out, e.attributes.as_bytes());
        put(&mut out, e.steps.as_bytes());
    }
    lz4_flex::compress_prepend_size(&out)
}

/// Unpacks a block into its records' evidence.
pub fn unpack(block: &[u8]) -> Result<Vec<Evidence>> {
    let corrupt = || Error::corrupt("evidence_blocks: a block does not unpack");
    let bytes = lz4_flex::decompress_size_prepended(block).map_err(|_| corrupt())?;
    let mut rest = &bytes[..];
    let take = |rest: &mut &[u8]| -> Result<String> {
        let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(corrupt)?;
        let len = u32::from_le_bytes(*len) as usize;
        if tail.len() < len {
            return Err(corrupt());
        }
        let (s, tail) = tail.split_at(len);
        *rest = tail;
        String::from_utf8(s.to_vec()).map_err(|_| corrupt())
    };
    let mut out = Vec::new();
    while !rest.is_empty() {
        let raw = take(&mut rest)?;
        let attributes = take(&mut rest)?;
        let steps = take(&mut rest)?;
        out.push(Evidence {
            raw,
            attributes,
            steps,
        });
    }
    Ok(out)
}

/// Every record's evidence in one block.
pub async fn load_block(ws: &Workspace, block_id: i64) -> Result<Vec<Evidence>> {
    let data: Vec<u8> = sqlx::query_scalar("SELECT data FROM evidence_blocks WHERE id = ?")
        .bind(block_id)
        .fetch_one(ws.pool())
        .await?;
    unpack(&data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_round_trips_every_record() {
        let items = vec![
            Evidence {
                raw: "{\"a\":1}".into(),
                attributes: String::new(),
                steps: "[]".into(),
            },
            Evidence {
                raw: "ünïcode".into(),
                attributes: "[{\"name\":\"x\"}]".into(),
                steps: String::new(),
            },
        ];
        assert_eq!(unpack(&pack(items.iter())).unwrap(), items);
    }
}
