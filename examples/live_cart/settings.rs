//! Command-line flags and environment variables of the demo, parsed by hand.

use std::fmt;
use std::time::Duration;

/// What the demo runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Port on 127.0.0.1 (0 picks a free one).
    pub(crate) port: u16,
    /// Idle timeout of a session.
    pub(crate) idle_ttl: Duration,
    /// Insecure dev mode: no `Secure` cookie flag, random signing key if none is given.
    pub(crate) dev: bool,
    /// Cookie signing secret (at least 32 bytes).
    pub(crate) key: Option<String>,
    /// Most live sessions at once.
    pub(crate) max_sessions: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            port: 3000,
            idle_ttl: Duration::from_secs(30),
            dev: true,
            key: None,
            max_sessions: 10_000,
        }
    }
}

pub(crate) const USAGE: &str = "\
live_cart: a shopping cart whose state lives in one actor per session, updated live in
every open tab over a websocket.

USAGE:
    live_cart [--port N] [--idle-ttl DURATION] [--max-sessions N] [--dev | --no-dev]

OPTIONS (each also read from the environment):
    --port N             port on 127.0.0.1, 0 for any free one   [LIVE_CART_PORT, default 3000]
    --idle-ttl DURATION  idle timeout, e.g. 30s, 500ms, 2m, 1h    [LIVE_CART_IDLE_TTL, default 30s]
    --max-sessions N     most live sessions; past it a newcomer takes the place of the
                         oldest session that never came back     [LIVE_CART_MAX_SESSIONS, default 10000]
    --dev / --no-dev     insecure dev mode for plain http://127.0.0.1: cookies without the
                         Secure flag, signed with a per-process key unless LIVE_CART_KEY
                         is set                                     [LIVE_CART_DEV=1|0, default on]
    -h, --help           this text

    LIVE_CART_KEY        cookie signing secret, at least 32 bytes; required with --no-dev
    RUST_LOG             log filter, e.g. info or ractor_session=debug,info
";

/// A flag or variable that could not be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SettingsError {
    /// `--help` was asked for.
    Help,
    /// A bad value or an unknown flag.
    Invalid(String),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Help => f.write_str(USAGE),
            Self::Invalid(why) => write!(f, "{why}\n\nRun `live_cart --help` for the options."),
        }
    }
}

impl Settings {
    /// Environment first, then flags (which win).
    pub(crate) fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let mut settings = Self::default();
        if let Some(port) = env("LIVE_CART_PORT") {
            settings.port = parse_port(&port, "LIVE_CART_PORT")?;
        }
        if let Some(ttl) = env("LIVE_CART_IDLE_TTL") {
            settings.idle_ttl = parse_duration(&ttl, "LIVE_CART_IDLE_TTL")?;
        }
        if let Some(max) = env("LIVE_CART_MAX_SESSIONS") {
            settings.max_sessions = parse_count(&max, "LIVE_CART_MAX_SESSIONS")?;
        }
        if let Some(dev) = env("LIVE_CART_DEV") {
            settings.dev = parse_bool(&dev, "LIVE_CART_DEV")?;
        }
        settings.key = env("LIVE_CART_KEY").filter(|k| !k.is_empty());

        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg.clone(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| SettingsError::Invalid(format!("{name} needs a value")))
            };
            match flag.as_str() {
                "-h" | "--help" => return Err(SettingsError::Help),
                "--port" => settings.port = parse_port(&value("--port")?, "--port")?,
                "--idle-ttl" => {
                    settings.idle_ttl = parse_duration(&value("--idle-ttl")?, "--idle-ttl")?;
                }
                "--max-sessions" => {
                    settings.max_sessions =
                        parse_count(&value("--max-sessions")?, "--max-sessions")?;
                }
                "--dev" if inline.is_none() => settings.dev = true,
                "--no-dev" if inline.is_none() => settings.dev = false,
                _ => {
                    return Err(SettingsError::Invalid(format!(
                        "unknown argument {:?}",
                        truncate(&arg)
                    )));
                }
            }
        }
        Ok(settings)
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(40).collect()
}

fn parse_port(value: &str, name: &str) -> Result<u16, SettingsError> {
    value.trim().parse().map_err(|_| {
        SettingsError::Invalid(format!(
            "{name}: {:?} is not a port number (0 to 65535)",
            truncate(value)
        ))
    })
}

fn parse_count(value: &str, name: &str) -> Result<usize, SettingsError> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(SettingsError::Invalid(format!(
            "{name}: {:?} is not a count of at least 1",
            truncate(value)
        ))),
    }
}

fn parse_bool(value: &str, name: &str) -> Result<bool, SettingsError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(SettingsError::Invalid(format!(
            "{name}: {:?} is not 1/0, true/false, yes/no or on/off",
            truncate(value)
        ))),
    }
}

/// `500ms`, `30s`, `2m`, `1h`, or a plain number of seconds; from 100 ms to 30 days.
fn parse_duration(value: &str, name: &str) -> Result<Duration, SettingsError> {
    let bad = || {
        SettingsError::Invalid(format!(
            "{name}: {:?} is not a duration between 100ms and 30 days (e.g. 500ms, 30s, 2m, 1h)",
            truncate(value)
        ))
    };
    let text = value.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let ms_per_unit: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    let ms = n.checked_mul(ms_per_unit).ok_or_else(bad)?;
    if !(100..=30 * 24 * 3_600_000).contains(&ms) {
        return Err(bad());
    }
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::parse(args.iter().map(|a| (*a).to_owned()), |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_serve_port_3000_in_dev_mode_with_a_30s_ttl() {
        assert_eq!(parse(&[], &[]).unwrap(), Settings::default());
    }

    #[test]
    fn flags_override_the_environment() {
        let s = parse(
            &["--port", "8080", "--idle-ttl=500ms", "--no-dev"],
            &[
                ("LIVE_CART_PORT", "9000"),
                ("LIVE_CART_DEV", "1"),
                ("LIVE_CART_KEY", "k"),
            ],
        )
        .unwrap();
        assert_eq!(s.port, 8080);
        assert_eq!(s.idle_ttl, Duration::from_millis(500));
        assert!(!s.dev);
        assert_eq!(s.key.as_deref(), Some("k"));
        let s = parse(
            &[],
            &[("LIVE_CART_IDLE_TTL", "2m"), ("LIVE_CART_DEV", "off")],
        )
        .unwrap();
        assert_eq!(s.idle_ttl, Duration::from_secs(120));
        assert!(!s.dev);
        let s = parse(&["--max-sessions=50"], &[("LIVE_CART_MAX_SESSIONS", "9")]).unwrap();
        assert_eq!(s.max_sessions, 50);
    }

    #[test]
    fn bad_values_are_clear_errors() {
        for (args, env) in [
            (&["--port", "http"][..], &[][..]),
            (&["--port"][..], &[][..]),
            (&["--port", "70000"][..], &[][..]),
            (&["--idle-ttl", "5 minutes"][..], &[][..]),
            (&["--idle-ttl", "10ms"][..], &[][..]),
            (&["--idle-ttl", "99999999999999999h"][..], &[][..]),
            (&["--dev=yes"][..], &[][..]),
            (&["--frobnicate"][..], &[][..]),
            (&["--max-sessions", "0"][..], &[][..]),
            (&[][..], &[("LIVE_CART_MAX_SESSIONS", "many")][..]),
            (&[][..], &[("LIVE_CART_DEV", "maybe")][..]),
            (&[][..], &[("LIVE_CART_PORT", "-1")][..]),
        ] {
            match parse(args, env) {
                Err(SettingsError::Invalid(why)) => assert!(!why.is_empty()),
                other => panic!("{args:?} {env:?}: {other:?}"),
            }
        }
        assert_eq!(parse(&["-h"], &[]), Err(SettingsError::Help));
    }
}
