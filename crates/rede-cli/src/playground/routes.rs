//! What each URL does. Every answer to a bad request is a 4xx with `{"error": …}`.

use super::config::Config;
use super::server::{self, Request, Response};
use super::session::Session;
use super::{data, graph};
use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Most sessions kept; opening another forgets the one used longest ago.
const MAX_SESSIONS: usize = 32;
/// Time an event stream spends training between frames while running.
const FRAME_BUDGET: Duration = Duration::from_millis(40);

/// A shared session.
type Shared = Arc<Mutex<Session>>;

/// The server's state: the sessions by id.
pub struct App {
    sessions: Mutex<HashMap<String, (Shared, Instant)>>,
    counter: AtomicU64,
    /// Set by Ctrl-C: event streams end.
    stop: &'static AtomicBool,
}

impl App {
    /// No sessions yet; `stop` ends the event streams.
    pub fn new(stop: &'static AtomicBool) -> App {
        App { sessions: Mutex::new(HashMap::new()), counter: AtomicU64::new(0), stop }
    }

    /// Answers one request on its connection.
    pub fn handle(&self, request: Request, mut stream: TcpStream) {
        if (request.method.as_str(), request.path.as_str()) == ("GET", "/api/events") {
            match self.session(&request) {
                Ok(session) => self.events(&session, stream),
                Err(response) => drop(response.send(&mut stream)),
            }
            return;
        }
        let _ = self.respond(&request).send(&mut stream);
    }

    /// The response to every request but the event stream.
    pub fn respond(&self, request: &Request) -> Response {
        let (method, path) = (request.method.as_str(), request.path.as_str());
        if let Some(asset) = super::assets::get(path) {
            return match method {
                "GET" => Response::with(200, asset.0, asset.1.as_bytes().to_vec()),
                _ => Response::error(405, format!("{path} answers GET only")),
            };
        }
        let wanted = match path {
            "/api/session" | "/api/config" | "/api/upload" | "/api/step" | "/api/play" | "/api/pause"
            | "/api/reset" => "POST",
            "/api/state" | "/api/frame" | "/api/graph" | "/api/model" | "/api/events" => "GET",
            _ => return Response::error(404, format!("nothing at {path}")),
        };
        if method != wanted {
            return Response::error(405, format!("{path} answers {wanted} only"));
        }
        if path == "/api/session" {
            return self.new_session();
        }
        match self.session(request) {
            Ok(session) => session_route(path, request, &mut lock(&session)),
            Err(response) => response,
        }
    }

    /// Opens a session with the default settings.
    fn new_session(&self) -> Response {
        let id = self.new_id();
        let session = Session::new();
        let body = serde_json::json!({ "session": id, "state": session.state(), "frame": session.frame() });
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone()) {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(id, (Arc::new(Mutex::new(session)), Instant::now()));
        Response::json(&body)
    }

    /// An id no one can guess from the others: a counter and the clock, hashed
    /// with the process's random keys.
    fn new_id(&self) -> String {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(self.counter.fetch_add(1, Ordering::SeqCst));
        hasher.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos(),
        );
        format!("{:016x}", hasher.finish())
    }

    /// The session the `session` query parameter names.
    fn session(&self, request: &Request) -> Result<Shared, Response> {
        let id =
            request.query.get("session").ok_or_else(|| Response::error(400, "the session parameter is missing"))?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let (session, used) =
            sessions.get_mut(id).ok_or_else(|| Response::error(404, "unknown session: reload the page"))?;
        *used = Instant::now();
        Ok(Arc::clone(session))
    }

    /// Streams frames until the page goes away: training while the session runs,
    /// and a frame after every change.
    fn events(&self, session: &Shared, mut stream: TcpStream) {
        if server::start_events(&mut stream).is_err() {
            return;
        }
        let mut sent = None;
        let mut quiet = Instant::now();
        while !self.stop.load(Ordering::SeqCst) {
            let frame = {
                let mut s = lock(session);
                if s.running {
                    // Several epochs per frame for small networks, at least one for large ones.
                    let started = Instant::now();
                    while s.running && (started.elapsed() < FRAME_BUDGET || s.version == sent.unwrap_or(u64::MAX)) {
                        let _ = s.step();
                    }
                }
                (sent != Some(s.version)).then(|| {
                    sent = Some(s.version);
                    s.frame().to_string()
                })
            };
            let written = match frame {
                Some(frame) => {
                    quiet = Instant::now();
                    server::send_event(&mut stream, &frame)
                }
                // A comment now and then finds out whether the page is still there.
                None if quiet.elapsed() > Duration::from_secs(5) => {
                    quiet = Instant::now();
                    std::io::Write::write_all(&mut stream, b": still here\n\n")
                }
                None => {
                    std::thread::sleep(Duration::from_millis(25));
                    Ok(())
                }
            };
            if written.is_err() {
                return;
            }
        }
    }
}

/// A session route, with the session locked.
fn session_route(path: &str, request: &Request, session: &mut Session) -> Response {
    let done = |s: &Session| Response::json(&serde_json::json!({ "state": s.state(), "frame": s.frame() }));
    match path {
        "/api/state" => done(session),
        "/api/frame" => Response::json(&session.frame()),
        "/api/config" => match Config::from_json(&request.body).and_then(|c| session.configure(c)) {
            Ok(()) => done(session),
            Err(e) => Response::error(400, e),
        },
        "/api/upload" => match data::parse_upload(&request.body).and_then(|p| session.upload(p)) {
            Ok(()) => done(session),
            Err(e) => Response::error(400, e),
        },
        "/api/step" => {
            session.running = false;
            match session.step() {
                Ok(()) => Response::json(&session.frame()),
                Err(e) => Response::error(400, e),
            }
        }
        "/api/play" | "/api/pause" => {
            session.running = path == "/api/play";
            session.version += 1;
            Response::json(&session.frame())
        }
        "/api/reset" => match session.reset() {
            Ok(()) => done(session),
            Err(e) => Response::error(400, e),
        },
        "/api/graph" => match graph::one_step(session) {
            Ok(graph) => Response::json(&graph),
            Err(e) => Response::error(400, e),
        },
        "/api/model" => model_file(session),
        _ => Response::error(404, format!("nothing at {path}")),
    }
}

/// The current network as a `.safetensors` download.
fn model_file(session: &Session) -> Response {
    let name = format!("{:?}", session.config().dataset).to_lowercase();
    match session.model().to_bytes(&format!("playground {name}")) {
        Ok(bytes) => {
            let mut response = Response::with(200, "application/octet-stream", bytes);
            let file = format!("attachment; filename=\"playground-{name}.safetensors\"");
            response.headers.push(("Content-Disposition", file));
            response
        }
        Err(e) => Response::error(400, e),
    }
}

/// Locks a session; a panic elsewhere does not make it unusable.
fn lock(session: &Shared) -> MutexGuard<'_, Session> {
    session.lock().unwrap_or_else(|e| e.into_inner())
}
