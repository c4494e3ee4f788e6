//! Serves the in-process host (in-memory SQLite, development) over plain HTTP/1.1, one request
//! per connection: `serve <port>`. For running tools that speak HTTP (the property-based run of
//! `scripts/fuzz.sh`) against the domain without building the Worker. Not a production server.

use herald_tests::Api;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MAX_BODY: usize = 64 * 1024 * 1024;

async fn answer(api: &Api, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut raw = Vec::new();
    reader.read_until(b'\n', &mut raw).await?;
    let line = String::from_utf8_lossy(&raw).into_owned();
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else { return Ok(()) };
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut raw = Vec::new();
        if reader.read_until(b'\n', &mut raw).await? == 0 {
            return Ok(());
        }
        // Header values are bytes; a client may send Latin-1. Kept as the Worker would see them.
        let header = String::from_utf8_lossy(&raw).into_owned();
        let header = header.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_string());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            if name != "host" && name != "connection" {
                headers.push((name, value));
            }
        }
    }
    // A body shorter than its Content-Length goes on as far as it came, after a pause.
    let mut body = Vec::new();
    let wanted = length.min(MAX_BODY) as u64;
    let mut limited = (&mut reader).take(wanted);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), limited.read_to_end(&mut body)).await;
    let mut call = api.request(&method, &target);
    for (name, value) in &headers {
        call = call.header(name, value);
    }
    let r = call.body(body).send().await;
    let mut head = format!("HTTP/1.1 {} Status\r\n", r.status);
    for (name, value) in &r.headers {
        if !name.eq_ignore_ascii_case("content-length") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", r.body.len()));
    let mut stream = reader.into_inner();
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&r.body).await?;
    stream.shutdown().await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port = std::env::args().nth(1).unwrap_or_else(|| "8788".into());
    let mut api = Api::new();
    api.configure(|c| c.rate_limits.user = None);
    let api = std::rc::Rc::new(api);
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await.expect("bind the port");
    eprintln!("serving the in-process host on http://127.0.0.1:{port}");
    // One thread, connections interleaved: a client that never sends its body holds only its own.
    tokio::task::LocalSet::new()
        .run_until(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let api = api.clone();
                tokio::task::spawn_local(async move {
                    if let Err(e) = answer(&api, stream).await {
                        eprintln!("connection: {e}");
                    }
                });
            }
        })
        .await;
}
