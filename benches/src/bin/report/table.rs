//! Figures measured in rounds, the rows they make and the markdown table they print in.

use ractor_session_benches::{RunError, Spread};

/// What a figure measures: lower is better for a cost, higher for a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Operations per second.
    Rate,
    /// Seconds per operation.
    Time,
    /// Bytes per session.
    Bytes,
}

/// One contender's figure, one value per round.
#[derive(Debug, Clone)]
pub(crate) struct Rounds {
    pub(crate) kind: Kind,
    pub(crate) values: Vec<f64>,
}

impl Rounds {
    pub(crate) fn new(kind: Kind) -> Self {
        Self {
            kind,
            values: Vec::new(),
        }
    }

    /// The cost of one operation in each round (seconds, or bytes), so that ratios read
    /// "times the cost".
    fn costs(&self) -> Vec<f64> {
        self.values
            .iter()
            .map(|&v| if self.kind == Kind::Rate { 1.0 / v } else { v })
            .collect()
    }

    pub(crate) fn spread(&self) -> Option<Spread> {
        Spread::of(&self.values)
    }

    /// The median, or not a number when nothing was measured.
    pub(crate) fn median(&self) -> f64 {
        self.spread().map_or(f64::NAN, |s| s.median)
    }

    /// `min / median / max` in this figure's unit.
    pub(crate) fn show(&self) -> String {
        let Some(s) = self.spread() else {
            return "—".to_owned();
        };
        match self.kind {
            Kind::Rate if s.median >= 1e6 => s.show(1e-6, 2, "M/s"),
            Kind::Rate => s.show(1e-3, 1, "k/s"),
            Kind::Time => s.show(1e6, 2, "µs"),
            Kind::Bytes => s.show(1.0 / 1024.0, 2, "KB"),
        }
    }

    /// This figure's cost divided by `other`'s, round by round (both measured in the same
    /// round, next to each other).
    pub(crate) fn ratio_to(&self, other: &Self) -> Option<Spread> {
        let ratios: Vec<f64> = self
            .costs()
            .iter()
            .zip(other.costs())
            .map(|(a, b)| a / b)
            .collect();
        Spread::of(&ratios)
    }
}

/// One row of a table: this library, raw ractor, bare tokio.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) figure: String,
    pub(crate) library: String,
    pub(crate) raw: String,
    pub(crate) tokio: String,
    pub(crate) ratio: String,
    pub(crate) target: &'static str,
    pub(crate) met: String,
    /// A line printed under the table (an invalid run says so there too).
    pub(crate) note: Option<String>,
}

impl Row {
    /// A figure of all three contenders, with this library's cost against raw ractor's;
    /// `met` judges this library's median and the median ratio.
    pub(crate) fn measured(
        figure: impl Into<String>,
        [lib, raw, tokio]: &[Rounds; 3],
        target: &'static str,
        met: Option<&dyn Fn(f64, f64) -> bool>,
    ) -> Self {
        let ratio = lib.ratio_to(raw);
        let verdict = met.map(|ok| match ratio {
            Some(r) => ok(lib.median(), r.median),
            None => false,
        });
        Self {
            figure: figure.into(),
            library: lib.show(),
            raw: raw.show(),
            tokio: tokio.show(),
            ratio: ratio.map_or_else(|| "—".to_owned(), |r| r.ratio()),
            target,
            met: verdict_text(verdict),
            note: None,
        }
    }

    /// A figure of this library alone, described in words.
    pub(crate) fn library_only(
        figure: impl Into<String>,
        library: String,
        target: &'static str,
        met: Option<bool>,
    ) -> Self {
        Self {
            figure: figure.into(),
            library,
            raw: "—".to_owned(),
            tokio: "—".to_owned(),
            ratio: "—".to_owned(),
            target,
            met: verdict_text(met),
            note: None,
        }
    }

    /// A figure with no value: the run was invalid, or what it measured failed.
    pub(crate) fn broken(
        figure: impl Into<String>,
        error: &RunError,
        target: &'static str,
    ) -> Self {
        let figure = figure.into();
        let (met, note) = match error {
            RunError::Invalid(reason) => (None, Some(format!("invalid run: {figure}: {reason}"))),
            RunError::Failed(_) => (Some(false), None),
        };
        Self {
            note,
            ..Self::library_only(figure, format!("**{error}**"), target, met)
        }
    }
}

pub(crate) fn verdict_text(met: Option<bool>) -> String {
    match met {
        Some(true) => "yes".to_owned(),
        Some(false) => "**no**".to_owned(),
        None => "—".to_owned(),
    }
}

/// Prints `rows` under `title`; then, on lines of their own, every note (each invalid run
/// among them).
pub(crate) fn print_table(title: &str, rows: &[Row]) {
    println!("### {title}");
    println!();
    println!(
        "| figure | this library | raw ractor | bare tokio | ratio (library / raw ractor cost, round by round) | target | met (median) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.figure, r.library, r.raw, r.tokio, r.ratio, r.target, r.met
        );
    }
    println!();
    let mut notes = rows.iter().filter_map(|r| r.note.as_deref()).peekable();
    if notes.peek().is_some() {
        for note in notes {
            println!("{note}");
        }
        println!();
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, Rounds};

    #[test]
    fn a_rate_ratio_compares_costs_round_by_round() {
        let lib = Rounds {
            kind: Kind::Rate,
            values: vec![100.0, 50.0],
        };
        let raw = Rounds {
            kind: Kind::Rate,
            values: vec![200.0, 200.0],
        };
        let r = lib.ratio_to(&raw).expect("two rounds");
        assert_eq!((r.min, r.max), (2.0, 4.0));
    }

    #[test]
    fn a_figure_with_no_rounds_shows_a_dash() {
        assert_eq!(Rounds::new(Kind::Time).show(), "—");
    }
}
