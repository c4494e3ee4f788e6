//! The mails of account basics. Each carries its token twice: in a link to the frontend
//! (`APP_URL`) and alone after the route that takes it, for API clients and the walkthrough.

use crate::mail::MailMessage;

fn link(app_url: &str, page: &str, token: &str) -> String {
    format!("{}/{page}?token={token}", app_url.trim_end_matches('/'))
}

pub fn verification(app_url: &str, to: &str, token: &str) -> MailMessage {
    MailMessage {
        to: to.to_string(),
        subject: "Confirm your email address for Herald".into(),
        text: format!(
            "Welcome to Herald. Confirm that this address is yours: {}\n\n\
             Or send this token to POST /api/v1/auth/verify-email:\n{token}\n\n\
             The link expires in 24 hours. If you did not sign up, ignore this mail.\n",
            link(app_url, "verify-email", token)
        ),
        ..Default::default()
    }
}

/// To the owner of an address someone tried to sign up with: a way back in, in case it was them.
pub fn already_registered(app_url: &str, to: &str, reset_token: &str) -> MailMessage {
    MailMessage {
        to: to.to_string(),
        subject: "Someone tried to sign up to Herald with your address".into(),
        text: format!(
            "Someone, perhaps you, tried to sign up to Herald with this address, which already has an \
             account. Nothing was changed.\n\n\
             If it was you and you forgot your password, choose a new one: {}\n\n\
             Or send this token with a new password to POST /api/v1/auth/reset-password:\n{reset_token}\n\n\
             The link expires in one hour. If it was not you, ignore this mail.\n",
            link(app_url, "reset-password", reset_token)
        ),
        ..Default::default()
    }
}

pub fn reset(app_url: &str, to: &str, token: &str) -> MailMessage {
    MailMessage {
        to: to.to_string(),
        subject: "Reset your Herald password".into(),
        text: format!(
            "Choose a new password: {}\n\n\
             Or send this token with a new password to POST /api/v1/auth/reset-password:\n{token}\n\n\
             The link expires in one hour and signs you out everywhere. If you did not ask for it, \
             ignore this mail: your password stays as it is.\n",
            link(app_url, "reset-password", token)
        ),
        ..Default::default()
    }
}

pub fn confirm_new_address(app_url: &str, to: &str, token: &str) -> MailMessage {
    MailMessage {
        to: to.to_string(),
        subject: "Confirm your new email address for Herald".into(),
        text: format!(
            "Confirm that your Herald account should use this address from now on: {}\n\n\
             Or send this token to POST /api/v1/auth/confirm-email:\n{token}\n\n\
             The link expires in 24 hours. If you did not ask for this, ignore this mail.\n",
            link(app_url, "confirm-email", token)
        ),
        ..Default::default()
    }
}

pub fn address_changed(to_old: &str, new_address: &str) -> MailMessage {
    MailMessage {
        to: to_old.to_string(),
        subject: "Your Herald email address was changed".into(),
        text: format!(
            "Your Herald account now uses the address {new_address}; its mail no longer comes here.\n\n\
             If you did not do this, someone who knew your password did, and this address can no longer \
             reset it: tell your workspace's owner at once.\n"
        ),
        ..Default::default()
    }
}

pub fn password_changed(to: &str) -> MailMessage {
    MailMessage {
        to: to.to_string(),
        subject: "Your Herald password was changed".into(),
        text: "The password of your Herald account was just changed, and its other sessions were signed out.\n\n\
               If you did not do this, ask for a password reset at once (POST /api/v1/auth/forgot-password).\n"
            .into(),
        ..Default::default()
    }
}
