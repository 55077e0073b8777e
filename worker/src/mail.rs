//! The one place mail leaves the system: SMTP, or `.eml` files in an outbox
//! folder when no SMTP server is configured.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// An email to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// Unique key of the message; also names its outbox file.
    pub key: String,
    pub to_name: String,
    pub to_address: String,
    pub subject: String,
    pub text: String,
    /// An HTML alternative to `text`, saying the same.
    pub html: Option<String>,
    /// One-click unsubscribe link, sent as `List-Unsubscribe` (RFC 2369)
    /// with `List-Unsubscribe-Post` (RFC 8058).
    pub unsubscribe_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message itself is wrong: retrying cannot help.
    #[error("message rejected: {0}")]
    Invalid(String),
    /// The server refused the recipient's mailbox for good (550, 551, 553).
    #[error("refused by the mail server: {0}")]
    Refused(String),
    /// The server refused the message for good for another reason (the
    /// sender, authentication, the content): not the recipient's fault.
    #[error("message refused by the mail server: {0}")]
    Rejected(String),
    /// The transport failed: a later attempt may succeed.
    #[error("delivery failed: {0}")]
    Transport(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Clone)]
pub struct Mailer {
    sink: Sink,
    from: Mailbox,
    deadline: Duration,
    /// Sets this installation's Message-IDs apart from another's, whose
    /// email keys (numbered from 1 in each database) are the same.
    namespace: String,
}

#[derive(Clone)]
enum Sink {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

impl Mailer {
    /// SMTP when `smtp_url` is given, else an outbox folder. One email may
    /// take at most `deadline`, the server's answers included. `namespace`
    /// goes into every Message-ID: letters and digits, the same for every
    /// process of one installation.
    pub fn new(
        smtp_url: Option<&str>,
        outbox: PathBuf,
        from: &str,
        deadline: Duration,
        namespace: &str,
    ) -> anyhow::Result<Self> {
        let sink = match smtp_url {
            Some(url) => Sink::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                    .timeout(Some(deadline))
                    // A connection per email. The client's own timeout
                    // covers connecting only, so a send is cut short from
                    // outside at its deadline; a pool would take such a
                    // connection back mid-command, and the next email on it
                    // would read the answers meant for this one.
                    .pool_config(PoolConfig::new().max_size(0))
                    .build(),
            ),
            None => Sink::Outbox(outbox),
        };
        Ok(Self {
            sink,
            from: from.parse()?,
            deadline,
            namespace: safe_name(namespace),
        })
    }

    /// The longest one email can take before its send gives up.
    pub fn longest_send(&self) -> Duration {
        self.deadline
    }

    fn build(&self, mail: &Outgoing) -> Result<Message, MailError> {
        let from = self.from.clone();
        let address = mail
            .to_address
            .parse()
            .map_err(|_| MailError::Invalid("recipient address is not valid".into()))?;
        // lettre encodes non-ASCII names and subjects and refuses line breaks in headers.
        let to = Mailbox::new(Some(mail.to_name.replace(['\r', '\n'], " ")), address);
        // Our own Message-ID, stable per email key and installation: a
        // resend is recognisably the same message, another installation's
        // email under the same key is not.
        let message_id = format!(
            "<{}.{}@{}>",
            safe_name(&mail.key),
            self.namespace,
            from.email.domain()
        );
        let mut builder = Message::builder()
            .message_id(Some(message_id))
            .from(from)
            .to(to)
            .subject(mail.subject.replace(['\r', '\n'], " "));
        if let Some(url) = &mail.unsubscribe_url {
            if !url.starts_with("https://") && !url.starts_with("http://")
                || url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '>')
            {
                return Err(MailError::Invalid(
                    "unsubscribe link is not a plain URL".into(),
                ));
            }
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let built = match &mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text.clone()),
        };
        built.map_err(|e| MailError::Invalid(e.to_string()))
    }

    /// Sends one email, giving up after the deadline. A server that has
    /// not answered by then may still deliver it: a later attempt keeps the
    /// Message-ID, so the mailbox can tell the copies are one message.
    pub async fn send(&self, mail: &Outgoing) -> Result<(), MailError> {
        let message = self.build(mail)?;
        tokio::time::timeout(self.deadline, self.deliver(mail, message))
            .await
            .map_err(|elapsed| MailError::Transport(Box::new(elapsed)))?
    }

    async fn deliver(&self, mail: &Outgoing, message: Message) -> Result<(), MailError> {
        match &self.sink {
            Sink::Smtp(transport) => {
                transport.send(message).await.map_err(|e| {
                    let mailbox = e.status().is_some_and(|code| {
                        matches!(code.to_string().as_str(), "550" | "551" | "553")
                    });
                    if e.is_permanent() && mailbox {
                        MailError::Refused(e.to_string())
                    } else if e.is_permanent() {
                        MailError::Rejected(e.to_string())
                    } else {
                        MailError::Transport(Box::new(e))
                    }
                })?;
            }
            Sink::Outbox(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| MailError::Transport(Box::new(e)))?;
                let name = safe_name(&mail.key);
                tokio::fs::write(dir.join(format!("{name}.eml")), message.formatted())
                    .await
                    .map_err(|e| MailError::Transport(Box::new(e)))?;
            }
        }
        Ok(())
    }
}

/// Deletes the copies in the outbox folder `dir` of mail to any of
/// `addresses` (normalised, see [`crate::suppression::normalise`]): what
/// erasing a person takes from the folder that stands in for a mail
/// server. Says how many were deleted; a missing folder holds none.
pub async fn forget_outbox_copies(dir: &Path, addresses: &[String]) -> std::io::Result<u64> {
    if addresses.is_empty() {
        return Ok(0);
    }
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut deleted = 0;
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let text = tokio::fs::read(&path).await?;
        let to_them = recipients(&String::from_utf8_lossy(&text))
            .iter()
            .any(|r| addresses.contains(&crate::suppression::normalise(r)));
        if to_them {
            tokio::fs::remove_file(&path).await?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// The addresses of a message's `To`, `Cc` and `Bcc` headers: what stands
/// in angle brackets, or the whole value when nothing does.
fn recipients(message: &str) -> Vec<String> {
    let head = message
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .split("\n\n")
        .next()
        .unwrap_or_default();
    // A header continues on lines that begin with white space.
    let mut headers: Vec<String> = Vec::new();
    for line in head.lines() {
        match headers.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => headers.push(line.to_owned()),
        }
    }
    let mut out = Vec::new();
    for header in &headers {
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        if !["to", "cc", "bcc"].contains(&name.trim().to_ascii_lowercase().as_str()) {
            continue;
        }
        for mailbox in value.split(',') {
            let address = match (mailbox.rfind('<'), mailbox.rfind('>')) {
                (Some(open), Some(close)) if open < close => &mailbox[open + 1..close],
                _ => mailbox,
            };
            out.push(address.trim().to_owned());
        }
    }
    out
}

/// A key as a file name or Message-ID part: letters, digits, dots and dashes.
fn safe_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '.'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(key: &str, name: &str, address: &str) -> Outgoing {
        Outgoing {
            key: key.to_owned(),
            to_name: name.to_owned(),
            to_address: address.to_owned(),
            subject: "Your questionnaire".to_owned(),
            text: format!("Dear {name}, tell us how it went."),
            html: None,
            unsubscribe_url: None,
        }
    }

    #[test]
    fn recipients_are_read_from_folded_headers_with_or_without_names() {
        let message = "From: a@b.test\r\nTo: \"Doe, Jane\" <Jane@Example.test>,\r\n \
                       raw@example.test\r\nCc: <c@example.test>\r\nSubject: To: x@y.test\r\n\r\n\
                       To: body@example.test\r\n";
        assert_eq!(
            recipients(message),
            [
                "\"Doe",
                "Jane@Example.test",
                "raw@example.test",
                "c@example.test"
            ]
        );
    }

    #[tokio::test]
    async fn forgetting_a_person_deletes_only_the_outbox_copies_of_mail_to_them() {
        let dir = std::env::temp_dir().join(format!("outbox-{}", crate::tokens::random_token(8)));
        let mailer = Mailer::new(
            None,
            dir.clone(),
            "Tutoring <noreply@example.test>",
            Duration::from_secs(5),
            "test",
        )
        .expect("an outbox mailer");
        for (key, name, address) in [
            ("invitation:1", "Ada Lovelace", "Ada@Example.test"),
            ("reminder:1", "Ada Lovelace", "ada@example.test"),
            ("invitation:2", "Alan Turing", "alan@example.test"),
        ] {
            mailer
                .send(&mail(key, name, address))
                .await
                .expect("written");
        }
        tokio::fs::write(dir.join("notes.txt"), "To: ada@example.test")
            .await
            .expect("written");

        let gone = forget_outbox_copies(&dir, &["ada@example.test".to_owned()]).await;
        assert_eq!(gone.ok(), Some(2));
        let mut left = Vec::new();
        let mut entries = tokio::fs::read_dir(&dir).await.expect("the folder");
        while let Some(entry) = entries.next_entry().await.expect("an entry") {
            left.push(entry.file_name().to_string_lossy().into_owned());
        }
        left.sort();
        assert_eq!(left, ["invitation.2.eml", "notes.txt"]);
        let missing = forget_outbox_copies(&dir.join("none"), &[]).await;
        assert_eq!(missing.ok(), Some(0));
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
}
