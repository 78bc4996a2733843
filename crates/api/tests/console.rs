//! The console's files under `/console`: served with their media types, a strict content
//! security policy and ETags; `config.js` tells the page the region, whether to sign and the
//! clocks; nothing else is served, and no file reads data past the API.

mod common;

use api::Error;
use axum::body::Body;
use common::Api;
use http::{Request, StatusCode};
use serde_json::Value;

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_page_and_its_modules_are_served() {
    let api = Api::new();
    let redirect = api.send(get("/console")).await;
    assert_eq!(redirect.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers["location"], "/console/");

    let page = api.send(get("/console/")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    let html = page.body.as_str().unwrap();
    assert!(
        html.contains(r#"<script type="module" src="js/app.js">"#),
        "{html}"
    );
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");

    for (path, media) in [
        ("/console/js/app.js", "text/javascript; charset=utf-8"),
        ("/console/js/graph.js", "text/javascript; charset=utf-8"),
        (
            "/console/vendor/dagre.esm.js",
            "text/javascript; charset=utf-8",
        ),
        ("/console/console.css", "text/css; charset=utf-8"),
    ] {
        let answer = api.send(get(path)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.headers["content-type"], media, "{path}");
        assert!(answer.headers.contains_key("etag"), "{path}");
    }
}

#[tokio::test]
async fn a_known_etag_answers_not_modified() {
    let api = Api::new();
    let first = api.send(get("/console/js/app.js")).await;
    let tag = first.headers["etag"].to_str().unwrap().to_owned();
    let again = Request::get("/console/js/app.js")
        .header("if-none-match", &tag)
        .body(Body::empty())
        .unwrap();
    let answer = api.send(again).await;
    assert_eq!(answer.status, StatusCode::NOT_MODIFIED);
    assert_eq!(answer.body, Value::Null);
    let stale = Request::get("/console/js/app.js")
        .header("if-none-match", "\"0000\"")
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.send(stale).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_files_are_not_found() {
    let api = Api::new();
    for path in [
        "/console/nothing.js",
        "/console/js/",
        "/console/../Cargo.toml",
        "/console/%2e%2e/Cargo.toml",
        "/console/js/../../src/lib.rs",
    ] {
        let answer = api.send(get(path)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn config_js_gives_the_region_the_signing_rule_and_the_clocks() {
    let api = Api::new();
    let answer = api.send(get("/console/config.js")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let text = answer.body.as_str().unwrap();
    let settings: Value = serde_json::from_str(
        text.strip_prefix("export const config = ")
            .and_then(|rest| rest.strip_suffix(";\n"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(settings["region"], "us-east-1");
    assert_eq!(settings["signingRequired"], false);
    assert_eq!(settings["timeScale"], 1.0);
    assert!(settings["wallNowMs"].as_i64().unwrap() > 0);
    assert!(settings["metricNowMs"].as_i64().unwrap() > 0);

    // With a verifier the page must sign; the files stay readable without a signature (they
    // hold no data), while the API behind them refuses an unsigned request.
    let mut state = api.state.clone();
    state.authenticate = Some(std::sync::Arc::new(|_parts, _body| {
        Err(Error::MissingAuthenticationToken(
            "Missing Authentication Token".to_owned(),
        ))
    }));
    let secured = Api {
        app: api::router(state.clone()),
        state,
    };
    let answer = secured.send(get("/console/config.js")).await;
    assert!(
        answer
            .body
            .as_str()
            .unwrap()
            .contains(r#""signingRequired":true"#)
    );
    assert_eq!(secured.send(get("/console/")).await.status, StatusCode::OK);
    let unsigned = Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        secured.send(unsigned).await.error_type(),
        "MissingAuthenticationTokenException"
    );
}
