//! When a failed delivery is tried again: the first wait, doubled after each failure, capped.

use std::time::Duration;

/// The wait after the `attempts`-th failed attempt (1 for the first).
pub(crate) fn after(attempts: i32, first: Duration, max: Duration) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    first.saturating_mul(1_u32 << doublings).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_its_cap_and_thirty_attempts_span_about_a_day() {
        let (first, max) = (Duration::from_secs(10), Duration::from_secs(3600));
        assert_eq!(after(1, first, max), Duration::from_secs(10));
        assert_eq!(after(4, first, max), Duration::from_secs(80));
        assert_eq!(after(20, first, max), max);
        let total: Duration = (1..30).map(|n| after(n, first, max)).sum();
        assert!(
            total > Duration::from_secs(20 * 3600) && total < Duration::from_secs(26 * 3600),
            "{total:?}"
        );
    }
}
