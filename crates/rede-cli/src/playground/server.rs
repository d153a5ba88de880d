//! A minimal HTTP/1.1 server on `std::net`: one thread per connection, one
//! request per connection (`Connection: close`), bodies sized by Content-Length.
//! The playground serves one person on their own machine, so this is enough and
//! keeps an async runtime out of the build.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Largest request body (the CSV upload cap).
pub const MAX_BODY: usize = 10 * 1024 * 1024;
/// Largest request line plus headers.
const MAX_HEAD: usize = 16 * 1024;
/// Most connections served at once; more are answered 503.
const MAX_CONNECTIONS: usize = 64;
/// How often the accept loop looks for a connection (and for Ctrl-C): every request
/// opens a connection, so this bounds the latency it adds.
const ACCEPT_POLL: Duration = Duration::from_millis(3);

/// A parsed request.
pub struct Request {
    /// GET, POST, …
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// The query parameters (not percent-decoded: the playground's values are plain).
    pub query: HashMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
}

/// A complete response.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The Content-Type.
    pub content_type: &'static str,
    /// More headers (e.g. Content-Disposition).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A 200 with a JSON body.
    pub fn json(value: &serde_json::Value) -> Response {
        Response::with(200, "application/json", value.to_string().into_bytes())
    }

    /// An error status with `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Response {
        let body = serde_json::json!({ "error": message.into() }).to_string().into_bytes();
        Response::with(status, "application/json", body)
    }

    /// A response of any type.
    pub fn with(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response { status, content_type, headers: Vec::new(), body }
    }

    /// Writes the response and closes the exchange.
    pub fn send(&self, stream: &mut TcpStream) -> std::io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&self.body)?;
        stream.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Accepts connections until `stop` is set, handing each to `handle` on its own thread.
pub fn serve<H>(listener: TcpListener, stop: &AtomicBool, handle: H) -> std::io::Result<()>
where
    H: Fn(Request, TcpStream) + Send + Sync + 'static,
{
    // Non-blocking accept, so the loop sees Ctrl-C's flag within a moment.
    listener.set_nonblocking(true)?;
    let handle = Arc::new(handle);
    let active = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (handle, active) = (Arc::clone(&handle), Arc::clone(&active));
                active.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    connection(stream, &*handle, active.load(Ordering::SeqCst) > MAX_CONNECTIONS);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => eprintln!("warning: accepting a connection failed: {e}"),
        }
    }
    Ok(())
}

fn connection(mut stream: TcpStream, handle: &dyn Fn(Request, TcpStream), busy: bool) {
    // Accepted sockets may inherit non-blocking mode; requests are read blocking,
    // with a timeout so a silent client does not hold a thread forever.
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    // Head and body go out in separate writes; without this, Nagle's algorithm holds
    // the body back until the client acknowledges the head (tens of milliseconds).
    let _ = stream.set_nodelay(true);
    if busy {
        let _ = Response::error(503, "too many connections").send(&mut stream);
        return;
    }
    match read_request(&mut stream) {
        Ok(request) => handle(request, stream),
        Err(response) => {
            let _ = response.send(&mut stream);
            linger(stream);
        }
    }
}

/// Closes a connection whose request was refused unread: closing with unread input
/// makes the kernel reset the connection, and the client may lose the answer with
/// it. So the writing side is shut first and a little of the input is read away.
fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 8192];
    let mut left: usize = 1 << 20;
    while left > 0 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

/// Reads one request; a malformed or oversized one becomes the error response to send.
pub fn read_request(stream: &mut TcpStream) -> Result<Request, Response> {
    let mut reader = BufReader::new(stream);
    let head = read_head(&mut reader)?;
    let mut lines = head.iter();
    let request_line = lines.next().map_or("", String::as_str);
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Response::error(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Response::error(400, "only HTTP/1.x is served"));
    }
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers.contains_key("transfer-encoding") {
        return Err(Response::error(501, "chunked request bodies are not supported; send Content-Length"));
    }
    let length = match headers.get("content-length") {
        None => 0,
        Some(v) => v.parse::<usize>().map_err(|_| Response::error(400, "bad Content-Length"))?,
    };
    if length > MAX_BODY {
        return Err(Response::error(413, format!("the request body is over the {} MB limit", MAX_BODY >> 20)));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|_| Response::error(400, "the body is shorter than its Content-Length"))?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(Request { method: method.to_string(), path: path.to_string(), query: parse_query(query), body })
}

/// The request line and header lines (without line ends), up to the blank line.
fn read_head(reader: &mut impl BufRead) -> Result<Vec<String>, Response> {
    let (mut lines, mut size) = (Vec::new(), 0);
    loop {
        let mut line = Vec::new();
        // Reading at most what is left of the limit, so one endless line cannot exhaust memory.
        let n = reader
            .by_ref()
            .take((MAX_HEAD + 1 - size) as u64)
            .read_until(b'\n', &mut line)
            .map_err(|_| Response::error(400, "could not read the request"))?;
        size += n;
        if size > MAX_HEAD {
            return Err(Response::error(431, "the request headers are too large"));
        }
        if n == 0 {
            return Err(Response::error(400, "the request ended before its headers did"));
        }
        let text = String::from_utf8(line).map_err(|_| Response::error(400, "the request headers are not UTF-8"))?;
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            return Ok(lines);
        }
        lines.push(text.to_string());
    }
}

fn parse_query(query: &str) -> HashMap<String, String> {
    query.split('&').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Starts an event stream: the headers after which each [`send_event`] is one frame.
pub fn start_events(stream: &mut TcpStream) -> std::io::Result<()> {
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes())?;
    stream.flush()
}

/// Sends one Server-Sent Event holding `data` (JSON has no raw newlines).
pub fn send_event(stream: &mut TcpStream, data: &str) -> std::io::Result<()> {
    stream.write_all(format!("data: {data}\n\n").as_bytes())?;
    stream.flush()
}
