//! One function per command: parse nothing, do the thing, return an [`Output`].

mod audit;
mod claim;
mod court;
mod flows;
mod key;
mod maintenance;
mod policy;
mod probe;
mod show;

use tracing_subscriber::EnvFilter;

use crate::args::{Cli, Command};
use crate::output::Output;

/// Logs go to stderr; `RUST_LOG` filters them (default: `info` for the probe agent, `warn`
/// otherwise, so that one-shot commands print only their result).
pub fn init_logging(cli: &Cli) {
    let default = match &cli.command {
        Command::Probe(crate::args::ProbeCommand::Run { .. }) => "info",
        _ => "warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<Output> {
    match cli.command {
        Command::Key(cmd) => key::run(cmd, &cli.chain).await,
        Command::Provider(cmd) => flows::provider(cmd, &cli.chain).await,
        Command::Consumer(cmd) => flows::consumer(cmd, &cli.chain).await,
        Command::Show(cmd) => show::run(cmd, &cli.chain).await,
        Command::Probe(cmd) => probe::run(cmd).await,
        Command::Court(cmd) => court::run(cmd, &cli.chain).await,
        Command::Policy(cmd) => policy::run(cmd, &cli.chain).await,
        Command::Maintenance(cmd) => maintenance::run(cmd, &cli.chain).await,
        Command::Audit(cmd) => audit::run(cmd, &cli.chain).await,
    }
}
