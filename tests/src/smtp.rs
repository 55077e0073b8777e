//! An SMTP server on loopback that keeps every message it receives.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailin_embedded::response::{AUTHENTICATION_REQUIRED, NO_MAILBOX, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};

/// One message as received on the wire.
#[derive(Clone, Debug)]
pub struct Received {
    pub recipients: Vec<String>,
    pub raw: String,
}

impl Received {
    /// The value of a header (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The body with quoted-printable soft breaks removed.
    pub fn body(&self) -> String {
        let body = self.raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        body.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The invitation token in the message's link.
    pub fn token(&self) -> Option<String> {
        let body = self.body();
        let start = body.find("/respond/")? + "/respond/".len();
        let token: String = body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }
}

#[derive(Clone)]
struct Collector {
    inbox: Arc<Mutex<Vec<Received>>>,
    recipients: Vec<String>,
    data: Vec<u8>,
    /// How long the server takes to answer a message it has taken in.
    answer_after: Duration,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.recipients = to.to_vec();
        self.data.clear();
        OK
    }

    /// Senders whose name starts with `unauthorised` must sign in first: a
    /// permanent refusal that is not the recipient's fault.
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        if from.trim_start_matches('<').starts_with("unauthorised") {
            AUTHENTICATION_REQUIRED
        } else {
            OK
        }
    }

    /// Mailboxes whose name starts with `gone` do not exist: a hard bounce.
    fn rcpt(&mut self, to: &str) -> Response {
        if to.trim_start_matches('<').starts_with("gone") {
            NO_MAILBOX
        } else {
            OK
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let message = Received {
            recipients: std::mem::take(&mut self.recipients),
            raw: String::from_utf8_lossy(&self.data).into_owned(),
        };
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.push(message);
        }
        // The message is kept either way: a late answer is still a yes.
        std::thread::sleep(self.answer_after);
        OK
    }
}

/// A running SMTP server and what it has received.
#[derive(Clone)]
pub struct MailSink {
    port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl MailSink {
    /// Starts a server on a free loopback port; it lives as long as the test process.
    pub fn start() -> anyhow::Result<Self> {
        Self::answering_after(Duration::ZERO)
    }

    /// A server that keeps each message as soon as it has it, but answers
    /// only `delay` later.
    pub fn answering_after(delay: Duration) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let handler = Collector {
            inbox: inbox.clone(),
            recipients: Vec::new(),
            data: Vec::new(),
            answer_after: delay,
        };
        let mut server = Server::new(handler);
        server
            .with_name("sink.test")
            // One thread per session: the sender keeps a pool of open connections.
            .with_num_threads(64)
            .with_ssl(SslConfig::None)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Ok(Self { port, inbox })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// How many messages have arrived.
    pub fn count(&self) -> usize {
        self.inbox.lock().map(|m| m.len()).unwrap_or_default()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inbox.lock().map(|m| m.clone()).unwrap_or_default()
    }
}
