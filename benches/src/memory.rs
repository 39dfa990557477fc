//! Resident memory of this process.

/// The resident set size of this process in bytes, from `/proc/self/statm`, or `None`
/// where that file is missing (not Linux) or unreadable.
///
/// # Examples
///
/// ```
/// if let Some(rss) = ractor_session_benches::rss_bytes() {
///     assert!(rss > 0);
/// }
/// ```
#[must_use]
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// The kernel's page size, read from the first mapping in `/proc/self/smaps`; 4 KiB if
/// it cannot be read.
fn page_size() -> u64 {
    static PAGE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *PAGE.get_or_init(read_page_size)
}

fn read_page_size() -> u64 {
    std::fs::read_to_string("/proc/self/smaps")
        .ok()
        .and_then(|smaps| {
            smaps
                .lines()
                .find_map(|line| line.strip_prefix("KernelPageSize:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(4096, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_size_is_a_power_of_two() {
        assert!(super::page_size().is_power_of_two());
    }

    #[test]
    fn rss_grows_when_memory_is_touched() {
        let Some(before) = super::rss_bytes() else {
            return;
        };
        let block = std::hint::black_box(vec![1u8; 64 << 20]);
        let after = super::rss_bytes().expect("readable twice");
        assert!(after >= before + (32 << 20), "{before} -> {after}");
        drop(block);
    }
}
