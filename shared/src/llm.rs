//! The AI providers an operator configured (SPEC AI-1): which ones, in which order, with which
//! keys and prices, and how long a generation may take. Read from `AI_PROVIDERS`, `AI_KEYS`,
//! `AI_PRICES`, `AI_TIMEOUT_MS` and `AI_DEADLINE_MS`; the keys are secrets and never leave the
//! server.

/// The API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// OpenAI's Chat Completions, and every service that speaks it (OpenRouter, Groq, a local
    /// server): `POST {base}/chat/completions`.
    OpenAi,
    /// Anthropic's Messages API: `POST {base}/v1/messages`.
    Anthropic,
    /// Google's Gemini API: `POST {base}/v1beta/models/{model}:generateContent`.
    Gemini,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "openai" => Some(Kind::OpenAi),
            "anthropic" => Some(Kind::Anthropic),
            "gemini" => Some(Kind::Gemini),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OpenAi => "openai",
            Kind::Anthropic => "anthropic",
            Kind::Gemini => "gemini",
        }
    }

    /// Where the provider's public API lives.
    pub fn default_base(self) -> &'static str {
        match self {
            Kind::OpenAi => "https://api.openai.com/v1",
            Kind::Anthropic => "https://api.anthropic.com",
            Kind::Gemini => "https://generativelanguage.googleapis.com",
        }
    }
}

/// One configured provider: a name workspaces put in their chain, the API it speaks, the model
/// it runs, where, and the operator's key (none: it cannot be called).
#[derive(Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub kind: Kind,
    pub model: String,
    pub base_url: String,
    pub key: Option<String>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never printed.
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("key", &self.key.as_ref().map(|_| "…"))
            .finish()
    }
}

/// A model's price per token, in billionths of a dollar (so dollars per million tokens, to
/// three decimals, times a thousand): read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub input: i64,
    pub output: i64,
}

/// Dollars per million tokens (`0.15`, `3`, `2.5`) as billionths of a dollar per token, without
/// floating point: at most three decimals and a million dollars.
fn nano_per_token(text: &str) -> Option<i64> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 3 || whole.len() > 7 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction: i64 = format!("{fraction:0<3}").parse().ok()?;
    Some(whole * 1000 + fraction)
}

/// What a credit is worth: a thousandth of a US dollar of provider cost.
pub const MICROS_PER_CREDIT: i64 = 1_000;

/// The AI settings of this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ai {
    /// In the operator's order of preference: a workspace without a chain of its own uses it.
    pub providers: Vec<Provider>,
    pub prices: Vec<(String, Price)>,
    /// How long one call to a provider may take (`AI_TIMEOUT_MS`, 20 s).
    pub attempt_ms: u64,
    /// How long a whole generation may take, every attempt included (`AI_DEADLINE_MS`, 25 s):
    /// past it the chain stops and the static content answers.
    pub deadline_ms: u64,
    /// The most tokens a generation may produce.
    pub max_tokens: u32,
}

impl Default for Ai {
    fn default() -> Self {
        Ai { providers: Vec::new(), prices: Vec::new(), attempt_ms: 20_000, deadline_ms: 25_000, max_tokens: 1_024 }
    }
}

impl Ai {
    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices.iter().find(|(m, _)| m == model).map(|(_, p)| *p)
    }

    /// The cost of a call in millionths of a dollar, rounded up (0 for a model without a price).
    pub fn cost_micros(&self, model: &str, tokens_in: i64, tokens_out: i64) -> i64 {
        self.price(model).map_or(0, |p| {
            let nano = tokens_in.saturating_mul(p.input).saturating_add(tokens_out.saturating_mul(p.output));
            (nano + 999) / 1000
        })
    }

    /// Reads `AI_PROVIDERS` (`name=kind/model[@base URL]`, comma-separated, in order of
    /// preference), `AI_KEYS` (`name=key`, comma-separated), `AI_PRICES` (`model=input/output`
    /// dollars per million tokens), `AI_TIMEOUT_MS` and `AI_DEADLINE_MS`. Returns what it could
    /// not read, for the host's log; the rest applies.
    pub fn read(&mut self, get: impl Fn(&str) -> Option<String>) -> Vec<String> {
        let mut problems = Vec::new();
        let keys: Vec<(String, String)> = get("AI_KEYS")
            .unwrap_or_default()
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(n, k)| (n.trim().to_string(), k.trim().to_string()))
            .filter(|(_, k)| !k.is_empty())
            .collect();
        if let Some(text) = get("AI_PROVIDERS") {
            for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match parse_provider(item) {
                    Some(mut p) if self.provider(&p.name).is_none() => {
                        p.key = keys.iter().find(|(n, _)| *n == p.name).map(|(_, k)| k.clone());
                        self.providers.push(p);
                    }
                    _ => problems.push(format!("AI_PROVIDERS: `{item}` is not a new name=kind/model[@url]")),
                }
            }
        }
        for (name, _) in &keys {
            if self.provider(name).is_none() {
                problems.push(format!("AI_KEYS: `{name}` is not in AI_PROVIDERS"));
            }
        }
        if let Some(text) = get("AI_PRICES") {
            for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let parsed = item.rsplit_once('=').and_then(|(model, price)| {
                    let (i, o) = price.split_once('/')?;
                    Some((model.trim().to_string(), Price { input: nano_per_token(i)?, output: nano_per_token(o)? }))
                });
                match parsed {
                    Some(p) => self.prices.push(p),
                    None => problems.push(format!("AI_PRICES: `{item}` is not model=input/output")),
                }
            }
        }
        for (name, field) in [("AI_TIMEOUT_MS", &mut self.attempt_ms), ("AI_DEADLINE_MS", &mut self.deadline_ms)] {
            if let Some(v) = get(name) {
                match v.trim().parse::<u64>() {
                    Ok(ms) if ms > 0 => *field = ms,
                    _ => problems.push(format!("{name}: `{v}` is not a number of milliseconds")),
                }
            }
        }
        problems
    }
}

fn parse_provider(item: &str) -> Option<Provider> {
    let (name, rest) = item.split_once('=')?;
    let name = name.trim();
    let valid_name = !name.is_empty()
        && name.len() <= 40
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid_name || name == "static" {
        return None;
    }
    let (kind, rest) = rest.trim().split_once('/')?;
    let kind = Kind::parse(kind.trim())?;
    let (model, base) = match rest.rsplit_once('@') {
        Some((model, url)) if url.starts_with("http://") || url.starts_with("https://") => {
            (model, url.trim_end_matches('/').to_string())
        }
        _ => (rest, kind.default_base().to_string()),
    };
    let model = model.trim();
    (!model.is_empty()).then(|| Provider {
        name: name.to_string(),
        kind,
        model: model.to_string(),
        base_url: base,
        key: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> (Ai, Vec<String>) {
        let mut ai = Ai::default();
        let problems = ai.read(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()));
        (ai, problems)
    }

    #[test]
    fn providers_keys_and_prices_are_read_in_order() {
        let (ai, problems) = read(&[
            (
                "AI_PROVIDERS",
                "claude=anthropic/claude-haiku-4-5, router=openai/meta-llama/llama-3.1-8b@https://openrouter.ai/api/v1/,g=gemini/gemini-2.0-flash",
            ),
            ("AI_KEYS", "claude=sk-ant-1,router=sk-or-2"),
            ("AI_PRICES", "claude-haiku-4-5=1/5,gemini-2.0-flash=0.1/0.4,cheap=.075/0.3"),
            ("AI_DEADLINE_MS", "9000"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<&str> = ai.providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["claude", "router", "g"]);
        let router = ai.provider("router").unwrap();
        assert_eq!((router.kind, router.model.as_str()), (Kind::OpenAi, "meta-llama/llama-3.1-8b"));
        assert_eq!(router.base_url, "https://openrouter.ai/api/v1");
        assert_eq!(ai.provider("claude").unwrap().base_url, "https://api.anthropic.com");
        assert_eq!(ai.provider("g").unwrap().key, None);
        assert_eq!(ai.provider("claude").unwrap().key.as_deref(), Some("sk-ant-1"));
        assert_eq!(ai.cost_micros("claude-haiku-4-5", 1000, 200), 1000 + 1000);
        assert_eq!(ai.cost_micros("unknown", 1000, 200), 0);
        // 1,000 tokens at $0.075 and 200 at $0.30 a million: 75 + 60 millionths.
        assert_eq!(ai.cost_micros("cheap", 1000, 200), 135);
        assert_eq!(ai.cost_micros("cheap", 1, 0), 1, "rounded up");
        assert_eq!(ai.deadline_ms, 9000);
        assert!(!format!("{:?}", ai).contains("sk-ant-1"), "keys are never printed");
    }

    #[test]
    fn what_cannot_be_read_is_reported_and_left_out() {
        let (ai, problems) = read(&[
            ("AI_PROVIDERS", "a=openai/m,a=openai/n,b=cohere/x,static=openai/m,C=openai/m"),
            ("AI_KEYS", "zz=k"),
            ("AI_PRICES", "m=1,n=1.2345/1,o=-1/2,p=1e3/1"),
            ("AI_TIMEOUT_MS", "soon"),
        ]);
        assert_eq!(ai.providers.len(), 1);
        assert_eq!(problems.len(), 10, "{problems:?}");
    }
}
