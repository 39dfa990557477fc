//! A skewed access pattern: which session each request goes to, drawn from a Zipf
//! distribution over the sessions' popularity ranks, as web traffic is (a few sessions very
//! busy, most rarely seen). The passivation figures (many sessions, few of them active at
//! a time) are measured under it.

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rand_distr::{Distribution as _, Zipf};

/// The Zipf exponent used unless a figure says otherwise: `s = 1.0`, the classic skew of
/// web requests over pages and users.
pub const DEFAULT_EXPONENT: f64 = 1.0;

/// An endless, reproducible sequence of session indices in `0..sessions`, index 0 the
/// most popular: index `k` is drawn with a probability proportional to `1 / (k + 1)^s`.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::ZipfKeys;
///
/// let keys: Vec<usize> = ZipfKeys::new(1_000, 1.0, 7).unwrap().take(10_000).collect();
/// assert!(keys.iter().all(|&k| k < 1_000));
/// let hot = keys.iter().filter(|&&k| k == 0).count();
/// let cold = keys.iter().filter(|&&k| k == 999).count();
/// assert!(hot > cold);
/// // The same seed draws the same sequence.
/// let again: Vec<usize> = ZipfKeys::new(1_000, 1.0, 7).unwrap().take(10_000).collect();
/// assert_eq!(keys, again);
/// ```
#[derive(Debug)]
pub struct ZipfKeys {
    zipf: Zipf<f64>,
    rng: StdRng,
    sessions: usize,
}

impl ZipfKeys {
    /// Indices over `sessions` sessions with exponent `exponent`, seeded with `seed`.
    ///
    /// # Errors
    ///
    /// When `sessions` is zero or `exponent` is negative or not a number.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_benches::ZipfKeys;
    ///
    /// assert!(ZipfKeys::new(0, 1.0, 1).is_err());
    /// assert!(ZipfKeys::new(10, -1.0, 1).is_err());
    /// ```
    pub fn new(sessions: usize, exponent: f64, seed: u64) -> Result<Self, rand_distr::ZipfError> {
        if sessions == 0 {
            return Err(rand_distr::ZipfError::NTooSmall);
        }
        Ok(Self {
            zipf: Zipf::new(sessions as f64, exponent)?,
            rng: StdRng::seed_from_u64(seed),
            sessions,
        })
    }
}

impl Iterator for ZipfKeys {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        // The distribution yields ranks 1..=n as floats.
        let rank = self.zipf.sample(&mut self.rng) as usize;
        Some(rank.clamp(1, self.sessions) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::ZipfKeys;

    #[test]
    fn popularity_falls_with_rank_as_one_over_rank() {
        let n = 200_000;
        let mut counts = [0usize; 10];
        for k in ZipfKeys::new(1_000, 1.0, 42).expect("valid").take(n) {
            if k < counts.len() {
                counts[k] += 1;
            }
        }
        // With s = 1, rank 1 is drawn twice as often as rank 2 and ten times as often as
        // rank 10; a generous tolerance keeps the test about the shape, not the sample.
        let ratio_2 = counts[0] as f64 / counts[1] as f64;
        let ratio_10 = counts[0] as f64 / counts[9] as f64;
        assert!((1.7..2.3).contains(&ratio_2), "{counts:?}");
        assert!((8.0..12.5).contains(&ratio_10), "{counts:?}");
    }

    #[test]
    fn a_zero_exponent_is_uniform() {
        let mut counts = [0usize; 4];
        for k in ZipfKeys::new(4, 0.0, 1).expect("valid").take(40_000) {
            counts[k] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }
}
