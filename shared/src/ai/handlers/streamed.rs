//! A post written as a stream (`Accept: text/event-stream`): the text goes to the caller as
//! server-sent events as the provider writes it (`delta` events), then one `done` event with the
//! whole generation, as `POST …/ai/posts` answers it. The chain is walked as usual until a
//! provider starts writing; one that fails before its first word passes the turn to the next.
//! The generation is settled when the stream ends, also when the caller has gone: the provider
//! is then no longer read, and what it wrote is what is kept and paid for.

use serde_json::{json, Value as Json};

use super::gateway::{self, Attempt};
use super::{candidates, chain, hold, settlement, Ended, Job, Tally};
use crate::ai::prompt;
use crate::ai::providers::{self, Answer, Failure};
use crate::ai::stream::{self, Decoder, Piece};
use crate::api::{Context, Response};
use crate::error::AppError;
use crate::ports::{HttpError, HttpResponse, Sink};

const CONTENT_TYPE: &str = "text/event-stream; charset=utf-8";

/// Where the events go: the host's sink as they are made, and the answer at the end.
struct Out<'a> {
    sink: Option<&'a dyn Sink>,
    opened: bool,
    /// False once the caller has gone.
    present: bool,
    buffer: Vec<u8>,
}

impl Out<'_> {
    fn event(&mut self, name: &str, data: &Json) {
        let chunk = format!("event: {name}\ndata: {data}\n\n").into_bytes();
        if let Some(sink) = self.sink {
            if !self.opened {
                let headers = vec![
                    ("content-type".to_string(), CONTENT_TYPE.to_string()),
                    ("cache-control".to_string(), "no-cache".to_string()),
                    ("x-accel-buffering".to_string(), "no".to_string()),
                ];
                sink.open(200, headers);
                self.opened = true;
            }
            if self.present {
                self.present = sink.send(chunk.clone());
            }
        }
        // The whole stream is also the handler's answer: what an Idempotency-Key replays.
        self.buffer.extend(chunk);
    }
}

/// How reading one provider's stream ended.
#[derive(Default)]
struct Read {
    text: String,
    failure: Option<Failure>,
    /// The caller went away while it was being read.
    left: bool,
}

/// Writes `job` as a stream of events down its chain, settles it, and answers the whole stream
/// (which a host that sent it as it was made has already sent).
pub(super) async fn generate(ctx: &Context<'_>, job: Job<'_>) -> Result<Response, AppError> {
    let providers = chain(ctx, job.providers, &job.settings);
    let mut chain = candidates(ctx, &providers, &job.own_keys, job.workspace_id, job.viewer);
    let generation_id = ctx.new_id();
    hold(ctx, &job, &mut chain, &generation_id, 1).await?;

    let mut out = Out { sink: ctx.sink, opened: false, present: true, buffer: Vec::new() };
    let deadline = job.now + ctx.config.ai.deadline_ms as i64;
    let owner = (job.workspace_id, job.viewer);
    let (mut tally, mut attempts, mut cooldowns, mut warnings) = (Tally::default(), Vec::new(), Vec::new(), Vec::new());
    let mut result = None;
    for candidate in &chain {
        let provider = candidate.provider;
        let now = ctx.clock.now_ms();
        let key = match gateway::admit(candidate, &[&job.resting, &cooldowns], owner, now, deadline) {
            Ok(key) => key,
            Err(why) => {
                attempts.push(gateway::skipped(candidate, why));
                continue;
            }
        };
        let within = ctx.config.ai.attempt_ms.min((deadline - now) as u64);
        let opened = ctx.http.send_streamed(stream::request(provider, key, &job.first), within).await;
        let read = match opened {
            Err(HttpError::Timeout) => Read { failure: Some(Failure::Timeout), ..Read::default() },
            Err(_) => Read { failure: Some(Failure::Unreachable), ..Read::default() },
            Ok(mut answer) if !(200..300).contains(&answer.status) => {
                // An error is one JSON body, read whole, as without a stream.
                let mut body = Vec::new();
                while let Some(Ok(chunk)) = answer.body.next().await {
                    body.extend(chunk);
                }
                let whole = HttpResponse { status: answer.status, headers: answer.headers, body };
                let failure = providers::answer(provider.kind, &whole).err().unwrap_or(Failure::Malformed);
                Read { failure: Some(failure), ..Read::default() }
            }
            Ok(answer) => {
                let mut decoder = Decoder::new(provider.kind);
                let read = pass_on(ctx, answer.body, &mut decoder, &mut out, deadline).await;
                // Tokens as the provider counted them; estimated from the text when it did not say
                // (a stream the caller left).
                let tokens_in =
                    decoder.tokens_in.unwrap_or(((job.first.system.len() + job.first.user.len()) / 4) as i64);
                let tokens_out = decoder.tokens_out.unwrap_or((read.text.chars().count() / 4) as i64);
                if !read.text.is_empty() {
                    tally.add(ctx, provider, candidate.source, &Answer { text: String::new(), tokens_in, tokens_out });
                }
                read
            }
        };
        let mut attempt = Attempt {
            provider: provider.name.clone(),
            model: provider.model.clone(),
            outcome: "ok".into(),
            status: Some(200),
            latency_ms: ctx.clock.now_ms() - now,
            retry_after_seconds: None,
            key_source: Some(candidate.source.to_string()),
            detail: None,
        };
        let rest_id = candidate.rest_id(if candidate.source == "user" { owner.1 } else { owner.0 });
        match (read.text.is_empty(), read.failure) {
            // Nothing written: the next provider is asked.
            (true, failure) => {
                let failure = failure.unwrap_or(Failure::Malformed);
                cooldowns.extend(gateway::failed(&mut attempt, &failure, rest_id, ctx.clock.now_ms()));
                attempts.push(attempt);
            }
            (false, failure) => {
                if let Some(failure) = failure {
                    attempt.detail = Some(format!("stopped mid-answer: {}", failure.outcome()));
                    warnings.push(format!("{} stopped before the end of its answer", provider.name));
                }
                if read.left {
                    attempt.detail = Some(format!("the caller left after {} characters", read.text.chars().count()));
                }
                attempts.push(attempt);
                result = Some((provider.clone(), candidate.source, read.text));
                break;
            }
        }
    }
    let result = match (result, job.platform) {
        // Too long for its platform: the final text is cut (the words already sent stay sent).
        (Some((p, source, text)), Some(platform)) => match prompt::overflow(platform, &text) {
            Some((length, max)) => {
                warnings.push(format!("cut from {length} to fit {platform}'s limit of {max}"));
                Some((p, source, prompt::cut(platform, &text)))
            }
            None => Some((p, source, text)),
        },
        (result, _) => result,
    };
    if result.is_none() {
        out.event("delta", &json!({"text": job.fallback}));
    }
    let ended = Ended { result, sent: job.first.clone(), tally, attempts, cooldowns, warnings };
    let (generated, statements) = settlement(ctx, &job, generation_id, ended)?;
    if let Err(e) = ctx.db.batch(&statements).await {
        if !out.opened {
            return Err(e.into());
        }
        tracing::error!(cause = %e, "a streamed generation could not be settled");
        out.event("error", &json!({"code": "INTERNAL_ERROR", "error": "the generation could not be recorded"}));
        return Err(e.into());
    }
    out.event("done", &serde_json::to_value(&generated).map_err(|e| AppError::Internal(e.to_string()))?);
    Ok(Response::new(200, CONTENT_TYPE, out.buffer).with_header("cache-control", "no-cache"))
}

/// Reads a provider's stream, passing its words on as `delta` events, until it ends, fails, the
/// deadline passes or the caller goes away.
async fn pass_on(
    ctx: &Context<'_>,
    mut body: Box<dyn crate::ports::Chunks>,
    decoder: &mut Decoder,
    out: &mut Out<'_>,
    deadline: i64,
) -> Read {
    let mut read = Read::default();
    loop {
        if ctx.clock.now_ms() > deadline {
            read.failure = Some(Failure::Timeout);
            return read;
        }
        let (pieces, ended) = match body.next().await {
            None => (decoder.finish(), true),
            Some(Ok(chunk)) => (decoder.feed(&chunk), false),
            Some(Err(_)) => {
                read.failure = Some(Failure::Unreachable);
                return read;
            }
        };
        for piece in pieces {
            match piece {
                Piece::Text(text) => {
                    out.event("delta", &json!({"text": text}));
                    read.text.push_str(&text);
                    if !out.present {
                        read.left = true;
                        return read;
                    }
                }
                Piece::Fail(failure) => {
                    read.failure = Some(failure);
                    return read;
                }
                Piece::Done => return read,
            }
        }
        if ended {
            // A stream that stops without its end was cut off.
            read.failure = Some(Failure::Unreachable);
            return read;
        }
    }
}
