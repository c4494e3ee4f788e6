//! What a host needs to send an answer as it is made (server-sent events): a sink the handler
//! writes to through channels, and the first thing the handler gives, the stream's head or its
//! own whole answer. The host runs the handler on (its runtime's `spawn` or `waitUntil`) while
//! it answers with the stream.

use std::cell::RefCell;

use futures_channel::{mpsc, oneshot};
use futures_util::future::{select, Either};

use super::Response;

/// A stream's status and headers.
pub type Head = (u16, Vec<(String, String)>);

/// The handler's side: the head once, then the body's chunks; a chunk that cannot be sent says
/// the caller has gone (the host dropped the body's reader).
pub struct ChannelSink {
    head: RefCell<Option<oneshot::Sender<Head>>>,
    body: mpsc::UnboundedSender<Vec<u8>>,
}

impl crate::ports::Sink for ChannelSink {
    fn open(&self, status: u16, headers: Vec<(String, String)>) {
        if let Some(head) = self.head.borrow_mut().take() {
            let _ = head.send((status, headers));
        }
    }

    fn send(&self, chunk: Vec<u8>) -> bool {
        self.body.unbounded_send(chunk).is_ok()
    }
}

/// A sink, and the host's ends: the head and the body's chunks as they come.
pub fn channel() -> (ChannelSink, oneshot::Receiver<Head>, mpsc::UnboundedReceiver<Vec<u8>>) {
    let (head_tx, head_rx) = oneshot::channel();
    let (body_tx, body_rx) = mpsc::unbounded();
    (ChannelSink { head: RefCell::new(Some(head_tx)), body: body_tx }, head_rx, body_rx)
}

/// How a handler given a sink began to answer.
pub enum Start {
    /// It opened a stream: its body follows on the channel.
    Stream(Head),
    /// It answered whole, without streaming (an error before the first event).
    Whole(Response),
    /// It ended without either (it cannot, unless it panicked).
    Lost,
}

/// Waits for the stream's head or the handler's whole answer, whichever comes first.
pub async fn start(head: oneshot::Receiver<Head>, answer: oneshot::Receiver<Response>) -> Start {
    match select(head, answer).await {
        Either::Left((Ok(head), _)) => Start::Stream(head),
        // The sink went without opening: the handler's answer is (or will be) there.
        Either::Left((Err(_), answer)) => answer.await.map_or(Start::Lost, Start::Whole),
        Either::Right((Ok(answer), _)) => Start::Whole(answer),
        Either::Right((Err(_), _)) => Start::Lost,
    }
}

/// Whether `req` asks for its answer as a stream of events.
pub fn wanted(req: &super::Request) -> bool {
    req.header("accept").is_some_and(|a| a.to_ascii_lowercase().contains("text/event-stream"))
}
