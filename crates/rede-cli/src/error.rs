//! What the user sees when something goes wrong: one line on stderr and exit status 2.

use std::process::ExitCode;

/// Exit status for bad input (files, arguments), as clap uses for bad arguments.
pub const BAD_INPUT: u8 = 2;

/// An error for the user: one line saying what is wrong and where.
#[derive(Debug)]
pub struct CliError(String);

impl CliError {
    /// An error with this message.
    pub fn new(msg: impl Into<String>) -> Self {
        CliError(msg.into())
    }

    /// Prints the message as one line and gives the exit status.
    pub fn report(&self) -> ExitCode {
        eprintln!("rede: error: {}", one_line(&self.0));
        ExitCode::from(BAD_INPUT)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rede::Error> for CliError {
    fn from(e: rede::Error) -> Self {
        CliError(e.to_string())
    }
}

/// `text` with its line breaks turned into spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A last resort: a panic prints one line (no backtrace) and exits with status 2.
/// No known input reaches it; every bad input is an ordinary error.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        // A reader that stops early (`rede predict … | head`) closes the pipe;
        // like other command-line tools, stop quietly with success then.
        if what.contains("failed printing to stdout") && what.contains("Broken pipe") {
            std::process::exit(0);
        }
        let place = info.location().map(|l| format!(" ({}:{})", l.file(), l.line())).unwrap_or_default();
        eprintln!("rede: internal error: {}{place}; please report it", one_line(&what));
        std::process::exit(BAD_INPUT.into());
    }));
}
