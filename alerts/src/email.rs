//! The email channel: an outbox row sent as a message over SMTP (lettre's tokio transport, with
//! rustls for STARTTLS or implicit TLS). The server's `250` after `DATA` is the acknowledgement;
//! anything else is retried by the outbox like any other channel. Each message carries the alert
//! key in `X-SLA-Alert-Key` and in a `Message-ID` derived from it, so a receiver (or a mail
//! filter) can drop the second copy that an at-least-once resend may produce.

use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use maud::{html, Markup};
use serde_json::Value;

use crate::config::ConfigError;

/// Longest one SMTP conversation may take, from connecting to the answer after `DATA`.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host, or tests.
    None,
}

/// An SMTP server and the addresses a receiver's mail goes to.
#[derive(Clone)]
pub struct EmailChannel {
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// Its port (587 unless set).
    pub port: u16,
    /// How the connection is secured.
    pub tls: TlsMode,
    /// `(user name, password)`, from the environment, when the server wants AUTH.
    pub credentials: Option<(String, String)>,
    /// The sender.
    pub from: Mailbox,
    /// The recipients (at least one).
    pub to: Vec<Mailbox>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is never shown; the user name is not a secret but stays out too.
        write!(
            f,
            "email smtp {}:{} ({:?}) from {} to {} recipient(s){}",
            self.host,
            self.port,
            self.tls,
            self.from,
            self.to.len(),
            if self.credentials.is_some() {
                " (password <redacted>)"
            } else {
                ""
            }
        )
    }
}

/// The email fields of a receiver, as the configuration file has them.
#[derive(Debug, Clone, Copy)]
pub struct EmailFields<'a> {
    /// `smtp_host`.
    pub smtp_host: Option<&'a str>,
    /// `smtp_port`.
    pub smtp_port: Option<u16>,
    /// `tls`: `starttls` (default), `tls` or `none`.
    pub tls: Option<&'a str>,
    /// `username_env`.
    pub username_env: Option<&'a str>,
    /// `password_env`.
    pub password_env: Option<&'a str>,
    /// `from`.
    pub from: Option<&'a str>,
    /// `to`.
    pub to: Option<&'a [String]>,
}

/// Checks a receiver's email fields; `at` names a field of this receiver, `env` gives secrets.
pub fn channel(
    fields: EmailFields<'_>,
    at: &impl Fn(&str) -> String,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<EmailChannel, ConfigError> {
    let refuse = |field: &str, detail: String| ConfigError {
        field: at(field),
        detail,
    };
    let host = fields
        .smtp_host
        .map(str::trim)
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ', ':']))
        .ok_or_else(|| {
            refuse(
                "smtp_host",
                "is required: the SMTP server's host name".into(),
            )
        })?;
    let port = fields.smtp_port.unwrap_or(587);
    if port == 0 {
        return Err(refuse("smtp_port", "must be between 1 and 65535".into()));
    }
    let tls = match fields.tls.unwrap_or("starttls") {
        "starttls" => TlsMode::StartTls,
        "tls" => TlsMode::Tls,
        "none" => TlsMode::None,
        other => {
            return Err(refuse(
                "tls",
                format!("unknown mode {other:?}; known: starttls, tls, none"),
            ))
        }
    };
    if tls != TlsMode::None {
        // Checked now so that a host name rustls cannot verify is a configuration mistake,
        // not a delivery that fails for a day.
        TlsParameters::new(host.to_owned())
            .map_err(|_| refuse("smtp_host", "is not a name TLS can verify".into()))?;
    }
    let secret = |field: &str, name: &str| {
        env(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| refuse(field, format!("environment variable {name} is not set")))
    };
    let credentials = match (fields.username_env, fields.password_env) {
        (None, None) => None,
        (Some(user), Some(password)) => Some((
            secret("username_env", user)?,
            secret("password_env", password)?,
        )),
        (Some(_), None) => {
            return Err(refuse(
                "password_env",
                "is required with username_env".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(refuse(
                "username_env",
                "is required with password_env".into(),
            ))
        }
    };
    let from = fields
        .from
        .ok_or_else(|| refuse("from", "is required: the sender's address".into()))?
        .parse::<Mailbox>()
        .map_err(|_| refuse("from", "must be an email address".into()))?;
    let to = fields
        .to
        .filter(|t| !t.is_empty())
        .ok_or_else(|| refuse("to", "is required: a list of at least one address".into()))?
        .iter()
        .enumerate()
        .map(|(i, a)| {
            a.parse::<Mailbox>()
                .map_err(|_| refuse(&format!("to[{i}]"), "must be an email address".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(EmailChannel {
        host: host.to_owned(),
        port,
        tls,
        credentials,
        from,
        to,
    })
}

/// `X-SLA-Alert-Key`: the outbox key, for de-duplication by whoever reads the mail.
#[derive(Debug, Clone)]
struct AlertKeyHeader(String);

impl Header for AlertKeyHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-SLA-Alert-Key")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AlertKeyHeader(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// A `Message-ID` that is the same for every resend of one key: the key's characters that are
/// not allowed in a message id (`:` among them) become `.`.
pub fn message_id(alert_key: &str) -> String {
    let left: String = alert_key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    let left = left.trim_matches('.');
    format!(
        "<{}@sla-oracle>",
        if left.is_empty() { "alert" } else { left }
    )
}

/// What one email says: subject, the same text twice (plain and HTML), and maybe a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (every value escaped).
    pub html: String,
    /// `(file name, CSV)` attached, for a report.
    pub attachment: Option<(String, String)>,
}

/// An alert (its outbox JSON) as an email: `[severity] summary`, the details, the transaction
/// and the dashboard link.
pub fn alert_letter(body: &str) -> Letter {
    let alert: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text_of = |k: &str| alert[k].as_str().unwrap_or("").to_owned();
    let subject = format!("[{}] {}", text_of("severity"), text_of("summary"));
    let details: Vec<String> = alert["details"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d.as_str().unwrap_or("").to_owned())
        .collect();
    let tx = alert["tx_hash"].as_str().map(str::to_owned);
    let link = text_of("link");
    let html: Markup = html! {
        p { strong { "[" (text_of("severity")) "]" } " " (text_of("summary")) }
        @if !details.is_empty() {
            ul { @for d in &details { li { (d) } } }
        }
        @if let Some(tx) = &tx { p { "Transaction " code { (tx) } } }
        @if !link.is_empty() { p { a href=(link) { "Open in the dashboard" } } }
        p { small { "Alert key " code { (text_of("alert_key")) } } }
    };
    Letter {
        subject,
        text: crate::deliver::message(body),
        html: html.into_string(),
        attachment: None,
    }
}

/// The message for `letter` addressed as `channel` says.
pub fn build(
    channel: &EmailChannel,
    alert_key: &str,
    letter: Letter,
) -> Result<Message, lettre::error::Error> {
    let mut builder = Message::builder()
        .from(channel.from.clone())
        .subject(letter.subject)
        .message_id(Some(message_id(alert_key)))
        .header(AlertKeyHeader(alert_key.to_owned()));
    for to in &channel.to {
        builder = builder.to(to.clone());
    }
    let body = MultiPart::alternative_plain_html(letter.text, letter.html);
    let body = match letter.attachment {
        None => body,
        Some((name, csv)) => MultiPart::mixed().multipart(body).singlepart(
            Attachment::new(name).body(csv, ContentType::parse("text/csv").expect("valid")),
        ),
    };
    builder.multipart(body)
}

/// Sends `letter` for `alert_key` through `channel`'s server; `Ok` once it answered `250` to
/// the message, else why not (never with the password).
pub async fn send(channel: &EmailChannel, alert_key: &str, letter: Letter) -> Result<(), String> {
    let message = build(channel, alert_key, letter).map_err(|e| format!("email not built: {e}"))?;
    let tls = match channel.tls {
        TlsMode::None => Tls::None,
        mode => {
            let params =
                TlsParameters::new(channel.host.clone()).map_err(|e| format!("smtp tls: {e}"))?;
            if mode == TlsMode::Tls {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        }
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&channel.host)
        .port(channel.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if let Some((user, password)) = &channel.credentials {
        transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
    }
    // lettre's errors name the SMTP reply or the I/O failure; the credentials never appear.
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| format!("smtp: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_id_is_stable_per_key_and_well_formed() {
        assert_eq!(message_id("penalty:7:12"), "<penalty.7.12@sla-oracle>");
        assert_eq!(
            message_id("report:weekly p1:0"),
            "<report.weekly.p1.0@sla-oracle>"
        );
        assert_eq!(message_id("::"), "<alert@sla-oracle>");
    }

    #[test]
    fn the_html_body_escapes_what_it_shows() {
        let body = r#"{"alert_key":"k","severity":"warning","summary":"<script>x</script> & co",
            "details":["180.0 ms > 50.0 ms"],"tx_hash":null,"link":""}"#;
        let letter = alert_letter(body);
        assert_eq!(letter.subject, "[warning] <script>x</script> & co");
        assert!(letter
            .html
            .contains("&lt;script&gt;x&lt;/script&gt; &amp; co"));
        assert!(letter.html.contains("180.0 ms &gt; 50.0 ms"));
        assert!(!letter.html.contains("<script>"));
    }
}
