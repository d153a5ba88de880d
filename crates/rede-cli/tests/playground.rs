//! `rede playground`: the server started as the real binary on a free port, and
//! every endpoint exercised over HTTP, bad requests and size caps included.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A running `rede playground --port 0`, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rede"))
            .args(["playground", "--port", "0", "--no-browser"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("rede starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let address = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line}")).to_string();
        Server { child, address }
    }

    /// Sends raw request bytes; the status and body of the answer.
    fn raw(&self, request: &[u8]) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        // The server may answer (413) before reading a body it refuses; the write may then fail.
        let _ = stream.write_all(request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
        let head = String::from_utf8_lossy(&answer[..split]).to_string();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, answer[split + 4..].to_vec())
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body.len());
        self.raw(&[head.as_bytes(), body].concat())
    }

    fn json(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let (status, body) = self.request(method, path, body);
        (status, serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&body))))
    }

    /// A new session's id.
    fn session(&self) -> String {
        let (status, body) = self.json("POST", "/api/session", b"");
        assert_eq!(status, 200);
        body["session"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts a 4xx answer with a JSON error message containing `wanted`.
fn assert_refused(answer: (u16, Value), status: u16, wanted: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    let message = answer.1["error"].as_str().unwrap_or_else(|| panic!("no error message: {}", answer.1));
    assert!(message.contains(wanted), "{message:?} lacks {wanted:?}");
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary() {
    let server = Server::start();
    let (status, page) = server.request("GET", "/", b"");
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("<canvas id=\"boundary\"") && page.contains("/app.js"));
    // No CDN: everything the page loads comes from this server.
    assert!(!page.contains("http://") && !page.contains("https://"));
    for (path, wanted) in [("/app.js", "EventSource"), ("/style.css", "#boundary")] {
        let (status, body) = server.request("GET", path, b"");
        assert_eq!(status, 200, "{path}");
        assert!(String::from_utf8(body).unwrap().contains(wanted), "{path}");
    }
    assert_refused(server.json("GET", "/nothing", b""), 404, "nothing at /nothing");
    assert_refused(server.json("POST", "/app.js", b""), 405, "GET only");
}

#[test]
fn stepping_trains_and_lowers_the_loss() {
    let server = Server::start();
    let id = server.session();
    let config = json!({"dataset": "xor", "layers": [{"units": 8, "activation": "tanh"}], "seed": 3});
    let (status, body) = server.json("POST", &format!("/api/config?session={id}"), config.to_string().as_bytes());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"]["config"]["dataset"], "xor");
    assert_eq!(body["state"]["train"]["xy"].as_array().unwrap().len(), 200);
    let mut frame = Value::Null;
    for _ in 0..30 {
        (_, frame) = server.json("POST", &format!("/api/step?session={id}"), b"");
    }
    assert_eq!(frame["epoch"], 30);
    let tests = frame["history"]["test"].as_array().unwrap();
    let (first, last) = (tests[0].as_f64().unwrap(), tests[29].as_f64().unwrap());
    assert!(last < first * 0.5, "test loss {first} -> {last}");
    assert_eq!(frame["output"]["kind"], "classes");
    assert_eq!(frame["neurons"].as_array().unwrap().len(), 2, "inputs and one hidden layer");
    let (_, same) = server.json("GET", &format!("/api/frame?session={id}"), b"");
    assert_eq!(same["epoch"], 30);
    let (_, reset) = server.json("POST", &format!("/api/reset?session={id}"), b"");
    assert_eq!(reset["frame"]["epoch"], 0);
    let (_, state) = server.json("GET", &format!("/api/state?session={id}"), b"");
    assert_eq!(state["state"]["config"]["layers"][0]["units"], 8, "reset keeps the settings");
}

#[test]
fn bad_settings_are_refused_with_a_message_and_change_nothing() {
    let server = Server::start();
    let id = server.session();
    let path = format!("/api/config?session={id}");
    let nine_layers: Vec<Value> = (0..9).map(|_| json!({"units": 2, "activation": "relu"})).collect();
    let cases = [
        ("{not json", "bad settings"),
        (r#"{"dataset": "imagenet"}"#, "unknown variant"),
        (r#"{"layers": [{"units": 65, "activation": "relu"}]}"#, "1 to 64 units"),
        (r#"{"layers": [{"units": 4, "activation": "swish"}]}"#, "unknown variant"),
        (r#"{"learning_rate": 1e308}"#, "learning_rate"),
        (r#"{"batch_size": 99999999999999999999999}"#, "bad settings"),
        (r#"{"dataset": "upload"}"#, "upload a CSV file first"),
    ];
    for (body, wanted) in cases {
        assert_refused(server.json("POST", &path, body.as_bytes()), 400, wanted);
    }
    let nine = json!({ "layers": nine_layers }).to_string();
    assert_refused(server.json("POST", &path, nine.as_bytes()), 400, "at most 8 hidden layers");
    let (_, state) = server.json("GET", &format!("/api/state?session={id}"), b"");
    assert_eq!(state["state"]["config"]["dataset"], "circles", "the defaults are still in place");
}

#[test]
fn sessions_are_checked_and_methods_enforced() {
    let server = Server::start();
    assert_refused(server.json("GET", "/api/state", b""), 400, "session parameter is missing");
    assert_refused(server.json("GET", "/api/state?session=nope", b""), 404, "unknown session");
    assert_refused(server.json("GET", "/api/events?session=nope", b""), 404, "unknown session");
    assert_refused(server.json("GET", "/api/step?session=nope", b""), 405, "POST only");
    assert_refused(server.json("POST", "/api/graph?session=nope", b""), 405, "GET only");
    let (status, _) = server.raw(b"NONSENSE\r\n\r\n");
    assert_eq!(status, 400);
    let chunked = b"POST /api/session HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(server.raw(chunked).0, 501);
    let huge_header = format!("GET / HTTP/1.1\r\nX-Long: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(server.raw(huge_header.as_bytes()).0, 431);
}

#[test]
fn uploads_are_read_with_the_csv_reader_and_capped() {
    let server = Server::start();
    let id = server.session();
    let path = format!("/api/upload?session={id}");
    let rows: String = (0..40).map(|i| format!("{},{},{}\n", i % 7, i % 5, ["red", "blue"][i % 2])).collect();
    let (status, body) = server.json("POST", &path, format!("a,b,colour\n{rows}").as_bytes());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"]["config"]["dataset"], "upload");
    assert_eq!(body["state"]["task"]["classes"], 2);
    assert_refused(server.json("POST", &path, b"a,b\n1,2\n"), 400, "three");
    assert_refused(server.json("POST", &path, b"a,b,c\n1,2\n"), 400, "uploaded file");
    let many: String = (0..5001).map(|i| format!("{i},1,{}\n", i % 2)).collect();
    assert_refused(server.json("POST", &path, format!("a,b,c\n{many}").as_bytes()), 400, "10 to 5000");
    // Over the cap: refused from the Content-Length alone.
    let head = format!("POST {path} HTTP/1.1\r\nContent-Length: {}\r\n\r\n", 10 * 1024 * 1024 + 1);
    let (status, body) = server.raw(head.as_bytes());
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    // The earlier upload is still there to switch back to.
    let (status, _) = server.json("POST", &format!("/api/config?session={id}"), br#"{"dataset": "upload"}"#);
    assert_eq!(status, 200);
}

#[test]
fn the_graph_shows_one_samples_loss_with_gradients() {
    let server = Server::start();
    let id = server.session();
    assert_refused(server.json("GET", &format!("/api/graph?session={id}"), b""), 400, "first epoch");
    server.json("POST", &format!("/api/step?session={id}"), b"");
    let (status, graph) = server.json("GET", &format!("/api/graph?session={id}"), b"");
    assert_eq!(status, 200, "{graph}");
    assert!(graph["dot"].as_str().unwrap().starts_with("digraph rede"));
    let names: Vec<&str> = graph["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"z1 = x·W1ᵀ + b1") && names.contains(&"W1"), "{names:?}");
}

#[test]
fn the_exported_model_is_one_rede_predict_reads() {
    let server = Server::start();
    let id = server.session();
    assert_refused(server.json("GET", &format!("/api/model?session={id}"), b""), 400, "first epoch");
    let config = json!({"dataset": "moons", "features": ["x1", "x2", "x1_x2"]});
    server.json("POST", &format!("/api/config?session={id}"), config.to_string().as_bytes());
    for _ in 0..5 {
        server.json("POST", &format!("/api/step?session={id}"), b"");
    }
    let (status, bytes) = server.request("GET", &format!("/api/model?session={id}"), b"");
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.safetensors"), bytes).unwrap();
    std::fs::write(dir.path().join("points.csv"), "x1,x2,x1_x2\n0.5,0.5,0.25\n-1,0.2,-0.2\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rede"))
        .current_dir(dir.path())
        .args(["predict", "--model", "model.safetensors", "--data", "points.csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let predictions = String::from_utf8(out.stdout).unwrap();
    assert_eq!(predictions.lines().count(), 3, "a header and two predictions: {predictions}");
}

#[test]
fn the_event_stream_sends_frames_while_playing() {
    let server = Server::start();
    let id = server.session();
    let mut stream = TcpStream::connect(&server.address).unwrap();
    // A stream that stops sending fails the test instead of hanging it.
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    write!(stream, "GET /api/events?session={id} HTTP/1.1\r\n\r\n").unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    while head != "\r\n" {
        head.clear();
        reader.read_line(&mut head).unwrap();
        if head.starts_with("Content-Type") {
            assert!(head.contains("text/event-stream"), "{head}");
        }
    }
    let mut next_frame = || loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some(data) = line.strip_prefix("data: ") {
            return serde_json::from_str::<Value>(data).unwrap();
        }
    };
    assert_eq!(next_frame()["epoch"], 0, "the current frame comes first");
    let (status, _) = server.json("POST", &format!("/api/play?session={id}"), b"");
    assert_eq!(status, 200);
    // Frames keep coming while the session plays, each further along.
    let mut epoch = 0;
    while epoch < 20 {
        let frame = next_frame();
        let now = frame["epoch"].as_u64().unwrap();
        assert!(now >= epoch, "{now} after {epoch}");
        epoch = now;
    }
    server.json("POST", &format!("/api/pause?session={id}"), b"");
}

#[test]
fn another_host_gets_a_warning() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rede"))
        .args(["playground", "--port", "0", "--no-browser", "--host", "0.0.0.0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://0.0.0.0:"), "{line}");
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("anyone"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let mut server = Server::start();
    let interrupted = Command::new("kill").args(["-INT", &server.child.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    server.child.stdout.take().unwrap().read_to_string(&mut rest).unwrap();
    assert!(rest.contains("playground stopped"), "{rest}");
}
