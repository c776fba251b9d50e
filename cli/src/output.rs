//! What a command prints: text for people by default, one JSON document with `--json`, and one
//! line on stderr for an error.

use serde_json::{json, Value};

use crate::chain::revert::ContractRevert;

/// The result of a command, in both of its forms.
#[derive(Debug, Clone)]
pub struct Output {
    /// Text for people (printed as is, a newline added).
    pub human: String,
    /// The same facts for scripts.
    pub json: Value,
    /// The process exit code (0 unless the command says otherwise, e.g. `sla audit` on a mismatch).
    pub exit_code: u8,
}

impl Output {
    /// An output in both forms, exit code 0.
    pub fn new(human: impl Into<String>, json: Value) -> Self {
        Output {
            human: human.into(),
            json,
            exit_code: 0,
        }
    }

    /// The same output, exiting with `code`.
    pub fn with_exit_code(mut self, code: u8) -> Self {
        self.exit_code = code;
        self
    }

    /// Prints to stdout in the requested form.
    pub fn print(&self, json: bool) {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&self.json).expect("JSON values serialize")
            );
        } else if !self.human.is_empty() {
            println!("{}", self.human);
        }
    }
}

/// The error as one line: the chain of causes joined with `: `, leaving out a cause whose text
/// the message before it already contains (many errors repeat their source), newlines flattened.
pub fn error_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    let mut previous = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !previous.is_empty() && previous.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
        previous = text;
    }
    line.replace('\n', " ")
}

/// Prints `error: …` (one line) on stderr and, with `--json`, `{"error": …}` on stdout; a contract
/// revert also gives its decoded name and arguments.
pub fn print_error(error: &anyhow::Error, json: bool) {
    let line = error_line(error);
    eprintln!("error: {line}");
    if json {
        let mut body = json!({ "error": line });
        if let Some(revert) = error.downcast_ref::<ContractRevert>() {
            body["contract_error"] = revert.to_json();
        }
        println!("{body}");
    }
}
