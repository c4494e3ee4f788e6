//! Identity: accounts, passwords, sessions and the profile (SPEC IAM-1, IAM-3, IAM-4), and the
//! account basics around them: verified addresses, password reset and change, address change.

pub mod email_tokens;
pub mod handlers;
pub mod mails;
pub mod model;
pub mod password;
pub mod sessions;
pub mod store;
pub mod tokens;

pub use store::users;

use crate::api::Context;
use crate::error::AppError;
use crate::route;
use model::UserView;

/// Refuses, when verification is on, an account that has not proved its address: it may not
/// take what was sent to that address (an invitation) nor be shown a client's work.
pub fn require_verified(ctx: &Context<'_>, user: &UserView, refusal: &str) -> Result<(), AppError> {
    if ctx.config.require_email_verification && !user.email_verified {
        return Err(AppError::EmailNotVerified(refusal.to_string()));
    }
    Ok(())
}

/// Sign-up, sign-in, sessions and the account.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "identity",
    routes: &[
        route!(POST "/api/v1/auth/signup", signup, Public, handlers::auth::signup).trips(3).credential(),
        route!(POST "/api/v1/auth/login", login, Public, handlers::auth::login).trips(4).credential(),
        route!(POST "/api/v1/auth/refresh", refresh, Public, handlers::auth::refresh).trips(5).credential(),
        route!(POST "/api/v1/auth/logout", logout, Public, handlers::auth::logout),
        route!(GET "/api/v1/users/me", getMe, User, handlers::auth::get_me),
        route!(PATCH "/api/v1/users/me", updateMe, User, handlers::auth::update_me).trips(3),
        route!(POST "/api/v1/auth/verify-email", verifyEmail, Public, handlers::account::verify_email)
            .trips(3)
            .credential(),
        route!(POST "/api/v1/auth/resend-verification", resendVerification, User, handlers::account::resend_verification),
        route!(POST "/api/v1/auth/forgot-password", forgotPassword, Public, handlers::account::forgot_password)
            .credential(),
        route!(POST "/api/v1/auth/reset-password", resetPassword, Public, handlers::account::reset_password)
            .credential(),
        route!(POST "/api/v1/auth/confirm-email", confirmEmail, Public, handlers::account::confirm_email)
            .trips(4)
            .credential(),
        route!(POST "/api/v1/users/me/password", changePassword, User, handlers::account::change_password).credential(),
        route!(POST "/api/v1/users/me/email", changeEmail, User, handlers::account::change_email).trips(3).credential(),
        route!(GET "/api/v1/users/me/sessions", listSessions, User, handlers::sessions::list),
        route!(DELETE "/api/v1/users/me/sessions", revokeSessions, User, handlers::sessions::revoke_all),
        route!(DELETE "/api/v1/users/me/sessions/{sessionId}", revokeSession, User, handlers::sessions::revoke),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[model::DOCUMENTED],
};
