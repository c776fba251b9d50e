//! `sla`: the SLA oracle's command line (see `docs/cli.md`).

use std::process::ExitCode;

use clap::Parser;
use sla_cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    sla_cli::commands::init_logging(&cli);
    let json = cli.json;
    match sla_cli::run(cli).await {
        Ok(output) => {
            output.print(json);
            ExitCode::SUCCESS
        }
        Err(error) => {
            sla_cli::output::print_error(&error, json);
            ExitCode::FAILURE
        }
    }
}
