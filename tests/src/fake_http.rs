//! A tiny recording HTTP/1.1 server for standing in for outside services (mail providers,
//! social platforms) in tests. It runs on its own thread and runtime, answers each request
//! with what the test's responder says, and keeps every request it saw.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Reply {
    pub status: u16,
    pub body: String,
}

type Responder = dyn Fn(&Recorded) -> Reply + Send + Sync;

pub struct FakeServer {
    pub url: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeServer {
    pub fn start(responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> FakeServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", std_listener.local_addr().expect("local addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (seen2, responder): (_, Arc<Responder>) = (seen.clone(), Arc::new(responder));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else { continue };
                    let (seen, responder) = (seen2.clone(), responder.clone());
                    tokio::spawn(async move {
                        let (read, mut write) = stream.into_split();
                        let mut reader = BufReader::new(read);
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let mut parts = line.split_whitespace();
                        let method = parts.next().unwrap_or_default().to_string();
                        let path = parts.next().unwrap_or_default().to_string();
                        let mut headers = Vec::new();
                        loop {
                            let mut h = String::new();
                            if reader.read_line(&mut h).await.unwrap_or(0) == 0 || h.trim().is_empty() {
                                break;
                            }
                            if let Some((k, v)) = h.trim_end().split_once(':') {
                                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                            }
                        }
                        let len = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
                        let mut body = vec![0u8; len];
                        let _ = reader.read_exact(&mut body).await;
                        let recorded = Recorded { method, path, headers, body };
                        let reply = responder(&recorded);
                        seen.lock().expect("lock").push(recorded);
                        let text = format!(
                            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                            reply.status,
                            reply.body.len(),
                            reply.body
                        );
                        let _ = write.write_all(text.as_bytes()).await;
                    });
                }
            });
        });
        FakeServer { url, seen }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().expect("lock").clone()
    }
}
