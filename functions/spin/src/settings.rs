//! Spin variables → Herald's `Config` and the choices the Worker makes from its env. The host
//! reads each variable once per request (see `host::read_variables`); an empty value means unset,
//! because Spin wants a default for every variable that is not required.

use herald::identity::password::HashProfile;
use herald::ports::{Config, Environment};

/// Every variable the component reads, as read. Secrets are never printed: no `Debug`.
#[derive(Clone, Default)]
pub struct Variables {
    pub jwt_secret: Option<String>,
    pub environment: Option<String>,
    pub password_hash_profile: Option<String>,
    pub allowed_origins: Option<String>,
    pub app_url: Option<String>,
    pub tick_secret: Option<String>,
    pub mail_api_key: Option<String>,
    pub mail_api_url: Option<String>,
    pub mail_from: Option<String>,
    /// Postgres instead of SQLite when set.
    pub database_url: Option<String>,
    /// The owner's connection for the migrate route on Postgres; `database_url` when unset.
    pub migration_database_url: Option<String>,
    /// The publishing, account, media and AI settings by their Worker names (`TOKEN_KEYS`,
    /// `OAUTH_X_CLIENT_ID`, `REQUIRE_EMAIL_VERIFICATION`, `S3_ENDPOINT`, `AI_PROVIDERS`, …), read
    /// from the variables of the same name in lower case.
    pub publishing: Vec<(&'static str, Option<String>)>,
}

/// A Resend-style provider, chosen when `mail_api_key` is set.
#[derive(Clone, PartialEq, Eq)]
pub struct MailProvider {
    pub base_url: String,
    pub api_key: String,
    pub from: String,
}

pub const DEFAULT_MAIL_API_URL: &str = "https://api.resend.com";
pub const DEFAULT_MAIL_FROM: &str = "Herald <no-reply@herald.invalid>";

/// An unset variable and an empty one are the same thing.
pub fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl Variables {
    /// The S3-compatible media store of the `s3_*` variables: `None` unless the endpoint, the
    /// bucket and both keys are set (the Worker's `S3_*` rule).
    #[cfg(any(test, feature = "blobs"))]
    pub fn s3(&self) -> Option<Result<herald::media::s3::S3Settings, String>> {
        herald::media::s3::S3Settings::from_vars(|name| {
            self.publishing.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone())
        })
    }

    /// `None` when the component cannot run safely: no JWT key of at least 32 bytes.
    pub fn config(&self) -> Option<Config> {
        let environment = Environment::parse(self.environment.as_deref().unwrap_or_default());
        let jwt_secret = self.jwt_secret.clone().filter(|s| s.len() >= 32)?;
        let mut config = Config::new(environment, jwt_secret.into_bytes());
        if let Some(origins) = &self.allowed_origins {
            config.allowed_origins =
                origins.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect();
        }
        if let Some(url) = &self.app_url {
            config.app_url = url.clone();
        }
        // Too short a secret is no secret: the tick and migrate routes then do not exist.
        config.tick_secret = self.tick_secret.clone().filter(|s| s.len() >= 16);
        if let Some(problem) =
            config.read_publishing(|name| self.publishing.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone()))
        {
            eprintln!("{problem}");
        }
        if let Some(problem) =
            config.read_accounts(|name| self.publishing.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone()))
        {
            eprintln!("{problem}");
        }
        Some(config)
    }

    pub fn hash_profile(&self) -> HashProfile {
        self.password_hash_profile.as_deref().and_then(HashProfile::parse).unwrap_or(HashProfile::FreePlan)
    }

    pub fn mail_provider(&self) -> Option<MailProvider> {
        let api_key = self.mail_api_key.clone()?;
        Some(MailProvider {
            base_url: self.mail_api_url.clone().unwrap_or_else(|| DEFAULT_MAIL_API_URL.into()),
            api_key,
            from: self.mail_from.clone().unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
        })
    }

    /// Where the migrate route connects on Postgres: the owner if given, else the app's URL.
    pub fn migration_url(&self) -> Option<&str> {
        self.migration_database_url.as_deref().or(self.database_url.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret() -> Variables {
        Variables { jwt_secret: Some("k".repeat(32)), ..Default::default() }
    }

    #[test]
    fn no_config_without_a_long_enough_jwt_secret() {
        assert!(Variables::default().config().is_none());
        let short = Variables { jwt_secret: Some("k".repeat(31)), ..Default::default() };
        assert!(short.config().is_none());
        assert!(with_secret().config().is_some());
    }

    #[test]
    fn config_reads_every_setting() {
        let v = Variables {
            environment: Some("development".into()),
            allowed_origins: Some(" https://a.test, ,https://b.test ".into()),
            app_url: Some("https://app.test".into()),
            tick_secret: Some("t".repeat(16)),
            ..with_secret()
        };
        let c = v.config().unwrap();
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.allowed_origins, vec!["https://a.test", "https://b.test"]);
        assert_eq!(c.app_url, "https://app.test");
        assert_eq!(c.tick_secret.as_deref(), Some("tttttttttttttttt"));
        assert_eq!(c.jwt_secret, b"k".repeat(32));
    }

    #[test]
    fn publishing_settings_are_read_by_their_worker_names() {
        let keys = "k1:aGVyYWxkLXRlc3QtdG9rZW4ta2V5LTMyLWJ5dGVzISE";
        let v = Variables {
            publishing: vec![
                ("TOKEN_KEYS", Some(keys.into())),
                ("PUBLIC_URL", Some("https://api.example/".into())),
                ("OAUTH_THREADS_CLIENT_ID", Some("app".into())),
                ("OAUTH_THREADS_CLIENT_SECRET", Some("shh".into())),
                ("OAUTH_X_CLIENT_ID", Some("only-an-id".into())),
                ("PLATFORM_ALLOW_PRIVATE", Some(String::new())),
            ],
            ..with_secret()
        };
        let c = v.config().unwrap();
        assert!(!c.token_keys.is_empty());
        assert_eq!(c.public_url.as_deref(), Some("https://api.example"));
        assert_eq!(c.oauth_clients, vec![("threads".to_string(), "app".to_string(), "shh".to_string())]);
        assert!(!c.allow_private_hosts);
    }

    #[test]
    fn ai_settings_are_read_by_their_worker_names() {
        let v = Variables {
            publishing: vec![
                (
                    "AI_PROVIDERS",
                    Some(
                        "openai=openai/gpt-4o-mini,claude=anthropic/claude-haiku-4-5@https://api.anthropic.com".into(),
                    ),
                ),
                ("AI_KEYS", Some("openai=sk-1,claude=sk-ant-2".into())),
                ("AI_PRICES", Some("gpt-4o-mini=0.15/0.6".into())),
                ("AI_TIMEOUT_MS", Some("1500".into())),
                ("AI_DEADLINE_MS", Some("4000".into())),
            ],
            ..with_secret()
        };
        let ai = v.config().unwrap().ai;
        let names: Vec<(&str, &str, bool)> =
            ai.providers.iter().map(|p| (p.name.as_str(), p.model.as_str(), p.key.is_some())).collect();
        assert_eq!(names, [("openai", "gpt-4o-mini", true), ("claude", "claude-haiku-4-5", true)]);
        assert_eq!(ai.provider("claude").unwrap().base_url, "https://api.anthropic.com");
        assert!(ai.price("gpt-4o-mini").is_some());
        assert_eq!((ai.attempt_ms, ai.deadline_ms), (1500, 4000));
    }

    #[test]
    fn unknown_environment_is_production_and_short_tick_secret_is_none() {
        let v = Variables { environment: None, tick_secret: Some("short".into()), ..with_secret() };
        let c = v.config().unwrap();
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(c.tick_secret, None);
    }

    #[test]
    fn empty_means_unset() {
        assert_eq!(present(Some(String::new())), None);
        assert_eq!(present(Some("  ".into())), None);
        assert_eq!(present(Some("x".into())).as_deref(), Some("x"));
    }

    #[test]
    fn hash_profile_defaults_to_free_plan() {
        assert_eq!(Variables::default().hash_profile(), HashProfile::FreePlan);
        let strong = Variables { password_hash_profile: Some("strong".into()), ..Default::default() };
        assert_eq!(strong.hash_profile(), HashProfile::Strong);
        let bogus = Variables { password_hash_profile: Some("bogus".into()), ..Default::default() };
        assert_eq!(bogus.hash_profile(), HashProfile::FreePlan);
    }

    #[test]
    fn mail_provider_only_with_a_key() {
        assert!(Variables::default().mail_provider().is_none());
        let v = Variables { mail_api_key: Some("key".into()), ..Default::default() };
        let p = v.mail_provider().unwrap();
        assert_eq!(p.base_url, DEFAULT_MAIL_API_URL);
        assert_eq!(p.from, DEFAULT_MAIL_FROM);
        assert_eq!(p.api_key, "key");
    }

    #[test]
    fn migrations_prefer_the_owner_url() {
        let v = Variables { database_url: Some("postgres://app@h/db".into()), ..Default::default() };
        assert_eq!(v.migration_url(), Some("postgres://app@h/db"));
        let v = Variables { migration_database_url: Some("postgres://owner@h/db".into()), ..v };
        assert_eq!(v.migration_url(), Some("postgres://owner@h/db"));
    }
}
