//! A figure over several rounds: its minimum, median and maximum.
//!
//! Every figure the binaries print is measured in rounds (the contenders interleaved, so
//! the machine's noise falls on all of them alike) and shown as `min / median / max`: on a
//! shared machine a single number hides how far the rounds disagreed.

use std::fmt;

/// The minimum, median and maximum of a figure over its rounds.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::Spread;
///
/// let s = Spread::of(&[3.0, 1.0, 2.0]).expect("three rounds");
/// assert_eq!((s.min, s.median, s.max, s.rounds), (1.0, 2.0, 3.0, 3));
/// assert_eq!(s.show(1.0, 1, "µs"), "1.0 / 2.0 / 3.0 µs");
/// assert!(Spread::of(&[]).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The smallest value.
    pub min: f64,
    /// The median (the mean of the two middle values for an even count).
    pub median: f64,
    /// The largest value.
    pub max: f64,
    /// How many rounds it summarises.
    pub rounds: usize,
}

impl Spread {
    /// The spread of `values`; `None` when there are none or one is not a number (a
    /// figure that could not be measured must not pass for zero).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_benches::Spread;
    ///
    /// assert_eq!(Spread::of(&[1.0, 4.0]).unwrap().median, 2.5);
    /// assert!(Spread::of(&[1.0, f64::NAN]).is_none());
    /// ```
    #[must_use]
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Self {
            min: sorted[0],
            median,
            max: sorted[n - 1],
            rounds: n,
        })
    }

    /// The spread of `f` applied to each round.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_benches::Spread;
    ///
    /// let s = Spread::over(&[(1.0, 2.0), (3.0, 2.0)], |&(a, b)| a / b).unwrap();
    /// assert_eq!((s.min, s.max), (0.5, 1.5));
    /// ```
    #[must_use]
    pub fn over<T>(rounds: &[T], f: impl Fn(&T) -> f64) -> Option<Self> {
        Self::of(&rounds.iter().map(f).collect::<Vec<_>>())
    }

    /// The values multiplied by `scale` and printed with `decimals` digits as
    /// `min / median / max unit` (one value alone when there was one round).
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_benches::Spread;
    ///
    /// let s = Spread::of(&[0.000_002]).unwrap();
    /// assert_eq!(s.show(1e6, 2, "µs"), "2.00 µs (1 round)");
    /// ```
    #[must_use]
    pub fn show(&self, scale: f64, decimals: usize, unit: &str) -> String {
        let v = |x: f64| format!("{:.*}", decimals, x * scale);
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        if self.rounds == 1 {
            format!("{}{unit} (1 round)", v(self.median))
        } else {
            format!(
                "{} / {} / {}{unit}",
                v(self.min),
                v(self.median),
                v(self.max)
            )
        }
    }

    /// As a ratio: `min / median / max×`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ractor_session_benches::Spread;
    ///
    /// assert_eq!(Spread::of(&[1.1, 1.2, 1.3]).unwrap().ratio(), "1.10 / 1.20 / 1.30×");
    /// ```
    #[must_use]
    pub fn ratio(&self) -> String {
        if self.rounds == 1 {
            format!("{:.2}× (1 round)", self.median)
        } else {
            format!("{:.2} / {:.2} / {:.2}×", self.min, self.median, self.max)
        }
    }
}

/// [`Spread::show`] of a figure that may be missing: `—` when it is.
///
/// # Examples
///
/// ```
/// use ractor_session_benches::{Spread, show_or_dash};
///
/// assert_eq!(show_or_dash(Spread::of(&[2.0, 4.0]), 1.0, 0, "B"), "2 / 3 / 4 B");
/// assert_eq!(show_or_dash(None, 1.0, 0, "B"), "—");
/// ```
#[must_use]
pub fn show_or_dash(spread: Option<Spread>, scale: f64, decimals: usize, unit: &str) -> String {
    spread.map_or_else(|| "—".to_owned(), |s| s.show(scale, decimals, unit))
}

impl fmt::Display for Spread {
    /// `min / median / max` with two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.show(1.0, 2, ""))
    }
}

/// `n` with thousands separators: `1,000,000`.
///
/// # Examples
///
/// ```
/// assert_eq!(ractor_session_benches::thousands(1_000_000), "1,000,000");
/// assert_eq!(ractor_session_benches::thousands(64), "64");
/// ```
#[must_use]
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn a_single_round_ratio_says_so() {
        assert_eq!(Spread::of(&[1.5]).unwrap().ratio(), "1.50× (1 round)");
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let s = Spread::of(&[10.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 10.0));
    }
}
