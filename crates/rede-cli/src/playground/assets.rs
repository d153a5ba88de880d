//! The page, built into the binary so the playground works offline and from any directory.

const INDEX: &str = include_str!("assets/index.html");
const APP: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/style.css");

/// The content type and text of the asset at `path`, if there is one.
pub fn get(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/" | "/index.html" => Some(("text/html; charset=utf-8", INDEX)),
        "/app.js" => Some(("text/javascript; charset=utf-8", APP)),
        "/style.css" => Some(("text/css; charset=utf-8", STYLE)),
        _ => None,
    }
}
