//! Identity's values and the shapes the API speaks.

use crate::api::documented::{field, Documented, Rule};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use utoipa::ToSchema;

pub use crate::validate::Email;

/// A new password: 8 to 128 characters.
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Password, String> {
        let n = input.chars().count();
        if n < 8 {
            return Err("must be at least 8 characters".into());
        }
        if n > 128 {
            return Err("must be at most 128 characters".into());
        }
        if input.trim().is_empty() {
            return Err("must not be only spaces".into());
        }
        Ok(Password(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupInput {
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(max_length = 100)]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

/// The refresh token may come in the body or in the `herald_refresh` cookie.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshInput {
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeInput {
    pub name: Option<String>,
    /// IANA time zone, e.g. `Europe/Paris`.
    pub timezone: Option<String>,
    /// BCP 47 tag, e.g. `pt-BR`.
    pub locale: Option<String>,
    /// Merged into the stored preferences (RFC 7396: null removes a key).
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<Json>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub email: String,
    /// Whether the owner proved the address (a verification or reset link, or an address change).
    pub email_verified: bool,
    pub name: String,
    pub timezone: String,
    pub locale: String,
    #[schema(value_type = Object)]
    pub preferences: Map<String, Json>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthSession {
    pub user: UserView,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub token_type: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOut {
    pub logged_out: bool,
}

/// What sign-up answers when addresses must be verified: the same for a new address and for one
/// that already has an account (whose owner is told by mail instead), so sign-up does not
/// reveal who has an account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignupPending {
    /// The address as it is compared and written to (normalized).
    pub email: String,
    pub verification_required: bool,
}

/// A mail went out, or would have if the address had an account: the answer does not say.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailAccepted {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    /// The token from the mail.
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordInput {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetPasswordInput {
    pub token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangePasswordInput {
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangeEmailInput {
    pub new_email: String,
    /// The current password.
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordUpdated {
    pub password_updated: bool,
}

/// A signed-in device: one refresh-token family.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    /// The User-Agent it signed in with (truncated), empty when none was sent.
    pub device: String,
    pub created_at: String,
    pub last_used_at: String,
    /// Whether the caller's access token belongs to this session.
    pub current: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionsRevoked {
    pub revoked: u64,
}

/// What the identity parsers check (`Email::parse`, `Password::parse`, `validate::name`,
/// `validate::timezone`, `validate::locale`), as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("SignupInput", "email", Rule::Email),
    field("SignupInput", "name", Rule::Line(100)),
    field("SignupInput", "password", Rule::Secret(8, 128)),
    field("LoginInput", "email", Rule::Email),
    field("UpdateMeInput", "name", Rule::Line(100)),
    field("UpdateMeInput", "timezone", Rule::TimeZone),
    field("UpdateMeInput", "locale", Rule::Locale),
    field("ForgotPasswordInput", "email", Rule::Email),
    field("ResetPasswordInput", "newPassword", Rule::Secret(8, 128)),
    field("ChangePasswordInput", "newPassword", Rule::Secret(8, 128)),
    field("ChangeEmailInput", "newEmail", Rule::Email),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        assert_eq!(Email::parse("ada@exämple.com").unwrap().as_str(), "ada@xn--exmple-cua.com");
        assert_eq!(Email::parse("ada@EXÄMPLE.com").unwrap().as_str(), "ada@xn--exmple-cua.com");
        assert_eq!(Email::parse("ada@xn--exmple-cua.com").unwrap().as_str(), "ada@xn--exmple-cua.com");
        assert_eq!(Email::parse("ada@ＥＸＡＭＰＬＥ.com").unwrap().as_str(), "ada@example.com");
        assert_eq!(Email::parse("ada@exämple.com").unwrap().legacy(), Some("ada@exämple.com"));
        assert_eq!(Email::parse("Ada@example.com").unwrap().legacy(), None);
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@-x.com",
            "ada@exa_mple.com",
            "ada@example.com.",
            "ada@xn--a.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_bounds() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("        ").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }
}
