//! Condition rules over the chain mirror, evaluated every [`CHAIN_EVERY_MS`]:
//! - `bond-cover`: a provider's bond is below `epochs` epochs of the penalties of its active
//!   data units (critical below one epoch's). Condition `bond-cover:{provider}`.
//! - `reputation-drop`: a provider's reputation is at least `drop_bps` below the highest this
//!   process saw within `window_s`. Condition `reputation-drop:{provider}`.
//! - `key-expiry`: a reporter key's validity ends within `horizon_s`. Condition
//!   `key-expiry:{public key}`.

use std::collections::{HashMap, VecDeque};

use alloy_primitives::Address;
use sla_dashboard::words;
use sla_protocol::parties::Allocation;
use sla_storage::{Database, StorageError};

use super::Ctx;
use crate::alert::Alert;
use crate::condition::{Evaluation, Observed};

/// How often the chain rules look, ms: the mirror changes with blocks, not with reports.
const CHAIN_EVERY_MS: u64 = 5_000;

/// What the chain rules remember: reputations seen, to find a drop.
#[derive(Debug, Default)]
pub(super) struct Chain {
    last: Option<u64>,
    reputations: HashMap<Address, VecDeque<(u64, u16)>>,
}

fn provider_alert(ctx: &Ctx<'_>, provider: &Address, mut alert: Alert) -> Alert {
    alert.provider = format!("{provider:#x}");
    alert.raised_at_ms = ctx.now_ms;
    if !ctx.config.dashboard_url.is_empty() {
        alert.link = format!("{}/providers/{provider:#x}", ctx.config.dashboard_url);
    }
    alert
}

impl Chain {
    pub(super) async fn look(
        &mut self,
        db: &Database,
        ctx: &Ctx<'_>,
        enforced: &[u64],
        allocations: &HashMap<u64, Allocation>,
    ) -> Result<Vec<Evaluation>, StorageError> {
        let now = ctx.now_ms;
        if self
            .last
            .is_some_and(|t| now.saturating_sub(t) < CHAIN_EVERY_MS)
        {
            return Ok(Vec::new());
        }
        self.last = Some(now);
        let s = &ctx.config.settings;
        let providers = db.mirror().providers().await?;
        let mut per_epoch: HashMap<Address, (u128, u64)> = HashMap::new();
        for a in enforced.iter().filter_map(|d| allocations.get(d)) {
            let e = per_epoch.entry(a.provider).or_default();
            e.0 = e.0.saturating_add(a.terms.penalty_per_epoch);
            e.1 += 1;
        }
        let (mut cover, mut drops) = (Vec::new(), Vec::new());
        for p in &providers {
            if let Some(&(penalties, units)) = per_epoch.get(&p.provider) {
                let needed = penalties.saturating_mul(u128::from(s.cover_epochs));
                if penalties > 0 && p.bonded < needed {
                    let severity = if p.bonded < penalties {
                        "critical"
                    } else {
                        "warning"
                    };
                    let alert = Alert::firing(
                        "bond-cover",
                        severity,
                        format!(
                            "provider {:#x} has a bond of {}, which covers {} epochs of the \
                             penalties of its {units} active data units (wanted: {})",
                            p.provider,
                            words::eth(p.bonded),
                            p.bonded / penalties,
                            s.cover_epochs
                        ),
                        vec![
                            format!("bonded {} wei, unbonding {} wei", p.bonded, p.unbonding),
                            format!(
                                "penalties per epoch if every data unit breaks: {penalties} wei"
                            ),
                            format!("bond wanted: {needed} wei"),
                        ],
                    );
                    cover.push(Observed {
                        condition: format!("bond-cover:{:#x}", p.provider),
                        alert: provider_alert(ctx, &p.provider, alert),
                    });
                }
            }
            let seen = self.reputations.entry(p.provider).or_default();
            if seen.back().is_none_or(|(_, r)| *r != p.reputation) {
                seen.push_back((now, p.reputation));
            }
            while seen.len() > 1
                && seen
                    .front()
                    .is_some_and(|(t, _)| now - t > s.drop_window_ms)
            {
                seen.pop_front();
            }
            let peak = seen.iter().map(|(_, r)| *r).max().unwrap_or(p.reputation);
            if u64::from(peak.saturating_sub(p.reputation)) >= s.drop_bps {
                let alert = Alert::firing(
                    "reputation-drop",
                    "warning",
                    format!(
                        "provider {:#x}'s reputation fell from {} to {} within {}",
                        p.provider,
                        words::percent(u64::from(peak)),
                        words::percent(u64::from(p.reputation)),
                        words::duration_s(s.drop_window_ms / 1_000)
                    ),
                    vec![format!(
                        "a drop of {} basis points (alert at {})",
                        peak - p.reputation,
                        s.drop_bps
                    )],
                );
                drops.push(Observed {
                    condition: format!("reputation-drop:{:#x}", p.provider),
                    alert: provider_alert(ctx, &p.provider, alert),
                });
            }
        }
        let mut keys = Vec::new();
        for k in db
            .mirror()
            .keys_ending(now, now.saturating_add(s.key_horizon_ms))
            .await?
        {
            let until = k.valid_until_ms.unwrap_or(now);
            let key = hex::encode(k.public_key);
            let alert = Alert::firing(
                "key-expiry",
                "warning",
                format!(
                    "the reporter key {}… of {:#x} stops being valid in {} ({}): its reports \
                     are refused after that; register a new key before",
                    &key[..16],
                    k.account,
                    words::duration_s(until.saturating_sub(now) / 1_000),
                    words::utc(until)
                ),
                vec![format!("public key {key}")],
            );
            keys.push(Observed {
                condition: format!("key-expiry:{key}"),
                alert: provider_alert(ctx, &k.account, alert),
            });
        }
        let eval = |scope: &str, holding| Evaluation {
            scopes: vec![scope.to_owned()],
            holding,
        };
        Ok(vec![
            eval("bond-cover:", cover),
            eval("reputation-drop:", drops),
            eval("key-expiry:", keys),
        ])
    }
}
