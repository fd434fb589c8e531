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

/// Packs and compresses the evidence of chunks of records, reusing its buffers from chunk to
/// chunk. A chunk's packed evidence runs to megabytes: allocated afresh for every chunk (and
/// zeroed, then shrunk, by lz4's convenience functions), its pages went back to the system
/// and were faulted in and zeroed by the kernel again each time, about a tenth of an import's
/// CPU time.
#[derive(Debug, Default)]
pub struct Packer {
    plain: Vec<u8>,
    compressed: Vec<u8>,
}

impl Packer {
    /// The block of `items`, in order: the uncompressed size (u32 LE), then the lz4 block (what
    /// `lz4_flex::decompress_size_prepended` reads back).
    pub fn pack<'a>(&mut self, items: impl Iterator<Item = &'a Evidence>) -> Result<Vec<u8>> {
        self.plain.clear();
        for e in items {
            put(&mut self.plain, e.raw.as_bytes());
            put(&mut self.plain, e.attributes.as_bytes());
            put(&mut self.plain, e.steps.as_bytes());
        }
        let size = u32::try_from(self.plain.len())
            .map_err(|_| Error::Storage("a chunk's evidence exceeds 4 GiB".to_string()))?;
        let max = 4 + lz4_flex::block::get_maximum_output_size(self.plain.len());
        if self.compressed.len() < max {
            self.compressed.resize(max, 0);
        }
        self.compressed[..4].copy_from_slice(&size.to_le_bytes());
        let n = lz4_flex::block::compress_into(&self.plain, &mut self.compressed[4..])
            .map_err(|e| Error::Storage(format!("compressing evidence: {e}")))?;
        Ok(self.compressed[..4 + n].to_vec())
    }
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
        assert_eq!(
            unpack(&Packer::default().pack(items.iter()).unwrap()).unwrap(),
            items
        );
    }

    #[test]
    fn a_reused_packer_writes_each_block_as_workspaces_already_hold_them() {
        let chunk = |n: usize, tag: &str| -> Vec<Evidence> {
            (0..n)
                .map(|i| Evidence {
                    raw: format!("{{\"id\":\"{tag}-{i}\",\"userPrincipalName\":\"u{i}@contoso.com\"}}"),
                    attributes: format!("[{{\"name\":\"displayName\",\"value\":\"{tag} {i}\"}}]"),
                    steps: String::new(),
                })
                .collect()
        };
        let mut packer = Packer::default();
        // A large chunk, then smaller ones: the buffers keep the large chunk's bytes beyond
        // what the later chunks use.
        for items in [chunk(1000, "a"), chunk(3, "b"), Vec::new(), chunk(40, "c")] {
            let block = packer.pack(items.iter()).unwrap();
            assert_eq!(unpack(&block).unwrap(), items);
            let mut plain = Vec::new();
            for e in &items {
                put(&mut plain, e.raw.as_bytes());
                put(&mut plain, e.attributes.as_bytes());
                put(&mut plain, e.steps.as_bytes());
            }
            assert_eq!(block, lz4_flex::compress_prepend_size(&plain));
        }
    }
}
