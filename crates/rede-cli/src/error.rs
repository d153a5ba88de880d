//! What the user sees when something goes wrong: one line on stderr, and exit status 2
//! for bad input (files, arguments) or 70 for an internal error (a bug in rede).

use std::process::ExitCode;

/// Exit status for bad input (files, arguments), as clap uses for bad arguments.
pub const BAD_INPUT: u8 = 2;

/// Exit status for an internal error (EX_SOFTWARE of sysexits.h), so a script can tell
/// a bug in rede from a bad file.
pub const INTERNAL: u8 = 70;

/// Names of library types and functions that prefix some of rede's error messages;
/// they mean nothing to the user of the command line, so the message goes without them.
const INTERNAL_NAMES: &[&str] =
    &["FeaturePipeline", "LabelEncoder", "OneHotEncoder", "StandardScaler", "MinMaxScaler", "MlpParams", "Table"];

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
        CliError(user_message(&e))
    }
}

/// The error's message without the name of an internal type or function
/// (`FeaturePipeline: …`, `datasets::by_name: …`); layer and op names stay, since
/// architecture files use them.
pub fn user_message(e: &rede::Error) -> String {
    match e {
        rede::Error::Invalid { op, msg } if op.contains("::") || INTERNAL_NAMES.contains(op) => msg.clone(),
        other => other.to_string(),
    }
}

/// `text` with its line breaks turned into spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A last resort: a panic prints one line (no backtrace) and exits with status 70.
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
        std::process::exit(INTERNAL.into());
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_leave_the_message_and_layer_names_stay() {
        let pipeline = rede::Error::invalid("FeaturePipeline", "the columns do not match");
        assert_eq!(user_message(&pipeline), "the columns do not match");
        let lookup = rede::Error::invalid("datasets::by_name", "unknown dataset 'x'");
        assert_eq!(user_message(&lookup), "unknown dataset 'x'");
        let layer = rede::Error::invalid("Linear", "features must be positive");
        assert_eq!(user_message(&layer), "Linear: features must be positive");
    }
}
