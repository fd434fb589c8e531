//! Job-level findings: trouble that explains many entities at once.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::input::value::format_time;

/// Entra's fixed cycle interval, used when the log has too few cycles to measure one.
const DEFAULT_CYCLE_MS: i64 = 40 * 60 * 1000;
/// Throttled records within this window count as one burst.
const BURST_WINDOW_MS: i64 = 60 * 1000;
const BURST_MIN: usize = 3;

fn text(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| format_time(&t))
}

/// Gaps between cycle starts longer than two typical cycles: how an expired token usually
/// shows (the job is quarantined and the log goes silent).
pub fn silent_gaps(cycle_starts: &[i64]) -> Vec<JobFinding> {
    if cycle_starts.len() < 2 {
        return Vec::new();
    }
    let mut intervals: Vec<i64> = cycle_starts
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0)
        .collect();
    intervals.sort_unstable();
    let typical = if intervals.len() >= 3 {
        intervals[intervals.len() / 2]
    } else {
        DEFAULT_CYCLE_MS
    };
    let typical = typical.max(60_000);
    cycle_starts
        .windows(2)
        .filter(|w| w[1] - w[0] > 2 * typical)
        .map(|w| {
            let minutes = (w[1] - w[0]) / 60_000;
            JobFinding {
                kind: JobFindingKind::SilentGap,
                message: format!(
                    "no provisioning cycle for {}h{:02}m (cycles usually run every {} minutes): \
                     the job probably stopped; an expired or revoked SCIM token quarantines it",
                    minutes / 60,
                    minutes % 60,
                    typical / 60_000
                ),
                first_seen: text(w[0]),
                last_seen: text(w[1]),
            }
        })
        .collect()
}

/// Runs of at least three throttled records within a minute of each other.
pub fn throttling_bursts(times: &[i64]) -> Vec<JobFinding> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=times.len() {
        let breaks = i == times.len() || times[i] - times[i - 1] > BURST_WINDOW_MS;
        if breaks {
            let n = i - start;
            if n >= BURST_MIN {
                out.push(JobFinding {
                    kind: JobFindingKind::ThrottlingBurst,
                    message: format!(
                        "{n} throttled requests in a burst: AWS allows 20 SCIM requests per second"
                    ),
                    first_seen: text(times[start]),
                    last_seen: text(times[i - 1]),
                });
            }
            start = i;
        }
    }
    out
}

/// Findings about the job rather than any entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct JobFinding {
    pub kind: JobFindingKind,
    pub message: String,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum JobFindingKind {
    IncompletePage,
    SilentGap,
    ThrottlingBurst,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_longer_than_two_cycles_is_reported() {
        let m = 60_000;
        let starts = [0, 40 * m, 80 * m, 120 * m, 260 * m];
        let gaps = silent_gaps(&starts);
        assert_eq!(gaps.len(), 1);
        assert!(gaps[0].message.contains("2h20m"), "{}", gaps[0].message);
    }

    #[test]
    fn regular_cycles_have_no_gap() {
        let m = 60_000;
        assert!(silent_gaps(&[0, 40 * m, 80 * m, 121 * m]).is_empty());
    }

    #[test]
    fn three_throttles_in_a_minute_are_a_burst_two_are_not() {
        assert_eq!(throttling_bursts(&[0, 1000, 2000]).len(), 1);
        assert!(throttling_bursts(&[0, 1000, 120_000]).is_empty());
    }
}
