//! The physical limit for `bench/service.sh`: a bare axum endpoint on the same tokio runtime and
//! HTTP stack as `switchback serve`, which reads the request body and answers a fixed AWS JSON 1.0
//! document on `POST /`, with no tracing, no validation, no store.
//!
//! ```sh
//! cargo run --release -p api --example bare -- 127.0.0.1:8090
//! ```

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;

const ANSWER: &str = r#"{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:bare:00000000-0000-4000-8000-000000000000","startDate":1764150000.123}"#;

async fn answer(_body: Bytes) -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(CONTENT_TYPE, api::CONTENT_TYPE)], ANSWER)
}

fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&bind)
            .await
            .expect("the address to bind");
        eprintln!("bare endpoint on http://{}", listener.local_addr().unwrap());
        axum::serve(listener, Router::new().route("/", post(answer)))
            .await
            .expect("the server");
    });
}
