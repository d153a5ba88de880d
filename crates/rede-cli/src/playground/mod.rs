//! `rede playground`: a local web page that trains small networks live on 2-D data
//! with rede's own engine. The Rust process holds each tab's session and trains;
//! the page sends settings and draws the frames it streams (Server-Sent Events).

mod assets;
mod config;
mod data;
mod graph;
mod model;
mod routes;
mod server;
mod session;

use crate::error::CliError;
use crate::{interrupt, CliResult};
use clap::Args;
use std::io::Write;
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;

/// `rede playground` arguments.
#[derive(Args, Debug)]
pub struct PlaygroundArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Address to listen on; anything but a loopback address lets others on the network in.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Do not open the page in a browser.
    #[arg(long)]
    pub no_browser: bool,
}

/// Serves the playground until Ctrl-C.
pub fn run(args: &PlaygroundArgs) -> CliResult<()> {
    if !args.host.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine on that network can use the playground",
            args.host
        );
    }
    let listener = TcpListener::bind((args.host, args.port))
        .map_err(|e| CliError::new(format!("cannot listen on {}:{}: {e}", args.host, args.port)))?;
    let address = listener.local_addr().map_err(|e| CliError::new(format!("no local address: {e}")))?;
    // Before the address is printed, so a Ctrl-C as soon as it is shown is handled.
    let stop = interrupt::install_with("\nstopping the playground");
    let url = format!("http://{address}/");
    println!("listening on {}", url.trim_end_matches('/'));
    // Tests and scripts read the address from a pipe, which is not line-buffered.
    let _ = std::io::stdout().flush();
    if !args.no_browser {
        open_browser(&url);
    }
    let app = Arc::new(routes::App::new(stop));
    server::serve(listener, stop, move |request, stream| app.handle(request, stream))
        .map_err(|e| CliError::new(format!("the server stopped: {e}")))?;
    println!("playground stopped");
    Ok(())
}

/// Opens `url` in the desktop's browser; failing to is only a warning.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!("warning: could not open a browser ({opener}: {e}); open {url} yourself");
    }
}
