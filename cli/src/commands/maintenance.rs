//! `sla maintenance …`: a provider's announced maintenance windows (docs/policy.md). The
//! contract checks every rule (notice, the epoch rule, overlap, allowance) and its refusals are
//! named; `list` reads the windows, the agreed maintenance terms and the allowance used back.

use alloy::primitives::U256;
use anyhow::bail;
use serde_json::json;
use sla_contracts::policies::maintenance_windows_of;
use sla_protocol::policy::{duration_text, MAINTENANCE_PERIOD_S};

use crate::args::{ChainArgs, MaintenanceCommand};
use crate::chain::Chain;
use crate::output::Output;

pub(super) async fn run(cmd: MaintenanceCommand, args: &ChainArgs) -> anyhow::Result<Output> {
    let chain = Chain::connect(args).await?;
    match cmd {
        MaintenanceCommand::Announce {
            data_units,
            start,
            duration,
        } => {
            let Some(end) = start.checked_add(duration) else {
                bail!("a window of {duration} s from {start} ends beyond any time");
            };
            announce(&chain, data_units, start, end).await
        }
        MaintenanceCommand::Cancel { data_unit, index } => cancel(&chain, data_unit, index).await,
        MaintenanceCommand::List { data_unit } => list(&chain, data_unit).await,
    }
}

async fn announce(
    chain: &Chain,
    data_units: Vec<u64>,
    start: u64,
    end: u64,
) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let sent = chain
        .send(
            "announceMaintenance",
            policies.announceMaintenance(data_units.clone(), start, end),
        )
        .await?;
    let mut out = sent.json();
    out["data_units"] = json!(data_units);
    out["start_s"] = json!(start);
    out["end_s"] = json!(end);
    Ok(Output::new(
        format!(
            "announced maintenance {} to {} for data unit(s) {}: records inside it will not count{}",
            sla_runtime::utc_text(start),
            sla_runtime::utc_text(end),
            list_of(&data_units),
            sent.human_suffix()
        ),
        out,
    ))
}

async fn cancel(chain: &Chain, data_unit: u64, index: u64) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let sent = chain
        .send(
            "cancelMaintenance",
            policies.cancelMaintenance(data_unit, U256::from(index)),
        )
        .await?;
    let mut out = sent.json();
    out["data_unit"] = json!(data_unit);
    out["index"] = json!(index);
    Ok(Output::new(
        format!(
            "cancelled maintenance window {index} of data unit {data_unit}{}",
            sent.human_suffix()
        ),
        out,
    ))
}

async fn list(chain: &Chain, data_unit: u64) -> anyhow::Result<Output> {
    let policies = chain.policies()?;
    let terms = chain
        .view("maintenanceTermsOf", policies.maintenanceTermsOf(data_unit))
        .await?;
    let now_s = sla_runtime::now_ms() / 1000;
    let period = now_s / u64::from(MAINTENANCE_PERIOD_S);
    let used = chain
        .view(
            "maintenanceUsed",
            policies.maintenanceUsed(data_unit, period),
        )
        .await?;
    let windows =
        maintenance_windows_of(policies.provider(), *policies.address(), data_unit).await?;
    let mut human = vec![if terms.allowanceSecs == 0 {
        format!("data unit {data_unit}: no maintenance allowed (no agreed policy allows any)")
    } else {
        format!(
            "data unit {data_unit}: windows announced at least {} ahead, {} of {} used in this 30-day period",
            duration_text(terms.noticeSecs),
            minutes_text(used),
            duration_text(terms.allowanceSecs),
        )
    }];
    for w in &windows {
        human.push(format!(
            "  #{} {} to {}{}",
            w.index,
            sla_runtime::utc_text(w.start_s),
            sla_runtime::utc_text(w.end_s),
            if w.cancelled { " (cancelled)" } else { "" }
        ));
    }
    let out = json!({
        "data_unit": data_unit,
        "notice_s": terms.noticeSecs,
        "allowance_s": terms.allowanceSecs,
        "period": period,
        "used_s": used,
        "windows": windows,
    });
    Ok(Output::new(human.join("\n"), out))
}

fn list_of(units: &[u64]) -> String {
    units
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds in words (`90 min`); every figure here is within 30 days.
fn minutes_text(secs: u64) -> String {
    duration_text(u32::try_from(secs).unwrap_or(u32::MAX))
}
