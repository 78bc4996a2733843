//! The web console (issue 12): static files under `/console`, built into the binary.
//!
//! The console is a page of plain ES modules (`crates/api/console/`), with no build step: it
//! reads everything it shows through the same API every other client uses (`POST /`, the Step
//! Functions, CloudWatch and `Switchback.` operations), signed with SigV4 in the browser when the
//! server has `--credentials`. The files themselves hold no data and are served to anyone, as
//! `/health` is; the one thing generated per server is `config.js`, which tells the page the
//! region it must sign for and whether signing is required.
//!
//! Release builds carry the files inside the binary; debug builds read them from the source
//! folder (rust-embed's default), so a change to the console shows without a rebuild.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::Embed;

use crate::AppState;

#[derive(Embed)]
#[folder = "console/"]
struct Files;

/// What the page may load and where it may connect: its own origin only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// `GET /console`: to the folder, so that the page's relative paths resolve.
pub async fn redirect() -> Redirect {
    Redirect::permanent("/console/")
}

/// `GET /console/`: the page.
pub async fn index(headers: HeaderMap) -> Response {
    file("index.html", &headers)
}

/// `GET /console/{*path}`: one of the files, or `config.js`.
pub async fn asset(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    if path == "config.js" {
        return config(&state);
    }
    file(&path, &headers)
}

/// The settings of this server the page needs: its region, whether requests must be signed,
/// and its clocks (under `--time-scale` the metric clock runs faster than the wall clock, and
/// CloudWatch timestamps are on it). Nothing secret.
fn config(state: &AppState) -> Response {
    let observer = state.runtime.observer();
    let settings = serde_json::json!({
        "region": state.runtime.config().region,
        "signingRequired": state.authenticate.is_some(),
        "timeScale": observer.time_scale(),
        "wallNowMs": runtime::now_ms(),
        "metricNowMs": observer.now_ms(),
    });
    let body = format!("export const config = {settings};\n");
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(headers);
    response
}

fn file(path: &str, request: &HeaderMap) -> Response {
    let Some(found) = Files::get(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such file in the console\n",
        )
            .into_response();
    };
    let tag = etag(&found.metadata.sha256_hash());
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|one| one.trim() == tag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, found.data.into_owned()).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(path)),
    );
    // Revalidated on every load: the tag makes that a 304 until the binary changes.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    secure(headers);
    response
}

fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn etag(hash: &[u8; 32]) -> String {
    let hex: String = hash[..12]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// The media type of the few kinds of file the console has.
fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
