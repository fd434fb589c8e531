//! Times the import stages of one file without the workspace: split + parse, then
//! classification and row encoding. Usage: `parse_bench FILE`.

use std::time::Instant;

use scimlens_core::diagnose::Rules;
use scimlens_core::import::pipeline::to_row;
use scimlens_core::import::{EventSink, Input, SourceWarning, detect, run_importer};
use scimlens_core::model::ProvisioningEvent;

struct Count {
    n: u64,
    encode: bool,
    rules: Rules,
    bytes: u64,
}

impl EventSink for Count {
    fn event(&mut self, event: ProvisioningEvent) -> scimlens_core::api::Result<()> {
        self.n += 1;
        if self.encode {
            let row = to_row(self.n as i64, event, &self.rules);
            self.bytes += row.evidence.raw.len() as u64;
        }
        Ok(())
    }

    fn warning(&mut self, _: SourceWarning) {}
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: parse_bench FILE")?);
    let format = detect(&path)?;
    for encode in [false, true] {
        let t = Instant::now();
        let mut sink = Count {
            n: 0,
            encode,
            rules: Rules::default(),
            bytes: 0,
        };
        run_importer(format, Input::open(&path)?, &[], &mut sink)?;
        println!(
            "{format} encode={encode}: {} records in {:.2}s (raw {} MB)",
            sink.n,
            t.elapsed().as_secs_f64(),
            sink.bytes / 1_000_000
        );
    }
    Ok(())
}
