//! Identity: accounts, passwords, sessions and the profile (SPEC IAM-1, IAM-3, IAM-4), and the
//! account basics around them: verified addresses, password reset and change, address change.

pub mod account;
pub mod api;
pub mod email_tokens;
pub mod mails;
pub mod model;
pub mod password;
pub mod sessions;
pub mod sessions_api;
pub mod tokens;
pub mod users;

use crate::route;

/// Sign-up, sign-in, sessions and the account.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "identity",
    routes: &[
        route!(POST "/api/v1/auth/signup", signup, Public, api::signup).credential(),
        route!(POST "/api/v1/auth/login", login, Public, api::login).credential(),
        route!(POST "/api/v1/auth/refresh", refresh, Public, api::refresh).credential(),
        route!(POST "/api/v1/auth/logout", logout, Public, api::logout),
        route!(GET "/api/v1/users/me", getMe, User, api::get_me),
        route!(PATCH "/api/v1/users/me", updateMe, User, api::update_me),
        route!(POST "/api/v1/auth/verify-email", verifyEmail, Public, account::verify_email).credential(),
        route!(POST "/api/v1/auth/resend-verification", resendVerification, User, account::resend_verification),
        route!(POST "/api/v1/auth/forgot-password", forgotPassword, Public, account::forgot_password).credential(),
        route!(POST "/api/v1/auth/reset-password", resetPassword, Public, account::reset_password).credential(),
        route!(POST "/api/v1/auth/confirm-email", confirmEmail, Public, account::confirm_email).credential(),
        route!(POST "/api/v1/users/me/password", changePassword, User, account::change_password).credential(),
        route!(POST "/api/v1/users/me/email", changeEmail, User, account::change_email).credential(),
        route!(GET "/api/v1/users/me/sessions", listSessions, User, sessions_api::list),
        route!(DELETE "/api/v1/users/me/sessions", revokeSessions, User, sessions_api::revoke_all),
        route!(DELETE "/api/v1/users/me/sessions/{sessionId}", revokeSession, User, sessions_api::revoke),
    ],
    inputs: &[model::DOCUMENTED],
};
