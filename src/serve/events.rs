//! The live-reload event stream (server-sent events). A new connection first gets `hello` with
//! the current build's version, so a page loaded just before a rebuild still reloads.

use super::state::Shared;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

pub fn stream(shared: &Arc<Shared>) -> Response {
    let rx = shared.signals.subscribe();
    let hello = shared.snapshot().version.to_string();
    let first = futures_util::stream::once(async move {
        Ok::<_, Infallible>(Event::default().event("hello").data(hello))
    });
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(signal) => {
                let (name, data) = signal.sse();
                Event::default().event(name).data(data)
            }
            // Too far behind to know what changed: reload to be sure.
            Err(RecvError::Lagged(_)) => Event::default().event("reload").data("{\"version\":0}"),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<_, Infallible>(event), rx))
    });
    Sse::new(first.chain(rest))
        .keep_alive(KeepAlive::default())
        .into_response()
}
