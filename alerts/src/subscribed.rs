//! Receivers from the alert subscriptions people declared through the ingest API's signed routes
//! (`storage/src/subscriptions/`), merged with the configured ones. Each active subscription
//! becomes a receiver named `sub-{id}`; the list is read again at most every [`RELOAD`], so a
//! new subscription is served within seconds, and a deleted one drops out: its pending alerts
//! expire as "receiver no longer configured" and nothing new is written for it.
//!
//! The ingest API refused private targets when they were subscribed, but a name can be rebound
//! to an internal address afterwards: [`PublicOnly`], the HTTP client's resolver, refuses every
//! private address a subscription's host name resolves to, each time it is resolved (unless the
//! operator allows private targets). Configured receivers' hosts are resolved as usual.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sla_storage::subscriptions::{ChannelKind, Subscription};
use sla_storage::Database;

use crate::config::{AlertsConfig, Channel, Receiver};

/// How often the subscriptions are read again.
pub const RELOAD: Duration = Duration::from_secs(2);

/// Where Telegram subscriptions are sent (a subscription cannot choose another API).
const TELEGRAM_API: &str = "https://api.telegram.org";

/// The receiver a subscription describes, or `None` when its stored values do not make one
/// (logged without the values, which may be secrets).
pub fn receiver(sub: &Subscription) -> Option<Receiver> {
    let url = |text: &str| reqwest::Url::parse(text).ok();
    let channel = match sub.channel {
        ChannelKind::Webhook => Channel::Webhook {
            url: url(sub.target.as_deref()?)?,
            secret: sub.secret.as_bytes().to_vec(),
        },
        ChannelKind::Slack => Channel::Slack {
            url: url(&sub.secret)?,
        },
        ChannelKind::Discord => Channel::Discord {
            url: url(&sub.secret)?,
        },
        ChannelKind::Telegram => Channel::Telegram {
            api: url(TELEGRAM_API)?,
            token: sub.secret.clone(),
            chat_id: sub.target.clone()?,
        },
    };
    Some(Receiver {
        name: format!("sub-{}", sub.id),
        channel,
        rules: Some(sub.filters.rules.iter().cloned().collect()),
        providers: sub
            .filters
            .providers
            .as_ref()
            .map(|p| p.iter().copied().collect()),
        data_units: sub
            .filters
            .data_units
            .as_ref()
            .map(|d| d.iter().copied().collect()),
    })
}

/// A DNS resolver that refuses private addresses for the host names in its set (those of
/// subscriptions, and of no configured receiver).
#[derive(Debug, Default)]
pub struct PublicOnly {
    hosts: RwLock<HashSet<String>>,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let checked = self.hosts.read().expect("hosts lock").contains(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if checked && addrs.iter().any(|a| !sla_runtime::net::is_public(a.ip())) {
                return Err("a subscription's host resolves to a private address".into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The host name of a channel's URL, if it is a name (an address was checked when subscribed).
fn host_name(channel: &Channel) -> Option<String> {
    let url = match channel {
        Channel::Webhook { url, .. } | Channel::Slack { url } | Channel::Discord { url } => url,
        Channel::Telegram { api, .. } => api,
        // Email is configured by the operator only; subscriptions cannot name an SMTP host.
        Channel::Email(_) => return None,
    };
    url.domain()
        .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
}

/// The configured receivers plus the subscribed ones, read again at most every [`RELOAD`].
#[derive(Debug, Default)]
pub struct Subscribed {
    merged: Option<(Instant, Arc<AlertsConfig>)>,
    resolver: Arc<PublicOnly>,
}

impl Subscribed {
    /// The resolver the HTTP client must use, kept up to date with the subscriptions' hosts.
    pub fn resolver(&self) -> Arc<PublicOnly> {
        self.resolver.clone()
    }

    /// `base` with the active subscriptions' receivers added. A failed read keeps the last
    /// list (or `base` alone) and is tried again next time.
    pub async fn merge(&mut self, db: &Database, base: &Arc<AlertsConfig>) -> Arc<AlertsConfig> {
        if let Some((at, merged)) = &self.merged {
            if at.elapsed() < RELOAD {
                return merged.clone();
            }
        }
        let subs = match db.subscriptions().active(sla_runtime::now_ms()).await {
            Ok(subs) => subs,
            Err(e) => {
                tracing::warn!(error = %e, "could not read alert subscriptions; retrying");
                return self.merged.as_ref().map_or(base.clone(), |m| m.1.clone());
            }
        };
        let mut config = AlertsConfig::clone(base);
        for sub in &subs {
            let Some(r) = receiver(sub) else {
                tracing::warn!(
                    id = sub.id,
                    "alert subscription does not make a receiver; skipped"
                );
                continue;
            };
            if config.receivers.iter().any(|c| c.name == r.name) {
                tracing::warn!(name = %r.name, "a configured receiver has this name; subscription skipped");
                continue;
            }
            config.receivers.push(r);
        }
        if !base.subscriptions_allow_private_targets {
            let configured: HashSet<String> = base
                .receivers
                .iter()
                .filter_map(|r| host_name(&r.channel))
                .collect();
            let hosts = config.receivers[base.receivers.len()..]
                .iter()
                .filter_map(|r| host_name(&r.channel))
                .filter(|h| !configured.contains(h))
                .collect();
            *self.resolver.hosts.write().expect("hosts lock") = hosts;
        }
        let merged = Arc::new(config);
        self.merged = Some((Instant::now(), merged.clone()));
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sla_storage::subscriptions::Filters;

    fn sub(channel: ChannelKind, target: Option<&str>, secret: &str) -> Subscription {
        Subscription {
            id: 5,
            owner: alloy_primitives::Address::repeat_byte(1),
            channel,
            target: target.map(str::to_owned),
            secret: secret.to_owned(),
            filters: Filters {
                rules: vec!["penalty".into()],
                providers: None,
                data_units: Some(vec![7]),
            },
            created_at_ms: 0,
            deleted_at_ms: None,
        }
    }

    #[test]
    fn each_channel_becomes_a_receiver_with_its_filters_and_no_secret_in_debug() {
        let slack = receiver(&sub(
            ChannelKind::Slack,
            None,
            "https://hooks.slack.com/services/SECRET1",
        ))
        .unwrap();
        assert_eq!(slack.name, "sub-5");
        assert!(
            matches!(&slack.channel, Channel::Slack { url } if url.path().ends_with("SECRET1"))
        );
        let provider = alloy_primitives::Address::repeat_byte(9);
        assert!(slack.wants("penalty", &provider, 7));
        assert!(!slack.wants("penalty", &provider, 8));
        assert!(!slack.wants("late", &provider, 7));
        let telegram = receiver(&sub(ChannelKind::Telegram, Some("-100"), "1:SECRET2")).unwrap();
        assert!(
            matches!(&telegram.channel, Channel::Telegram { token, chat_id, .. } if token == "1:SECRET2" && chat_id == "-100")
        );
        let debug = format!("{slack:?} {telegram:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(
            receiver(&sub(ChannelKind::Webhook, None, "s")).is_none(),
            "no URL, no receiver"
        );
    }
}
