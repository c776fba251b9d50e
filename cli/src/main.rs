//! `sla`: the SLA oracle's command line (see `docs/cli.md`).

use std::process::ExitCode;

use clap::Parser;
use sla_cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    sla_cli::commands::init_logging(&cli);
    let json = cli.json;
    // `sla audit` keeps exit code 1 for a mismatch; its usage and connection errors exit with 2.
    let error_code = match cli.command {
        sla_cli::args::Command::Audit(_) => 2,
        _ => 1,
    };
    match sla_cli::run(cli).await {
        Ok(output) => {
            output.print(json);
            ExitCode::from(output.exit_code)
        }
        Err(error) => {
            sla_cli::output::print_error(&error, json);
            ExitCode::from(error_code)
        }
    }
}
